"""Reference runs the engine is measured against: diffusers' own pipelines (SD and SDXL), built from
the model's own scheduler config the way a diffusers user builds them, and the relative error.

Nothing here builds a scheduler through obclip's `make_scheduler`: a reference must be able to
disagree with it. A scheduler name means a diffusers class and its options (`SCHEDULERS`), built
as `cls.from_config(model_config, **options)` and handed to the pipeline, which applies its own
rewrites (SD's pipeline sets `clip_sample=False`, `steps_offset=1`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from diffusers.schedulers.scheduling_utils import SchedulerMixin

from obclip.engine.cloud import initial_noise
from obclip.engine.loop import step_generators
from obclip.engine.models import ModelBundle
from obclip.engine.schedulers import SCHEDULERS
from obclip.engine.spec import DenoiseSpec


def relative_error(got: torch.Tensor, want: torch.Tensor) -> float:
    """||got - want|| / ||want||."""
    return float((got - want).norm() / want.norm())


def reference_scheduler(name: str, model_config: Mapping[str, Any], *, seed: int | None = None) -> SchedulerMixin:
    """Scheduler `name` as diffusers builds it from a model's own scheduler config:
    `cls.from_config(model_config, **options)`. For LCM, `seed` makes its per-step noise obclip's
    (seed, step) draw instead of the pipeline generator's (the only liberty taken)."""
    cls, options = SCHEDULERS[name]
    if name == "lcm" and seed is not None:

        class SeededLCM(cls):  # type: ignore[valid-type, misc]
            """LCM whose step noise is obclip's (seed, step) draw."""

            def step(self, model_output, timestep, sample, generator=None, return_dict=True):
                if self.step_index is None:
                    self._init_step_index(timestep)
                generator = step_generators([seed], self.step_index)
                return super().step(model_output, timestep, sample, generator=generator, return_dict=return_dict)

        cls = SeededLCM
    from diffusers.utils import logging

    verbosity = logging.get_verbosity()
    # "config attributes ... will be ignored": another class's keys, as in diffusers' own use of from_config
    logging.set_verbosity_error()
    try:
        return cls.from_config(dict(model_config), **options)
    finally:
        logging.set_verbosity(verbosity)


def pipeline_from_parts(
    parts: Any, scheduler: SchedulerMixin, *, unet: Any = None, force_zeros: bool | None = None
) -> Any:
    """The diffusers pipeline of `parts`' family (SDXL's when it has a second text encoder, else
    `StableDiffusionPipeline`) over `parts`' components, `unet` instead of its own if given."""
    unet = unet if unet is not None else parts.unet
    if getattr(parts, "text_encoder_2", None) is not None:
        from diffusers import StableDiffusionXLPipeline

        if force_zeros is None:
            force_zeros = bool((getattr(parts, "pipeline", None) or {}).get("force_zeros_for_empty_prompt", True))
        pipe = StableDiffusionXLPipeline(
            vae=parts.vae,
            text_encoder=parts.text_encoder,
            text_encoder_2=parts.text_encoder_2,
            tokenizer=parts.tokenizer,
            tokenizer_2=parts.tokenizer_2,
            unet=unet,
            scheduler=scheduler,
            force_zeros_for_empty_prompt=force_zeros,
        )
    else:
        from diffusers import StableDiffusionPipeline

        pipe = StableDiffusionPipeline(
            vae=parts.vae,
            text_encoder=parts.text_encoder,
            tokenizer=parts.tokenizer,
            unet=unet,
            scheduler=scheduler,
            safety_checker=None,
            feature_extractor=None,
            requires_safety_checker=False,
        )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def pipeline_from_directory(path: str | Path, name: str, *, seed: int | None = None) -> Any:
    """`DiffusionPipeline.from_pretrained(path, scheduler=...)`: every component from the directory's
    files by diffusers itself, the scheduler `name` from its `scheduler/scheduler_config.json`."""
    from diffusers import DiffusionPipeline

    config = SCHEDULERS[name][0].load_config(str(path), subfolder="scheduler")
    pipe = DiffusionPipeline.from_pretrained(
        str(path), scheduler=reference_scheduler(name, config, seed=seed), dtype=torch.float32
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


@torch.no_grad()
def pipeline_latents(pipe: Any, spec: DenoiseSpec, *, device_unet: Any = None) -> torch.Tensor:
    """`pipe` over `spec`'s first candidate and all T steps from obclip's initial noise, as latents.

    With `device_unet`, the pipeline's UNet is swapped for it after step k (`callback_on_step_end`),
    which is the cloud/device split done inside diffusers' own loop.
    """
    factor = pipe.vae_scale_factor
    size = pipe.unet.config.sample_size
    size = int(size[0] if isinstance(size, (list, tuple)) else size) * factor
    height, width = spec.height or size, spec.width or size
    cloud_unet = pipe.unet
    if device_unet is not None and spec.switch_step == 0:
        pipe.unet = device_unet

    def swap(pipeline: Any, step: int, timestep: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        if device_unet is not None and step == spec.switch_step - 1:
            pipeline.unet = device_unet
        return kwargs

    # prepare_latents multiplies latents passed in by init_noise_sigma, as obclip's cloud does.
    channels = pipe.unet.config.in_channels
    noise = initial_noise(spec.seed, channels, height // factor, width // factor)
    try:
        return pipe(
            spec.candidates[0],
            num_inference_steps=spec.steps,
            guidance_scale=spec.guidance,
            negative_prompt=spec.negative_prompt or None,
            latents=noise,
            height=height,
            width=width,
            output_type="latent",
            callback_on_step_end=swap,
        ).images
    finally:
        pipe.unet = cloud_unet


def sdxl_pipeline_latents(
    parts: Any, model: ModelBundle, spec: DenoiseSpec, *, force_zeros: bool = True
) -> torch.Tensor:
    """`StableDiffusionXLPipeline` over `spec`'s first candidate and all T steps, on `parts`' encoders
    and VAE and `model`'s UNet, its scheduler built from `parts`' own scheduler config."""
    scheduler = reference_scheduler(spec.scheduler, parts.schedule, seed=spec.seed)
    pipe = pipeline_from_parts(parts, scheduler, unet=model.unet, force_zeros=force_zeros)
    return pipeline_latents(pipe, spec)
