"""The one-call Python API: `generate(prompt)` -> image and report, over cloud and device halves.

The prompt is expanded into its candidate set on the device; only the set and public options
go to the cloud (in-process or over HTTP); the device keeps its row and finishes it.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from obclip.engine import (
    CloudBackend,
    DenoiseSpec,
    DeviceEngine,
    LocalCloud,
    check_response,
    default_small,
    load_device_model,
)
from obclip.engine.embedded import DEFAULT_LARGE
from obclip.engine.models import canonical_id, model_taxonomy
from obclip.engine.schedulers import DEFAULT_SCHEDULER
from obclip.engine.spec import DEFAULT_GUIDANCE, DEFAULT_STEPS, DEFAULT_SWITCH_STEP
from obclip.errors import InvalidInputError
from obclip.privacy import (
    CandidateSet,
    Taxonomy,
    build_candidate_set,
    combine_taxonomies,
    default_taxonomy,
    load_taxonomy,
)


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
    state_bytes: int
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
    accel: Any = None,
    cloud: str | CloudBackend = "local",
    token: str | None = None,
    shuffle_seed: int | None = None,
    quiet: bool = True,
) -> GenerationResult:
    """Generate an image for `prompt` without the cloud learning which candidate is the user's.

    Args:
        prompt: the user's prompt; it never leaves this process, only its candidate set does.
        large: cloud model (hub id, local diffusers directory or `embedded:NAME`).
        small: device model sharing `large`'s text encoder and VAE; `"same"` reuses `large`.
        steps, switch_step: T and k; the cloud runs [0, k), the device [k, T).
        scheduler: `dpmsolver++` (default), `ddim` or `euler`.
        guidance: classifier-free guidance scale (both halves).
        seed: seed of the initial noise shared by all candidates; random when None.
        height, width: image size; the model's own size when None.
        max_candidates: budget on N (see docs/privacy.md for what it costs in privacy).
        taxonomy: a `Taxonomy` or a path to a taxonomy file. When None: the packaged default,
            extended by the taxonomy that comes with the model, if any.
        accel: an `obclip.accel.AccelConfig` for the cloud, None for plain steps.
        cloud: `"local"` (in-process), an `http(s)://` URL of an obclip server, or a backend.
        token: bearer token for a remote cloud.
        shuffle_seed: fixes the candidate order (tests, reproducibility); CSPRNG when None.
        quiet: no progress bars.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    taxonomy = resolve_taxonomy(taxonomy, large)
    candidate_set = build_candidate_set(prompt, taxonomy=taxonomy, max_candidates=max_candidates, seed=shuffle_seed)
    if seed is None:
        seed = secrets.randbits(63)
    spec = DenoiseSpec(
        candidates=candidate_set.candidates,
        steps=steps,
        switch_step=switch_step,
        scheduler=scheduler,
        guidance=guidance,
        height=height,
        width=width,
        seed=seed,
        accel=accel,
    )
    small = small or default_small(large)
    backend, cloud_name = _backend(cloud, large, token, quiet)
    timings["prepare_s"] = time.perf_counter() - started

    mark = time.perf_counter()
    device_model = load_device_model(large, small)
    device = DeviceEngine(device_model)
    timings["load_device_s"] = time.perf_counter() - mark

    mark = time.perf_counter()
    state = backend.denoise(spec)
    timings["cloud_s"] = time.perf_counter() - mark
    state_bytes = len(state.to_bytes())
    check_response(state, spec, device_model)

    mark = time.perf_counter()
    mine = state.select(candidate_set.true_index)
    latents = device.finish(mine, candidate_set.true_prompt, guidance=guidance, quiet=quiet)
    timings["device_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    image = device.decode(latents)[0]
    timings["decode_s"] = time.perf_counter() - mark
    timings["total_s"] = time.perf_counter() - started

    report = GenerationReport(
        num_candidates=len(candidate_set),
        switch_step=switch_step,
        steps=steps,
        scheduler=scheduler,
        guidance=guidance,
        seed=seed,
        height=int(state.metadata["height"]),
        width=int(state.metadata["width"]),
        large=canonical_id(large),
        small=device_model.model_id,
        cloud=cloud_name,
        candidates=list(candidate_set.candidates),
        template=str(candidate_set.template),
        taxonomy=taxonomy.source,
        accelerations=list(accel.names) if accel is not None else [],
        notice=candidate_set.notice,
        state_bytes=state_bytes,
        timings=timings,
    )
    return GenerationResult(image=image, latents=latents.cpu(), candidate_set=candidate_set, report=report)


def resolve_taxonomy(taxonomy: Taxonomy | str | Path | None, large: str) -> Taxonomy:
    """The taxonomy a request is expanded with (see `generate`)."""
    if isinstance(taxonomy, Taxonomy):
        return taxonomy
    if taxonomy is not None:
        return load_taxonomy(taxonomy)
    own = model_taxonomy(large)
    return combine_taxonomies(load_taxonomy(own), default_taxonomy()) if own else default_taxonomy()


def _backend(cloud: str | CloudBackend, large: str, token: str | None, quiet: bool) -> tuple[CloudBackend, str]:
    if not isinstance(cloud, str):
        return cloud, type(cloud).__name__
    if cloud == "local":
        return LocalCloud(large, quiet=quiet), "local"
    if cloud.startswith(("http://", "https://")):
        from obclip.service.client import HttpCloud

        return HttpCloud(cloud, token=token, model=large), cloud
    raise InvalidInputError(f"--cloud must be 'local' or an http(s):// URL, got {cloud!r}")
