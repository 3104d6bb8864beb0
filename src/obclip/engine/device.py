"""The device's half: check the cloud's answer, keep one row, run steps [k, T), decode.

The device trusts the cloud only for what it cannot know (the latents and the solver history's
values). The scheduler is built from the device's OWN model and request; an answer whose
scheduler, schedule, history layout or shapes disagree with it is refused, and so are latents
that are, or become, non-finite: never a silent wrong or black image.
"""

from __future__ import annotations

import json
from typing import Any

import torch
from diffusers.image_processor import VaeImageProcessor
from diffusers.schedulers.scheduling_utils import SchedulerMixin
from PIL import Image

from obclip.engine.conditioning import cfg_scale, check_scheduler_fits, unet_conditioning
from obclip.engine.loop import StepEnd, denoise
from obclip.engine.models import ModelBundle, canonical_id, model_digest
from obclip.engine.schedulers import SCHEDULERS, export_history, import_history, make_scheduler, start_at
from obclip.engine.spec import DenoiseSpec
from obclip.engine.state import DenoiseState, json_default
from obclip.errors import ObclipError, StateError
from obclip.options import WIRE_FIELDS, PublicOptions


def same_model(a: str, b: str) -> bool:
    """Whether two model names name the same model (`embedded:default` is its target)."""
    return _canonical(a) == _canonical(b)


def model_matches(asked: str, name: object, digest: object = None) -> bool:
    """Whether a served model (readable `name`, content `digest`) is the model `asked` names here.

    By content where both sides have a digest (one directory by any path, or two copies of it,
    is one model; two checkpoints under one name are not); by name where either side has none.
    """
    mine = model_digest(asked) if isinstance(digest, str) else None
    if mine is not None:
        return mine == digest
    return isinstance(name, str) and same_model(name, asked)


def _canonical(model: str) -> str:
    try:
        return canonical_id(model)
    except ObclipError:
        return model


ECHOED: tuple[str, ...] = ("num_candidates", "seed", *(n for n in WIRE_FIELDS if n not in ("height", "width", "accel")))
"""What an answer's metadata must echo exactly: every public option (the size where the request
fixed it, checked apart; the accelerations change no result's meaning), the seed and N."""


def check_answer(state: DenoiseState, spec: DenoiseSpec, model: str | None = None) -> None:
    """Refuse an answer that does not echo the request (what can be checked without the device model).

    Row count and order (the candidates digest), steps, switch step, scheduler, seed, guidance, the
    size when the request fixed it and, if given, the `model` asked for (by content digest where
    both sides have one, `model_matches`). `HttpCloud` runs this on
    every answer; `check_response` runs it and the checks against the device's own model.
    """
    meta = state.metadata
    if meta.get("candidates_digest") != spec.candidates_digest():
        raise StateError("cloud answered for a different candidate set or order")
    for key in ECHOED:
        if meta.get(key) != getattr(spec, key):
            raise StateError(f"cloud answered {key}={meta.get(key)!r}, the request asked for {getattr(spec, key)!r}")
    for key in ("height", "width"):
        if getattr(spec, key) is not None and meta.get(key) != getattr(spec, key):
            raise StateError(f"cloud answered {key}={meta.get(key)!r}, the request asked for {getattr(spec, key)!r}")
    if state.num_candidates != spec.num_candidates:
        raise StateError(f"cloud returned {state.num_candidates} latents for {spec.num_candidates} candidates")
    if (state.step_index, state.num_steps) != (spec.switch_step, spec.steps):
        raise StateError(
            f"cloud stopped at step {state.step_index}/{state.num_steps}, asked {spec.switch_step}/{spec.steps}"
        )
    if model is not None and not model_matches(model, meta.get("model"), meta.get("model_digest")):
        raise StateError(
            f"cloud answered with model {meta.get('model')!r} ({meta.get('model_digest')}), "
            f"the request asked for {model!r} ({model_digest(model)})"[:300]
        )


