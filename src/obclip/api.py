"""The one-call Python API: `generate(prompt)` -> image and report, over cloud and device halves.

The prompt is expanded into its candidate set on the device; only the set and public options
go to the cloud (in-process or over HTTP); the device keeps its row and finishes it.
"""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from obclip.engine import CloudBackend, DenoiseSpec, DenoiseState, DeviceEngine, check_response
from obclip.engine.conditioning import request_chunks
from obclip.engine.embedded import DEFAULT_LARGE
from obclip.engine.loop import StepEnd
from obclip.engine.models import canonical_id
from obclip.options import PLAN_FIELDS, GenerationOptions, PublicOptions
from obclip.privacy import CandidateSet, Taxonomy
from obclip.privacy.correlate import report as anonymity_report
from obclip.prompt_tokens import check_prompt_lengths
from obclip.view import check_read, checked_view
from obclip.view import resolve_taxonomy as _resolve_taxonomy


@dataclass(frozen=True, kw_only=True)
class GenerationReport(PublicOptions):
    """What a run did: the public options sent (`PublicOptions`, height and width as answered),
    the set sent, the split, the models and where the time went."""

    num_candidates: int
    seed: int
    large: str
    small: str
    cloud: str
    candidates: list[str]
    template: str
    taxonomy: str
    accelerations: list[str]
    notice: str | None
    residual: list[dict[str, str]]
    """Words sent in clear in every candidate that may still reveal a sensitive attribute
    (`{"word", "reason"}` each; docs/privacy.md, "Residual risk")."""
    anonymity: int
    """How many candidates no word in clear rules out (`privacy.correlate.anonymity`)."""
    revealed: list[dict[str, Any]]
    """Each word in clear and what it reveals (`{"word", "attribute", "values", "strength", "person", "varied"}`)."""
    assignments: list[list[str]]
    """Each candidate's attribute values, in the order of the set's attributes (wire order)."""
    yours: str
    """The user's own candidate as sent (device memory; never in the PNG metadata)."""
    generalized: list[dict[str, str]]
    """Each word sent as a neutral form under the default policy (`{"word", "sent_as"}`)."""
    state_bytes: int
    """Bytes of the tensors the cloud handed over (`state_payload_bytes`)."""
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-able values (`accel` in its wire form)."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "accel"}
        return {**copy.deepcopy(values), **self.public_options()}


@dataclass
class GenerationResult:
    """The image, its final latents (before decoding) and the report."""

    image: Image.Image
    latents: torch.Tensor
    candidate_set: CandidateSet
    report: GenerationReport

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.image.save(path)
        return path


@dataclass(frozen=True)
class Plan:
    """The device's decisions before anything is sent: the taxonomy, the candidate set and the
    cloud request (a function of the set and the public options only)."""

    taxonomy: Taxonomy
    candidate_set: CandidateSet
    spec: DenoiseSpec


def generate(
    prompt: str,
    *,
    seed: int | None = None,
    cloud: str | CloudBackend | None = None,
    quiet: bool = True,
    options: GenerationOptions | None = None,
    **values: Any,
) -> GenerationResult:
    """Generate an image for `prompt` without the cloud learning which candidate is the user's:
    `ObclipPipeline.from_pretrained(large, small, cloud=cloud)(prompt, seed=seed, ...)` in one call.

    `values` are `obclip.options.GenerationOptions`' names (over `options`, when given):

    - public, sent with the candidates: `steps` and `switch_step` (T and k: the cloud runs [0, k),
      the device [k, T)), `scheduler` (`dpmsolver++`, `ddim`, `euler`, `lcm`), `guidance`, `height`,
      `width` (None: the model's), `negative_prompt` (the cloud reads it in clear, so one that states
      a sensitive attribute is refused by `plan`), `accel` (a preset, an `AccelConfig`, a dict or a
      .json path: `AccelConfig.parse`);
    - private, never sent: `small` (device model; `"same"` reuses `large`), `max_candidates`,
      `taxonomy` (a `Taxonomy` or a file; None: the default, extended by the model's own),
      `opt_in` (e.g. `("religion",)`), `send_unread` (send a prompt not in English as written; by
      default it is refused: the cloud would read it exactly), `strict`, `policy` (`"generalize"`, the default, or
      `"keep-cues"`; `generalize` is its older spelling), `min_anonymity` (the anonymity policy, as
      `plan`), `shuffle_seed` (the candidate order; CSPRNG when None),
      `device_timestep_shift` (dt: the device UNet reads t - dt);
    - the cloud: `large` (hub id, directory or `embedded:NAME`), `token` for a remote `cloud`
      (`"local"`, an `http(s)://` URL of an obclip server, or a backend), `connect_timeout`.

    `seed` seeds the initial noise shared by all candidates (random when None); `quiet`: no progress bars.
    """
    from obclip.pipeline import ObclipPipeline

    chosen = (options or GenerationOptions()).replace(**values, **({"cloud": cloud} if isinstance(cloud, str) else {}))
    check_read(prompt, send_unread=chosen.private.send_unread)  # before any model loads (`plan` checks it again)
    where = chosen.cloud
    backend = cloud or where.cloud
    http = None
    if where.connect_timeout is not None and isinstance(backend, str) and backend.startswith(("http://", "https://")):
        from obclip.service.client import HttpOptions

        http = HttpOptions.of(connect_timeout=where.connect_timeout)
    pipe = ObclipPipeline.from_pretrained(
        where.large, chosen.private.small, cloud=backend, token=where.token, http=http, quiet=quiet
    )
    return pipe.generate(prompt, chosen.replace(small=pipe.small), seed=seed)


