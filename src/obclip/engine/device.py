"""The device's half: check the cloud's answer, keep one row, run steps [k, T), decode.

The scheduler is rebuilt from the state on the full schedule and resumed at step k with the
multistep history that crossed the wire, so the hand-off is exact.
"""

from __future__ import annotations

import torch
from diffusers.image_processor import VaeImageProcessor
from PIL import Image

from obclip.engine.loop import denoise
from obclip.engine.models import ModelBundle
from obclip.engine.schedulers import import_history, rebuild_scheduler, scheduler_class, start_at
from obclip.engine.spec import DenoiseSpec
from obclip.engine.state import DenoiseState
from obclip.errors import StateError


def check_response(state: DenoiseState, spec: DenoiseSpec, model: ModelBundle) -> None:
    """Refuse a cloud answer that does not match the request: never a silent wrong image."""
    meta = state.metadata
    expected = {
        "num_candidates": spec.num_candidates,
        "steps": spec.steps,
        "switch_step": spec.switch_step,
        "scheduler": spec.scheduler,
        "seed": spec.seed,
        "guidance": spec.guidance,
    }
    for key, value in expected.items():
        if meta.get(key) != value:
            raise StateError(f"cloud answered {key}={meta.get(key)!r}, the request asked for {value!r}")
    if state.num_candidates != spec.num_candidates:
        raise StateError(f"cloud returned {state.num_candidates} latents for {spec.num_candidates} candidates")
    if (state.step_index, state.num_steps) != (spec.switch_step, spec.steps):
        raise StateError(
            f"cloud stopped at step {state.step_index}/{state.num_steps}, asked {spec.switch_step}/{spec.steps}"
        )
    if state.scheduler_class != scheduler_class(spec.scheduler).__name__:
        raise StateError(f"cloud used scheduler {state.scheduler_class}, asked {spec.scheduler}")
    height = spec.height or model.default_size
    width = spec.width or model.default_size
    factor = model.vae_scale_factor
    shape = (spec.num_candidates, model.latent_channels, height // factor, width // factor)
    if tuple(state.latents.shape) != shape:
        raise StateError(f"cloud latents have shape {tuple(state.latents.shape)}, expected {shape}")
    if state.latents.dtype != torch.float32:
        raise StateError(f"cloud latents are {state.latents.dtype}, expected float32")
    if meta.get("candidates_digest") != spec.candidates_digest():
        raise StateError("cloud answered for a different candidate set or order")


class DeviceEngine:
    """Finishes one candidate's run with the device model and decodes it."""

    def __init__(self, model: ModelBundle) -> None:
        self.model = model
        self._images = VaeImageProcessor(vae_scale_factor=model.vae_scale_factor)

    def finish(self, state: DenoiseState, prompt: str, *, guidance: float, quiet: bool = True) -> torch.Tensor:
        """Run steps [state.step_index, state.num_steps) for one row conditioned on `prompt`."""
        if state.num_candidates != 1:
            raise StateError("the device continues exactly one candidate; select its row first")
        if state.latents.shape[1] != self.model.latent_channels:
            raise StateError(
                f"state has {state.latents.shape[1]} latent channels, the device model {self.model.latent_channels}"
            )
        scheduler = rebuild_scheduler(state.scheduler_class, state.scheduler_config, state.num_steps)
        if not torch.equal(scheduler.timesteps.cpu(), state.timesteps.cpu().to(scheduler.timesteps.dtype)):
            raise StateError("the rebuilt schedule differs from the one the cloud ran")
        start_at(scheduler, state.step_index)
        import_history(scheduler, state.history, state.history_meta, device=self.model.device)
        if state.step_index == state.num_steps:
            return state.latents.to(self.model.device)
        conditioning = self.model.text.guidance_batch([prompt], guidance > 1.0)
        return denoise(
            self.model.unet,
            scheduler,
            state.latents,
            conditioning,
            start=state.step_index,
            stop=state.num_steps,
            guidance=guidance,
            desc="device steps",
            quiet=quiet,
        )

    @torch.no_grad()
    def decode(self, latents: torch.Tensor) -> list[Image.Image]:
        """VAE-decode latents to PIL images."""
        vae = self.model.vae
        scaled = latents.to(device=vae.device, dtype=vae.dtype) / vae.config.scaling_factor
        pixels = vae.decode(scaled, return_dict=False)[0]
        return self._images.postprocess(pixels.float(), output_type="pil")
