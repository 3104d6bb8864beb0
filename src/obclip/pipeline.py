"""`ObclipPipeline`: private generation in the shape diffusers users know (`from_pretrained`, `.to`,
`__call__` -> `.images`), owning the device's models and its cloud, each on its own device and dtype.

`api.generate` is the one-call form on top of it; `api.plan` and `api.finish_on_device` are its phases.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from PIL import Image

from obclip.accel.config import AccelConfig
from obclip.api import GenerationResult, finish_on_device, make_report, plan
from obclip.defaults import DEFAULT_LARGE
from obclip.engine.cloud import CloudBackend, LocalCloud
from obclip.engine.device import DeviceEngine
from obclip.engine.loop import StepEnd
from obclip.engine.models import (
    ModelBundle,
    check_scheduler_config,
    default_small,
    load_device_model,
    placement,
)
from obclip.errors import InvalidInputError, check_int
from obclip.options import PLAN_FIELDS, GenerationOptions, PublicOptions, option_fields

StepEndCallback = Callable[["ObclipPipeline", int, torch.Tensor, dict[str, Any]], "dict[str, Any] | None"]
"""diffusers' `callback_on_step_end(pipe, step_index, timestep, callback_kwargs)`; `callback_kwargs`
holds `latents` (the rows of the half that ran the step) and `phase` (`"cloud"` or `"device"`). A
returned dict's `latents` replace the latents the run continues from; raising stops the run."""


@dataclass
class ObclipPipelineOutput:
    """What a call made: `images` (PIL, one per seed) as diffusers' outputs, and per image its
    `GenerationResult` (final latents, candidate set, report)."""

    images: list[Image.Image]
    results: list[GenerationResult] = field(default_factory=list)


class DeviceHalf:
    """The device's models: the small UNet with the large model's text encoder and VAE, on this
    half's own device and dtype (the cloud's, in-process, has its own: `LocalCloud`)."""

    def __init__(
        self,
        large: str,
        small: str | None = None,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | str | None = None,
    ) -> None:
        self.large = large
        self.small = small or default_small(large)
        self.device, self.dtype = placement(device, dtype)
        self._engine: DeviceEngine | None = None

    def to(self, device: torch.device | str | None = None, dtype: torch.dtype | str | None = None) -> DeviceHalf:
        """Run on `device` in `dtype` from now on (the models are taken from the cache there on next use)."""
        where, kind = placement(device or self.device, dtype or self.dtype)
        if (where, kind) != (self.device, self.dtype):
            self.device, self.dtype, self._engine = where, kind, None
        return self

    @property
    def model(self) -> ModelBundle:
        return self.engine().model

    def engine(self) -> DeviceEngine:
        """The device engine, its models loaded on the first call."""
        if self._engine is None:
            bundle = load_device_model(self.large, self.small, device=self.device, dtype=self.dtype)
            self._engine = DeviceEngine(bundle)
        return self._engine


