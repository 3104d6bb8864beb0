"""Reference runs the hand-off is measured against: diffusers' own SDXL pipeline on obclip's
components, initial noise and per-step noise, and the relative error both tests and bench report.
"""

from __future__ import annotations

from typing import Any

import torch

from obclip.engine.cloud import initial_noise
from obclip.engine.loop import step_generators
from obclip.engine.models import ModelBundle
from obclip.engine.schedulers import make_scheduler
from obclip.engine.spec import DenoiseSpec


def relative_error(got: torch.Tensor, want: torch.Tensor) -> float:
    """||got - want|| / ||want||."""
    return float((got - want).norm() / want.norm())


def sdxl_pipeline_latents(
    parts: Any, model: ModelBundle, spec: DenoiseSpec, *, force_zeros: bool = True
) -> torch.Tensor:
    """`StableDiffusionXLPipeline` over `spec`'s first candidate and all T steps, on `parts`' encoders
    and VAE and `model`'s UNet, from obclip's initial noise (and, for LCM, obclip's (seed, step) noise)."""
    from diffusers import StableDiffusionXLPipeline

    scheduler = make_scheduler(spec.scheduler, model.schedule, spec.steps)
    if spec.scheduler == "lcm":
        seed = spec.seed

        class SeededLCM(type(scheduler)):
            """LCM whose step noise is obclip's (seed, step) draw instead of the pipeline's generator."""

            def step(self, model_output, timestep, sample, generator=None, return_dict=True):
                if self.step_index is None:
                    self._init_step_index(timestep)
                generator = step_generators([seed], self.step_index)
                return super().step(model_output, timestep, sample, generator=generator, return_dict=return_dict)

        scheduler = SeededLCM.from_config(scheduler.config)
    pipe = StableDiffusionXLPipeline(
        vae=parts.vae,
        text_encoder=parts.text_encoder,
        text_encoder_2=parts.text_encoder_2,
        tokenizer=parts.tokenizer,
        tokenizer_2=parts.tokenizer_2,
        unet=model.unet,
        scheduler=scheduler,
        force_zeros_for_empty_prompt=force_zeros,
    )
    pipe.set_progress_bar_config(disable=True)
    height = spec.height or model.default_size
    width = spec.width or model.default_size
    factor = model.vae_scale_factor
    # prepare_latents multiplies latents passed in by init_noise_sigma, as obclip's cloud does.
    noise = initial_noise(spec.seed, model.latent_channels, height // factor, width // factor)
    return pipe(
        spec.candidates[0],
        num_inference_steps=spec.steps,
        guidance_scale=spec.guidance,
        latents=noise,
        height=height,
        width=width,
        output_type="latent",
    ).images