def check_response(state: DenoiseState, spec: DenoiseSpec, model: ModelBundle) -> None:
    """`check_answer`, then every field the device knows from its own model and the request.

    The latents' shape and dtype, the scheduler's class and full config, the schedule, and the
    solver history's names, presence flags, counters, dtypes and shapes must be exactly what the
    device's own scheduler has after `switch_step` steps.
    """
    check_answer(state, spec)
    height = spec.height or model.default_size
    width = spec.width or model.default_size
    factor = model.vae_scale_factor
    shape = (spec.num_candidates, model.latent_channels, height // factor, width // factor)
    if tuple(state.latents.shape) != shape:
        raise StateError(f"cloud latents have shape {tuple(state.latents.shape)}, expected {shape}")
    if state.latents.dtype != torch.float32:
        raise StateError(f"cloud latents are {state.latents.dtype}, expected float32")
    if (state.metadata.get("height"), state.metadata.get("width")) != (height, width):
        raise StateError(f"cloud answered size {state.metadata.get('height')}x{state.metadata.get('width')}")
    device_scheduler(state, model.schedule, spec.scheduler)
    expected, expected_meta = _expected_history(spec.scheduler, model.schedule, spec.steps, spec.switch_step, shape)
    if _jsonable(state.history_meta) != _jsonable(expected_meta):
        raise StateError(
            f"cloud's solver history {state.history_meta!r:.120} differs from the expected {expected_meta!r}"
        )
    if set(state.history) != set(expected):
        extra = sorted(set(state.history) ^ set(expected))
        raise StateError(f"cloud's solver history holds other tensors than expected: {extra[:5]!r:.200}")
    for name, tensor in state.history.items():
        want = expected[name]
        if tensor.dtype != want.dtype or tuple(tensor.shape) != tuple(want.shape):
            raise StateError(
                f"cloud's history tensor {name!r} is {tensor.dtype} {tuple(tensor.shape)}, "
                f"expected {want.dtype} {tuple(want.shape)}"
            )


def device_scheduler(state: DenoiseState, schedule: dict[str, Any], name: str | None = None) -> SchedulerMixin:
    """The scheduler the device runs, built from its own model's noise schedule, not from the answer.

    The answer's class, full config and schedule must equal it, field for field.
    """
    if name is None:
        name = _scheduler_name(state.scheduler_class)
    scheduler = make_scheduler(name, schedule, state.num_steps)
    if state.scheduler_class != type(scheduler).__name__:
        raise StateError(f"cloud used scheduler {state.scheduler_class!r}, the request asked for {name}")
    # Keys starting with "_" are diffusers' bookkeeping (e.g. `_use_default_values`, a list in set
    # order that differs between processes), not the scheduler's behaviour.
    own = _jsonable({k: v for k, v in scheduler.config.items() if not k.startswith("_")})
    theirs = _jsonable({k: v for k, v in state.scheduler_config.items() if not str(k).startswith("_")})
    if theirs != own:
        keys = sorted(k for k in set(own) | set(theirs) if own.get(k, KeyError) != theirs.get(k, KeyError))
        shown = ", ".join(
            f"{_printable(k):.40}={theirs.get(k, '(missing)')!r:.60} (expected {own.get(k, '(none)')!r})"
            for k in keys[:3]
        )
        raise StateError(f"cloud's scheduler config differs from the device model's: {shown}"[:300])
    if state.timesteps.dtype != scheduler.timesteps.dtype or not torch.equal(
        state.timesteps.cpu(), scheduler.timesteps.cpu()
    ):
        raise StateError("cloud's schedule (timesteps) differs from the device model's")
    return scheduler


def _printable(text: str) -> str:
    return text.encode("unicode_escape").decode("ascii")


def _scheduler_name(class_name: str) -> str:
    for name, (cls, _) in SCHEDULERS.items():
        if cls.__name__ == class_name:
            return name
    raise StateError(f"unsupported scheduler class {class_name!r} in denoise state"[:200])


def _expected_history(
    name: str, schedule: dict[str, Any], steps: int, switch_step: int, shape: tuple[int, ...]
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The history layout the device's own scheduler has after `switch_step` steps (stepped on zeros)."""
    scheduler = make_scheduler(name, schedule, steps)
    start_at(scheduler, 0)
    tensors, meta = export_history(scheduler)
    if not any(meta.values()):  # a solver without history (DDIM, Euler)
        return tensors, meta
    sample = torch.zeros((1, *shape[1:]), dtype=torch.float32)
    for i in range(switch_step):
        sample = scheduler.step(torch.zeros_like(sample), scheduler.timesteps[i], sample, return_dict=False)[0]
    tensors, meta = export_history(scheduler)
    rows = shape[0]
    return {k: v.expand(rows, *v.shape[1:]) for k, v in tensors.items()}, meta


def _jsonable(value: Any) -> Any:
    """`value` as it reads after the wire's JSON round trip (tuples become lists, tensors lists)."""
    try:
        return json.loads(json.dumps(value, default=json_default, sort_keys=True))
    except (TypeError, ValueError):
        raise StateError("cloud's answer holds a value that is not plain JSON") from None


class DeviceEngine:
    """Finishes one candidate's run with the device model and decodes it."""

    def __init__(self, model: ModelBundle) -> None:
        self.model = model
        self._images = VaeImageProcessor(vae_scale_factor=model.vae_scale_factor)

    def finish(
        self,
        state: DenoiseState,
        prompt: str,
        *,
        guidance: float,
        negative_prompt: str = "",
        timestep_shift: int = 0,
        chunks: int | None = None,
        quiet: bool = True,
        on_step_end: StepEnd | None = None,
        options: PublicOptions | None = None,
    ) -> torch.Tensor:
        """Run steps [state.step_index, state.num_steps) for one row conditioned on `prompt`.

        `on_step_end(i, t, latents)` runs after each step (`loop.StepEnd`); `options` are the
        request's public options, for those the loop reads (the cloud's loop reads the same).

        `chunks` is the request's prompt length in chunks (`request_chunks`): the cloud padded every
        row to its longest candidate, so the device pads its own row the same way; None takes
        `prompt`'s and `negative_prompt`'s own (exact when no candidate is longer than 75 tokens).

        `timestep_shift` (dt) makes the device UNet read timestep t - dt while the scheduler steps
        on t (the paper's LCM setting uses dt = 8); 0 continues the cloud's run exactly.

        The scheduler comes from the device model's own schedule (`device_scheduler`); the answer
        only supplies the latents and the solver history. Non-finite results are refused.
        """
        if state.num_candidates != 1:
            raise RuntimeError("the device continues exactly one candidate; select its row first")
        if state.latents.shape[1] != self.model.latent_channels:
            raise StateError(
                f"state has {state.latents.shape[1]} latent channels, the device model {self.model.latent_channels}"
            )
        scheduler = device_scheduler(state, self.model.schedule)
        start_at(scheduler, state.step_index)
        import_history(scheduler, state.history, state.history_meta, device=self.model.device)
        if state.step_index == state.num_steps:
            latents = state.latents.to(self.model.device)
        else:
            check_scheduler_fits(self.model.unet, scheduler)
            factor = self.model.vae_scale_factor
            size = (state.latents.shape[2] * factor, state.latents.shape[3] * factor)
            conditioning = unet_conditioning(
                self.model.text,
                self.model.unet,
                [prompt],
                guidance=guidance,
                size=size,
                negative=negative_prompt,
                chunks=chunks,
            )
            seed = state.metadata.get("seed")
            latents = denoise(
                self.model.unet,
                scheduler,
                state.latents,
                conditioning,
                start=state.step_index,
                stop=state.num_steps,
                guidance=cfg_scale(self.model.unet, guidance),
                noise_seeds=[int(seed)] if isinstance(seed, int) else None,
                timestep_shift=timestep_shift,
                on_step_end=on_step_end,
                options=options,
                desc="device steps",
                quiet=quiet,
            )
        if not bool(torch.isfinite(latents).all()):
            raise StateError("the cloud's latents became NaN or infinite on the device; no image was made")
        return latents

    @torch.no_grad()
    def decode(self, latents: torch.Tensor) -> list[Image.Image]:
        """VAE-decode latents to PIL images; latents or pixels that are not finite are refused."""
        if not bool(torch.isfinite(latents).all()):
            raise StateError("latents contain NaN or infinite values; no image was made")
        vae = self.model.vae
        if vae.dtype == torch.float16 and vae.config.get("force_upcast", False):
            vae.to(torch.float32)  # SDXL's VAE overflows in float16; diffusers' SDXL pipeline upcasts it too
        scaled = latents.to(device=vae.device, dtype=vae.dtype) / vae.config.scaling_factor
        pixels = vae.decode(scaled, return_dict=False)[0]
        if not bool(torch.isfinite(pixels).all()):
            raise StateError("decoding gave NaN or infinite pixels (latents far out of range); no image was made")
        return self._images.postprocess(pixels.float(), output_type="pil")
