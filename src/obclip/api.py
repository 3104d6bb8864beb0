"""The one-call Python API: `generate(prompt)` -> image and report, over cloud and device halves.

The prompt is expanded into its candidate set on the device; only the set and public options
go to the cloud (in-process or over HTTP); the device keeps its row and finishes it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from obclip.accel.config import AccelConfig
from obclip.engine import (
    CloudBackend,
    DenoiseSpec,
    DenoiseState,
    DeviceEngine,
    LocalCloud,
    check_response,
    default_small,
    load_device_model,
)
from obclip.engine.conditioning import request_chunks
from obclip.engine.embedded import DEFAULT_LARGE
from obclip.engine.models import canonical_id, check_scheduler_config
from obclip.engine.schedulers import DEFAULT_SCHEDULER
from obclip.engine.spec import DEFAULT_GUIDANCE, DEFAULT_STEPS, DEFAULT_SWITCH_STEP
from obclip.errors import InvalidInputError, check_int
from obclip.privacy import CandidateSet, Taxonomy, refuse_warnings
from obclip.privacy.correlate import check_anonymity
from obclip.privacy.correlate import report as anonymity_report
from obclip.prompt_tokens import check_prompt_lengths
from obclip.view import check_negative_prompt, cloud_view
from obclip.view import resolve_taxonomy as _resolve_taxonomy


@dataclass
class GenerationReport:
    """What a run did: the set sent, the split, the models and where the time went."""

    num_candidates: int
    switch_step: int
    steps: int
    scheduler: str
    guidance: float
    seed: int
    height: int
    width: int
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
        return asdict(self)


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
    large: str = DEFAULT_LARGE,
    small: str | None = None,
    steps: int = DEFAULT_STEPS,
    switch_step: int = DEFAULT_SWITCH_STEP,
    scheduler: str = DEFAULT_SCHEDULER,
    guidance: float = DEFAULT_GUIDANCE,
    seed: int | None = None,
    height: int | None = None,
    width: int | None = None,
    max_candidates: int | None = None,
    taxonomy: Taxonomy | str | Path | None = None,
    opt_in: Sequence[str] = (),
    strict: bool = False,
    policy: str | None = None,
    generalize: bool | None = None,
    min_anonymity: int | None = None,
    accel: Any = None,
    cloud: str | CloudBackend = "local",
    token: str | None = None,
    shuffle_seed: int | None = None,
    device_timestep_shift: int = 0,
    negative_prompt: str = "",
    quiet: bool = True,
) -> GenerationResult:
    """Generate an image for `prompt` without the cloud learning which candidate is the user's.

    Three phases, each timed in the report: `plan` (taxonomy, candidate set, cloud request), the
    cloud's steps [0, k) on every candidate, and the device's steps [k, T) on its own row.

    Args:
        prompt: the user's prompt; it never leaves this process, only its candidate set does.
        large: cloud model (hub id, local diffusers directory or `embedded:NAME`).
        small: device model sharing `large`'s text encoder and VAE; `"same"` reuses `large`.
        steps, switch_step: T and k; the cloud runs [0, k), the device [k, T).
        scheduler: `dpmsolver++` (default), `ddim`, `euler` or `lcm` (for LCM-distilled UNets).
        guidance: classifier-free guidance scale (both halves).
        seed: seed of the initial noise shared by all candidates; random when None.
        height, width: image size; the model's own size when None.
        max_candidates: budget on N (see docs/privacy.md for what it costs in privacy).
        taxonomy: a `Taxonomy` or a path to a taxonomy file. When None: the packaged default,
            extended by the taxonomy that comes with the model, if any.
        opt_in: opt-in attributes of the default taxonomy to vary too, e.g. `("religion",)`
            (as `obclip candidates --religion`); ignored with an explicit `taxonomy`.
        strict: refuse (`InvalidInputError`, before anything is sent or loaded) while any word
            sent in clear reveals a sensitive attribute (a cue or a residual-risk word); the
            report lists them otherwise.
        policy: the anonymity policy (docs/privacy.md, "The policy"). `"generalize"` (the
            default, None): a word that reveals an attribute is sent as its neutral form and the
            attribute stays varied (the device finishes with the full prompt); `"keep-cues"`: the
            word is sent as written and the attribute a strong cue reveals is not varied.
        generalize: the older spelling of `policy` (True: "generalize", False: "keep-cues").
        min_anonymity: refuse (as `strict`) unless at least this many candidates remain that no
            word in clear rules out (`report.anonymity`).
        accel: cloud accelerations: a preset (`"recommended"`, `"paper"`, `"none"`), an
            `obclip.accel.AccelConfig`, a dict or a .json path (`AccelConfig.parse`); None for plain steps.
        cloud: `"local"` (in-process), an `http(s)://` URL of an obclip server, or a backend.
        token: bearer token for a remote cloud.
        shuffle_seed: fixes the candidate order (tests, reproducibility); CSPRNG when None.
        device_timestep_shift: dt; the device UNet reads timestep t - dt (the paper's LCM setting
            uses 8); 0 continues the cloud's run exactly.
        negative_prompt: the unconditional branch's text, on both halves. The cloud reads it in
            clear, so one that states a sensitive attribute is refused (`plan`).
        quiet: no progress bars.
    """
    check_int("device timestep shift", device_timestep_shift, minimum=0)
    check_scheduler_config(large, scheduler)  # from config files, before any weight loads
    timings: dict[str, float] = {}
    with _timed(timings, "total_s"):
        with _timed(timings, "prepare_s"):
            request = plan(
                prompt,
                large=large,
                taxonomy=taxonomy,
                max_candidates=max_candidates,
                shuffle_seed=shuffle_seed,
                opt_in=opt_in,
                strict=strict,
                policy=policy,
                generalize=generalize,
                min_anonymity=min_anonymity,
                steps=steps,
                switch_step=switch_step,
                scheduler=scheduler,
                guidance=guidance,
                seed=seed,
                height=height,
                width=width,
                accel=AccelConfig.parse(accel, switch_step=switch_step, num_steps=steps),
                negative_prompt=negative_prompt,
            )
            small = small or default_small(large)
            backend, cloud_name = _backend(cloud, large, token, quiet)
        with _timed(timings, "load_device_s"):
            device = DeviceEngine(load_device_model(large, small))
        with _timed(timings, "cloud_s"):
            state = backend.denoise(request.spec)
        with _timed(timings, "device_s"):
            latents = finish_on_device(device, request, state, timestep_shift=device_timestep_shift, quiet=quiet)
        with _timed(timings, "decode_s"):
            image = device.decode(latents)[0]
    report = _report(request, state, large=large, small=device.model.model_id, cloud=cloud_name, timings=timings)
    return GenerationResult(image=image, latents=latents.cpu(), candidate_set=request.candidate_set, report=report)


def plan(
    prompt: str,
    *,
    large: str = DEFAULT_LARGE,
    taxonomy: Taxonomy | str | Path | None = None,
    max_candidates: int | None = None,
    shuffle_seed: int | None = None,
    seed: int | None = None,
    opt_in: Sequence[str] = (),
    strict: bool = False,
    policy: str | None = None,
    generalize: bool | None = None,
    min_anonymity: int | None = None,
    **options: Any,
) -> Plan:
    """Phase one, on the device: the candidate set of `prompt` and the cloud request for it.

    `options` are `DenoiseSpec`'s public options (steps, switch_step, scheduler, guidance,
    height, width, accel); `seed` is drawn from a CSPRNG when None. `opt_in`, `strict`,
    `policy`, `generalize` and `min_anonymity` as in `generate`: the anonymity policy is applied
    and its refusals raised here, before any request exists.
    """
    # the one function `obclip candidates --large` shows too: what the user sees is what is sent
    candidate_set = cloud_view(
        prompt,
        large=large,
        taxonomy=taxonomy,
        max_candidates=max_candidates,
        seed=shuffle_seed,
        opt_in=(opt_in,) if isinstance(opt_in, str) else tuple(opt_in),
        policy=policy,
        generalize=generalize,
    )
    check_anonymity(candidate_set, strict=strict, min_anonymity=min_anonymity, prefix="")
    if strict:
        refuse_warnings(candidate_set, "strict")
    resolved = candidate_set.template.taxonomy
    check_negative_prompt(options.get("negative_prompt", ""), resolved)
    # over-long prompts are refused here, quoting the user's own text, before any model loads
    check_prompt_lengths(prompt, candidate_set.candidates, large, negative=options.get("negative_prompt", "") or "")
    seed = secrets.randbits(63) if seed is None else seed
    spec = DenoiseSpec(candidates=candidate_set.candidates, seed=seed, **options)
    return Plan(taxonomy=resolved, candidate_set=candidate_set, spec=spec)


def finish_on_device(
    device: DeviceEngine, request: Plan, state: DenoiseState, *, timestep_shift: int = 0, quiet: bool = True
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
    )


def state_payload_bytes(state: DenoiseState) -> int:
    """Bytes of the tensors the cloud handed over (latents, schedule, solver history); the wire
    form adds a JSON header of a few kB. Read off the tensors, without serialising them again."""
    tensors = (state.latents, state.timesteps, *state.history.values())
    return sum(t.numel() * t.element_size() for t in tensors)


def _report(
    request: Plan, state: DenoiseState, *, large: str, small: str, cloud: str, timings: dict[str, float]
) -> GenerationReport:
    spec, candidate_set = request.spec, request.candidate_set
    return GenerationReport(
        num_candidates=len(candidate_set),
        switch_step=spec.switch_step,
        steps=spec.steps,
        scheduler=spec.scheduler,
        guidance=spec.guidance,
        seed=spec.seed,
        height=int(state.metadata["height"]),
        width=int(state.metadata["width"]),
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


@contextmanager
def _timed(timings: dict[str, float], key: str) -> Iterator[None]:
    """Record the wall time of the block under `key`."""
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[key] = time.perf_counter() - started


def resolve_taxonomy(taxonomy: Taxonomy | str | Path | None, large: str) -> Taxonomy:
    """The taxonomy a request is expanded with (see `generate`)."""
    return _resolve_taxonomy(taxonomy, large)


def _backend(cloud: str | CloudBackend, large: str, token: str | None, quiet: bool) -> tuple[CloudBackend, str]:
    if not isinstance(cloud, str):
        return cloud, type(cloud).__name__
    if cloud == "local":
        return LocalCloud(large, quiet=quiet), "local"
    if cloud.startswith(("http://", "https://")):
        from obclip.service.client import HttpCloud

        return HttpCloud(cloud, token=token, model=large), cloud
    raise InvalidInputError(f"--cloud must be 'local' or an http(s):// URL, got {cloud!r}")