class ObclipPipeline:
    """Generates an image for a prompt without the cloud learning which candidate is the user's.

    Build it with `from_pretrained`; call it with the prompt and diffusers' option names
    (`num_inference_steps`, `guidance_scale`, `negative_prompt`, `height`, `width`, `generator` or
    `seed`, `callback_on_step_end`) or obclip's own (`GenerationOptions`' names, e.g. `switch_step`,
    `max_candidates`, `generalize`, `accel`).

    The seed: a `torch.Generator` stands for its `initial_seed()` (its state is not consumed), so
    `generator=torch.Generator().manual_seed(0)` is `seed=0` is `obclip generate --seed 0`. obclip
    draws its initial noise on the CPU from that seed whatever the device, so one seed makes the
    same image on every machine. A list of generators (or of seeds) makes one image per entry.
    """

    def __init__(self, device: DeviceHalf, cloud: CloudBackend, *, cloud_name: str, quiet: bool = True) -> None:
        self.device_half = device
        self.cloud = cloud
        self.cloud_name = cloud_name
        self.quiet = quiet

    @classmethod
    def from_pretrained(
        cls,
        large: str = DEFAULT_LARGE,
        small: str | None = None,
        *,
        torch_dtype: torch.dtype | str | None = None,
        device: torch.device | str | None = None,
        cloud: str | CloudBackend = "local",
        cloud_device: torch.device | str | None = None,
        cloud_dtype: torch.dtype | str | None = None,
        token: str | None = None,
        http: Any = None,
        quiet: bool = True,
    ) -> ObclipPipeline:
        """A pipeline for the cloud model `large` and the device model `small` (its default partner
        when None; `"same"` runs `large` on the device too).

        `device` and `torch_dtype` place the device's models (default: the first GPU in float16,
        else the CPU in float32); `cloud_device` and `cloud_dtype` the in-process cloud's (default:
        the same as the device's). `cloud` is `"local"`, an `http(s)://` URL of an obclip server
        (`token`, and `http`, a `service.client.HttpOptions`, configure the client) or a backend.
        Nothing is loaded until the first call.
        """
        half = DeviceHalf(large, small, device=device, dtype=torch_dtype)
        if not isinstance(cloud, str):
            return cls(half, cloud, cloud_name=type(cloud).__name__, quiet=quiet)
        if cloud == "local":
            where = cloud_device if cloud_device is not None else half.device
            kind = cloud_dtype if cloud_dtype is not None else (half.dtype if cloud_device is None else None)
            return cls(half, LocalCloud(large, quiet=quiet, device=where, dtype=kind), cloud_name="local", quiet=quiet)
        if cloud.startswith(("http://", "https://")):
            from obclip.service.client import HttpCloud

            extra = {"options": http} if http is not None else {}
            return cls(half, HttpCloud(cloud, token=token, model=large, **extra), cloud_name=cloud, quiet=quiet)
        raise InvalidInputError(f"--cloud must be 'local' or an http(s):// URL, got {cloud!r}")

    @property
    def large(self) -> str:
        return self.device_half.large

    @property
    def small(self) -> str:
        return self.device_half.small

    @property
    def device(self) -> torch.device:
        """Where the device's models run."""
        return self.device_half.device

    @property
    def dtype(self) -> torch.dtype:
        return self.device_half.dtype

    def to(self, device: torch.device | str | None = None, dtype: torch.dtype | str | None = None) -> ObclipPipeline:
        """Move the device's models, and an in-process cloud's, to `device` in `dtype` (as diffusers'
        `.to`). A remote cloud stays where it is; `pipe.device_half.to` and `pipe.cloud.to` move one half."""
        self.device_half.to(device, dtype)
        if isinstance(self.cloud, LocalCloud):
            self.cloud.to(device, dtype)
        return self

    def __call__(
        self,
        prompt: str,
        *,
        num_inference_steps: int | None = None,
        guidance_scale: float | None = None,
        negative_prompt: str | None = None,
        height: int | None = None,
        width: int | None = None,
        generator: torch.Generator | Sequence[torch.Generator] | None = None,
        seed: int | Sequence[int] | None = None,
        callback_on_step_end: StepEndCallback | None = None,
        options: GenerationOptions | None = None,
        **obclip_options: Any,
    ) -> ObclipPipelineOutput:
        """One image per seed for `prompt` (one, from a CSPRNG seed, when neither `generator` nor `seed`).

        diffusers' names map to obclip's: `num_inference_steps` is T (`steps`), `guidance_scale` is
        `guidance`. `options` (a `GenerationOptions`) and `obclip_options` (its names) give the rest;
        the models are the pipeline's own (`large`, `small` and `cloud` are refused here).
        """
        named = {
            "steps": num_inference_steps,
            "guidance": guidance_scale,
            "negative_prompt": negative_prompt,
            "height": height,
            "width": width,
        }
        values = {**obclip_options, **{k: v for k, v in named.items() if v is not None}}
        for owned in ("large", "small", "cloud", "token"):
            if owned in values:
                raise TypeError(f"{owned!r} is the pipeline's own: give it to ObclipPipeline.from_pretrained")
        chosen = (options or GenerationOptions()).replace(
            large=self.large, small=self.small, cloud=self.cloud_name, **values
        )
        seeds = seeds_of(generator, seed)
        results = [self.generate(prompt, chosen, seed=s, callback=callback_on_step_end) for s in seeds]
        return ObclipPipelineOutput(images=[r.image for r in results], results=results)

    def generate(
        self,
        prompt: str,
        options: GenerationOptions,
        *,
        seed: int | None = None,
        callback: StepEndCallback | None = None,
    ) -> GenerationResult:
        """One image: `plan` (taxonomy, candidate set, cloud request), the cloud's steps [0, k) on
        every candidate and the device's steps [k, T) on its own row, each timed in the report."""
        public, private = options.public, options.private
        check_int("device timestep shift", private.device_timestep_shift, minimum=0)
        check_scheduler_config(self.large, public.scheduler)  # from config files, before any weight loads
        accel = AccelConfig.parse(public.accel, switch_step=public.switch_step, num_steps=public.steps)
        timings: dict[str, float] = {}
        with _timed(timings, "total_s"):
            with _timed(timings, "prepare_s"):
                request = plan(
                    prompt,
                    large=self.large,
                    seed=seed,
                    **{name: getattr(private, name) for name in PLAN_FIELDS},
                    **{**_public_values(public), "accel": accel},
                )
            with _timed(timings, "load_device_s"):
                device = self.device_half.engine()
            with _timed(timings, "cloud_s"):
                if getattr(self.cloud, "reports_steps", False):
                    state = self.cloud.denoise(request.spec, on_step_end=self._step_end(callback, "cloud"))  # type: ignore[call-arg]
                else:
                    state = self.cloud.denoise(request.spec)
            with _timed(timings, "device_s"):
                latents = finish_on_device(
                    device,
                    request,
                    state,
                    timestep_shift=private.device_timestep_shift,
                    quiet=self.quiet,
                    on_step_end=self._step_end(callback, "device"),
                )
            with _timed(timings, "decode_s"):
                image = device.decode(latents)[0]
        report = make_report(
            request, state, large=self.large, small=device.model.model_id, cloud=self.cloud_name, timings=timings
        )
        return GenerationResult(image=image, latents=latents.cpu(), candidate_set=request.candidate_set, report=report)

    def _step_end(self, callback: StepEndCallback | None, phase: str) -> StepEnd | None:
        if callback is None:
            return None

        def on_step_end(step: int, timestep: torch.Tensor, latents: torch.Tensor) -> torch.Tensor | None:
            returned = callback(self, step, timestep, {"latents": latents, "phase": phase})
            replaced = returned.get("latents") if isinstance(returned, dict) else None
            return replaced if isinstance(replaced, torch.Tensor) and replaced is not latents else None

        return on_step_end


def seeds_of(
    generator: torch.Generator | Sequence[torch.Generator] | None, seed: int | Sequence[int] | None
) -> list[int | None]:
    """The seed of each image: a generator's `initial_seed()`, the seeds given, or one random (None)."""
    if generator is not None and seed is not None:
        raise InvalidInputError("give a generator or a seed, not both")
    if generator is not None:
        generators = [generator] if isinstance(generator, torch.Generator) else list(generator)
        if not all(isinstance(g, torch.Generator) for g in generators):
            raise InvalidInputError("generator must be a torch.Generator or a list of them")
        return [int(g.initial_seed()) for g in generators]
    if seed is None:
        return [None]
    seeds = [seed] if isinstance(seed, int) else list(seed)
    return list(seeds) or [None]


def _public_values(public: PublicOptions) -> dict[str, Any]:
    return {f.name: getattr(public, f.name) for f, _ in option_fields(PublicOptions)}


@contextmanager
def _timed(timings: dict[str, float], key: str) -> Iterator[None]:
    """Record the wall time of the block under `key`."""
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[key] = time.perf_counter() - started
