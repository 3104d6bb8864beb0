"""The cloud's half: steps [0, k) of the large model on every candidate, as a `DenoiseState`.

`CloudEngine` does the work in this process; `LocalCloud` is the in-process stand-in for the
HTTP service, with the same `denoise(spec)` call the remote client offers.
"""

from __future__ import annotations

import contextlib
from typing import Protocol

import torch

import obclip
from obclip.engine.loop import denoise
from obclip.engine.models import ModelBundle, load_model
from obclip.engine.schedulers import export_history, make_scheduler, start_at
from obclip.engine.spec import DenoiseSpec
from obclip.engine.state import DenoiseState
from obclip.errors import InvalidInputError


class CloudBackend(Protocol):
    """Anything that runs a `DenoiseSpec` and returns the partial run's state."""

    def denoise(self, spec: DenoiseSpec) -> DenoiseState: ...


def initial_noise(seed: int, channels: int, height: int, width: int) -> torch.Tensor:
    """The one z_T every candidate starts from: drawn on the CPU so every device agrees."""
    generator = torch.Generator("cpu").manual_seed(seed)
    return torch.randn((1, channels, height, width), generator=generator, dtype=torch.float32)


def image_size(spec: DenoiseSpec, model: ModelBundle) -> tuple[int, int]:
    """(height, width) in pixels, the model's own size where the spec leaves it open."""
    height = spec.height or model.default_size
    width = spec.width or model.default_size
    factor = model.vae_scale_factor
    if height % factor or width % factor:
        raise InvalidInputError(f"size {height}x{width} is not a multiple of the VAE factor {factor}")
    return height, width


class CloudEngine:
    """Runs the cloud's steps for a request on one loaded model."""

    def __init__(self, model: ModelBundle) -> None:
        self.model = model

    def check(self, spec: DenoiseSpec) -> None:
        """Refuse a request this model cannot serve faithfully (e.g. prompts it would truncate)."""
        for prompt in spec.candidates:
            self.model.text.check_fits(prompt)
        image_size(spec, self.model)
        if spec.accel is not None:
            spec.accel.validate(num_steps=spec.steps)

    def run(self, spec: DenoiseSpec, *, quiet: bool = True) -> DenoiseState:
        """Steps [0, spec.switch_step) on all candidates from one shared initial noise."""
        self.check(spec)
        model = self.model
        height, width = image_size(spec, model)
        factor = model.vae_scale_factor
        scheduler = make_scheduler(spec.scheduler, model.schedule, spec.steps)
        start_at(scheduler, 0)
        noise = initial_noise(spec.seed, model.latent_channels, height // factor, width // factor)
        latents = (noise * scheduler.init_noise_sigma).repeat(spec.num_candidates, 1, 1, 1)
        if spec.switch_step > 0:
            conditioning = model.text.guidance_batch(spec.candidates, spec.guided)
            with self._accelerated(spec) as on_step:
                latents = denoise(
                    model.unet,
                    scheduler,
                    latents,
                    conditioning,
                    start=0,
                    stop=spec.switch_step,
                    guidance=spec.guidance,
                    on_step=on_step,
                    desc="cloud steps",
                    quiet=quiet,
                )
        history, history_meta = export_history(scheduler)
        return DenoiseState(
            latents=latents.to("cpu"),
            timesteps=scheduler.timesteps.to("cpu"),
            step_index=spec.switch_step,
            num_steps=spec.steps,
            scheduler_class=type(scheduler).__name__,
            scheduler_config=dict(scheduler.config),
            history=history,
            history_meta=history_meta,
            metadata={
                **spec.public_options(),
                "height": height,
                "width": width,
                "num_candidates": spec.num_candidates,
                "candidates_digest": spec.candidates_digest(),
                "model": model.model_id,
                "obclip": obclip.__version__,
            },
        )

    @contextlib.contextmanager
    def _accelerated(self, spec: DenoiseSpec):
        if spec.accel is None or not spec.accel.enabled:
            yield None
            return
        from obclip.accel import BatchLayout, apply_accelerations

        layout = BatchLayout(num_candidates=spec.num_candidates, guidance=spec.guided)
        with apply_accelerations(self.model.unet, spec.accel, layout, num_steps=spec.steps) as session:
            yield session.begin_step


class LocalCloud:
    """The cloud half in this process (`--cloud local`), loading its model on first use."""

    def __init__(self, model: str | ModelBundle, *, quiet: bool = True) -> None:
        self._model = model
        self.quiet = quiet

    @property
    def engine(self) -> CloudEngine:
        if isinstance(self._model, str):
            self._model = load_model(self._model)
        return CloudEngine(self._model)

    def denoise(self, spec: DenoiseSpec) -> DenoiseState:
        return self.engine.run(spec, quiet=self.quiet)