def plan(prompt: str, *, large: str = DEFAULT_LARGE, seed: int | None = None, **options: Any) -> Plan:
    """Phase one, on the device: the candidate set of `prompt` and the cloud request for it.

    `options` are `GenerationOptions`' names: the privacy policy (`options.PLAN_FIELDS`:
    `max_candidates`, `taxonomy`, `opt_in`, `strict`, `policy`, `generalize`, `min_anonymity`,
    `send_unread`, `shuffle_seed`, as in `generate`) and `DenoiseSpec`'s public options (`options.WIRE_FIELDS`);
    `seed` is drawn from a CSPRNG when None. Every privacy refusal is raised here
    (`view.checked_view`), before any request exists.
    """
    policy = {name: options.pop(name) for name in PLAN_FIELDS if name in options}
    # the set is the one `obclip candidates --large` shows: what the user sees is what is sent
    candidate_set = checked_view(prompt, large=large, negative_prompt=options.get("negative_prompt", ""), **policy)
    resolved = candidate_set.template.taxonomy
    # over-long prompts are refused here, quoting the user's own text, before any model loads
    check_prompt_lengths(prompt, candidate_set.candidates, large, negative=options.get("negative_prompt", "") or "")
    seed = secrets.randbits(63) if seed is None else seed
    spec = DenoiseSpec(candidates=candidate_set.candidates, seed=seed, **options)
    return Plan(taxonomy=resolved, candidate_set=candidate_set, spec=spec)


def finish_on_device(
    device: DeviceEngine,
    request: Plan,
    state: DenoiseState,
    *,
    timestep_shift: int = 0,
    quiet: bool = True,
    on_step_end: StepEnd | None = None,
) -> torch.Tensor:
    """Phase three: check the cloud's answer, keep the true row and run steps [k, T) on it.

    The device encodes `CandidateSet.device_text`: the user's own prompt as normalised (names,
    numbers and ages as typed), never sent; the cloud saw only the canonical candidates."""
    check_response(state, request.spec, device.model)
    mine = state.select(request.candidate_set.true_index)
    prompt = request.candidate_set.device_text
    return device.finish(
        mine,
        prompt,
        guidance=request.spec.guidance,
        negative_prompt=request.spec.negative_prompt,
        timestep_shift=timestep_shift,
        chunks=request_chunks(device.model.text, request.spec.candidates, request.spec.negative_prompt),
        quiet=quiet,
        on_step_end=on_step_end,
        options=request.spec,
    )


def state_payload_bytes(state: DenoiseState) -> int:
    """Bytes of the tensors the cloud handed over (latents, schedule, solver history); the wire
    form adds a JSON header of a few kB. Read off the tensors, without serialising them again."""
    tensors = (state.latents, state.timesteps, *state.history.values())
    return sum(t.numel() * t.element_size() for t in tensors)


def make_report(
    request: Plan, state: DenoiseState, *, large: str, small: str, cloud: str, timings: dict[str, float]
) -> GenerationReport:
    """The report of a run: the request's public options (size as answered), the set and the split."""
    spec, candidate_set = request.spec, request.candidate_set
    public = {f.name: getattr(spec, f.name) for f in fields(PublicOptions)}
    return GenerationReport(
        **{**public, "height": int(state.metadata["height"]), "width": int(state.metadata["width"])},
        num_candidates=len(candidate_set),
        seed=spec.seed,
        large=canonical_id(large),
        small=small,
        cloud=cloud,
        candidates=list(candidate_set.candidates),
        template=str(candidate_set.template),
        taxonomy=request.taxonomy.source,
        accelerations=list(spec.accel.names) if spec.accel is not None else [],
        notice=candidate_set.notice,
        residual=[r.public_dict() for r in candidate_set.residual],
        **anonymity_report(candidate_set),
        state_bytes=state_payload_bytes(state),
        timings=timings,
    )


def resolve_taxonomy(taxonomy: Taxonomy | str | Path | None, large: str) -> Taxonomy:
    """The taxonomy a request is expanded with (see `generate`)."""
    return _resolve_taxonomy(taxonomy, large)
