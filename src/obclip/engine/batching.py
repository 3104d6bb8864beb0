"""Cross-request batching: which requests may share a UNet call, and how a batch is taken from a queue.

`CloudEngine.run_batch` runs a batch; this module decides what goes into one (`batch_key`,
`BatchPolicy`, `take_batch`) and holds no model or request state.
"""

from __future__ import annotations

import json
from collections.abc import Callable, MutableSequence
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from obclip.defaults import DEFAULT_MAX_BATCH_LATENT_PIXELS, DEFAULT_MAX_BATCH_ROWS
from obclip.engine.spec import DenoiseSpec
from obclip.errors import InvalidInputError
from obclip.options import WIRE_FIELDS

Job = TypeVar("Job")


def batch_key(spec: DenoiseSpec, model: Any) -> tuple[Any, ...]:
    """What two requests must share to run in one UNet call per step on `model` (a `ModelBundle`).

    Size (the model's own where the spec leaves it open), every other public option but the
    negative prompt (T, k, scheduler, guidance: `_PER_REQUEST`), the prompt
    length in chunks (the text states' sequence length) and the acceleration settings (each request
    is its own candidate group of the accelerated batch, with its own pivots, unconditional rows
    and caches; the step plan must be the same).
    """
    size = model.default_size
    accel = spec.accel if spec.accel is not None and spec.accel.enabled else None
    options = spec.public_options()
    return (
        spec.height or size,
        spec.width or size,
        *(options[name] for name in WIRE_FIELDS if name not in _PER_REQUEST),
        None if accel is None else json.dumps(accel.to_dict(), sort_keys=True),
        _chunks(spec, model),
    )


_PER_REQUEST = ("height", "width", "negative_prompt", "accel")
"""Public options two requests need not share to share a UNet call: the size is compared as
drawn (the model's own where left open), the negative prompt is each request's own unconditional
rows, the accelerations by their enabled settings. Every other public option must be equal."""


def _chunks(spec: DenoiseSpec, model: Any) -> int:
    text = getattr(model, "text", None)
    if text is None or not hasattr(text, "chunk_count"):
        return 1
    return int(text.chunk_count([*spec.candidates, spec.negative_prompt]))


def unet_rows(spec: DenoiseSpec) -> int:
    """Rows the request adds to each UNet call: 2N with classifier-free guidance, N without."""
    return 2 * spec.num_candidates if spec.guided else spec.num_candidates


@dataclass(frozen=True)
class BatchPolicy:
    """How large one batch may grow.

    Args:
        max_rows: UNet rows per call over all requests of a batch (2N per guided request).
        max_latent_pixels: UNet rows x latent height x latent width per call; the UNet's
            activation memory grows linearly in it, so it is the batch's memory budget. The
            default is 128 rows of SD-1.5 at 512 px (64 x 64 latents).
        enabled: False runs every request alone (one request per UNet call), as before batching.

    A request larger than either cap on its own still runs, alone (admission bounds it).
    """

    max_rows: int = DEFAULT_MAX_BATCH_ROWS
    max_latent_pixels: int = DEFAULT_MAX_BATCH_LATENT_PIXELS
    enabled: bool = True

    def __post_init__(self) -> None:
        for name in ("max_rows", "max_latent_pixels"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInputError(f"batch limit {name} must be an integer >= 1, got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def take_batch(
    pending: MutableSequence[Job],
    spec_of: Callable[[Job], DenoiseSpec],
    model: Any,
    policy: BatchPolicy,
) -> list[Job]:
    """Remove and return the next batch from `pending` (oldest first); empty if nothing waits.

    The oldest job always goes (no request waits behind later ones); the jobs that can share
    its UNet calls join it in arrival order while the batch stays within both caps. Jobs that
    differ, or do not fit, keep their places for a later batch.
    """
    if not pending:
        return []
    head = pending[0]
    batch = [head]
    if policy.enabled:
        head_spec = spec_of(head)
        key = batch_key(head_spec, model)
        pixels_per_row = _latent_pixels(head_spec, model)
        rows = unet_rows(head_spec)
        for job in list(pending)[1:]:
            spec = spec_of(job)
            more = unet_rows(spec)
            if rows + more > policy.max_rows or (rows + more) * pixels_per_row > policy.max_latent_pixels:
                continue
            if batch_key(spec, model) != key:
                continue
            batch.append(job)
            rows += more
    taken = {id(job) for job in batch}
    remaining = [job for job in pending if id(job) not in taken]
    pending.clear()
    pending.extend(remaining)
    return batch


def _latent_pixels(spec: DenoiseSpec, model: Any) -> int:
    factor = model.vae_scale_factor
    return ((spec.height or model.default_size) // factor) * ((spec.width or model.default_size) // factor)
