"""The cloud's half: steps [0, k) of the large model on every candidate, as a `DenoiseState`.

`CloudEngine` does the work in this process, for one request or for a batch of compatible
requests sharing each UNet call; `LocalCloud` is the in-process stand-in for the HTTP service,
with the same `denoise(spec)` call the remote client offers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

import torch

import obclip
from obclip.engine.batching import batch_key
from obclip.engine.conditioning import Conditioning, cfg_scale, check_scheduler_fits, unet_conditioning
from obclip.engine.loop import StepCallback, StepEnd, denoise
from obclip.engine.models import ModelBundle, load_model, placement
from obclip.engine.schedulers import export_history, make_scheduler, start_at
from obclip.engine.spec import DenoiseSpec
from obclip.engine.state import DenoiseState
from obclip.errors import InvalidInputError


class CloudBackend(Protocol):
    """Anything that runs a `DenoiseSpec` and returns the partial run's state."""

    def denoise(self, spec: DenoiseSpec) -> DenoiseState: ...


@runtime_checkable
class SteppingCloud(Protocol):
    """A cloud backend that runs in this process and can report its steps (`LocalCloud`)."""

    def denoise(self, spec: DenoiseSpec, *, on_step_end: StepEnd | None = None) -> DenoiseState: ...


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
        for prompt in (*spec.candidates, spec.negative_prompt):
            if prompt:
                self.model.text.check_fits(prompt)
        image_size(spec, self.model)
        check_scheduler_fits(self.model.unet, spec.scheduler)
        make_scheduler(spec.scheduler, self.model.schedule, spec.steps)  # e.g. LCM refuses T > 50 here
        if spec.accel is not None:
            spec.accel.validate(num_steps=spec.steps)

    def run(
        self,
        spec: DenoiseSpec,
        *,
        quiet: bool = True,
        on_step: StepCallback | None = None,
        on_step_end: StepEnd | None = None,
        checked: bool = False,
    ) -> DenoiseState:
        """Steps [0, spec.switch_step) on all candidates from one shared initial noise.

        `on_step(i)` runs before step i (it may raise to stop the run), `on_step_end(i, t, latents)`
        after it (`loop.StepEnd`); `checked=True` skips `check(spec)` for a caller that has already run it.
        """
        return self.run_batch([spec], quiet=quiet, on_step=on_step, on_step_end=on_step_end, checked=checked)[0]

    def run_batch(
        self,
        specs: Sequence[DenoiseSpec],
        *,
        quiet: bool = True,
        on_step: StepCallback | None = None,
        on_step_end: StepEnd | None = None,
        checked: bool = False,
    ) -> list[DenoiseState]:
        """Steps [0, k) of several compatible requests, one UNet call per step over all their rows.

        The requests must share a `batching.batch_key` (size, T, k, scheduler, guidance,
        accelerations). Each keeps its own candidate group: its own initial noise (its own seed),
        its own conditioning and unconditional rows, and the state returned for it holds only its
        rows (latents and multistep history). The scheduler steps the whole batch at once: its
        update is elementwise per row, so a row's result does not depend on the other rows.
        """
        specs = list(specs)
        if not specs:
            return []
        if not checked:
            for spec in specs:
                self.check(spec)
        model = self.model
        head = specs[0]
        if any(batch_key(spec, model) != batch_key(head, model) for spec in specs[1:]):
            raise RuntimeError("a batch mixes requests that cannot share a UNet call")
        height, width = image_size(head, model)
        factor = model.vae_scale_factor
        scheduler = make_scheduler(head.scheduler, model.schedule, head.steps)
        start_at(scheduler, 0)
        latents = torch.cat(
            [
                (
                    initial_noise(spec.seed, model.latent_channels, height // factor, width // factor)
                    * scheduler.init_noise_sigma
                ).repeat(spec.num_candidates, 1, 1, 1)
                for spec in specs
            ]
        )
        if head.switch_step > 0:
            cfg = cfg_scale(model.unet, head.guidance)
            parts = [
                unet_conditioning(
                    model.text,
                    model.unet,
                    s.candidates,
                    guidance=s.guidance,
                    size=(height, width),
                    negative=s.negative_prompt,
                )
                for s in specs
            ]
            conditioning = _batch_conditioning(parts, cfg > 1.0)
            with self._accelerated(specs) as begin_step:
                latents = denoise(
                    model.unet,
                    scheduler,
                    latents,
                    conditioning,
                    start=0,
                    stop=head.switch_step,
                    guidance=cfg,
                    noise_seeds=[spec.seed for spec in specs for _ in range(spec.num_candidates)],
                    on_step=_both(on_step, begin_step),
                    on_step_end=on_step_end,
                    options=head,
                    desc="cloud steps",
                    quiet=quiet,
                )
        history, history_meta = export_history(scheduler)
        latents = latents.to("cpu")
        states = []
        start = 0
        for spec in specs:
            rows = slice(start, start + spec.num_candidates)
            start = rows.stop
            states.append(
                DenoiseState(
                    latents=latents[rows].clone(),
                    timesteps=scheduler.timesteps.to("cpu"),
                    step_index=spec.switch_step,
                    num_steps=spec.steps,
                    scheduler_class=type(scheduler).__name__,
                    scheduler_config=dict(scheduler.config),
                    history={name: tensor[rows].clone() for name, tensor in history.items()},
                    history_meta=history_meta,
                    metadata={
                        **spec.public_options(),
                        "height": height,
                        "width": width,
                        "num_candidates": spec.num_candidates,
                        "candidates_digest": spec.candidates_digest(),
                        "model": model.model_id,
                        "model_digest": model.digest,
                        "obclip": obclip.__version__,
                    },
                )
            )
        return states

    @contextlib.contextmanager
    def _accelerated(self, specs: Sequence[DenoiseSpec]) -> Iterator[Any]:
        spec = specs[0]
        if spec.accel is None or not spec.accel.enabled:
            yield None
            return
        from obclip.accel import BatchLayout, apply_accelerations

        guided = cfg_scale(self.model.unet, spec.guidance) > 1.0  # an LCM UNet runs no unconditional rows
        # One candidate group per request: its own pivots, unconditional rows and caches.
        layout = BatchLayout(groups=[s.num_candidates for s in specs], guidance=guided)
        with apply_accelerations(self.model.unet, spec.accel, layout, num_steps=spec.steps) as session:
            yield session.begin_step


class LocalCloud:
    """The cloud half in this process (`--cloud local`), loading its model on first use.

    Its model is its own: `device` and `dtype` (default: the first GPU in float16, else the CPU
    in float32) are the cloud's, apart from the device half's (`pipeline.DeviceHalf`).
    """

    reports_steps = True
    """`denoise` takes `on_step_end` (`SteppingCloud`): a pipeline reports the cloud's steps too."""

    def __init__(
        self,
        model: str | ModelBundle,
        *,
        quiet: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        self._model = model
        self.quiet = quiet
        self.device, self.dtype = placement(device, dtype)

    def to(self, device: torch.device | str | None = None, dtype: torch.dtype | None = None) -> LocalCloud:
        """Run on `device` in `dtype` from now on (the model is taken from the cache there on next use)."""
        self.device, self.dtype = placement(device or self.device, dtype or self.dtype)
        if not isinstance(self._model, str):
            self._model = self._model.model_id
        return self

    def load(self) -> CloudEngine:
        """The engine, loading the model on the first call."""
        if isinstance(self._model, str):
            self._model = load_model(self._model, device=self.device, dtype=self.dtype)
        return CloudEngine(self._model)

    def denoise(self, spec: DenoiseSpec, *, on_step_end: StepEnd | None = None) -> DenoiseState:
        """Steps [0, k) of `spec`; `on_step_end(i, t, latents)` after each (`loop.StepEnd`)."""
        return self.load().run(spec, quiet=self.quiet, on_step_end=on_step_end)


def _both(first: StepCallback | None, second: StepCallback | None) -> StepCallback | None:
    """One step callback running `first` (the caller's: may stop the run) then `second`."""
    if first is None or second is None:
        return first or second

    def on_step(step: int) -> None:
        first(step)
        second(step)

    return on_step


def _batch_conditioning(parts: Sequence[Conditioning], guided: bool) -> Conditioning:
    """One conditioning for a batch of requests, each part encoded alone (`guidance_batch`).

    With guidance the loop runs `[latents; latents]`, so the rows go all requests' unconditional
    rows first, then all their conditional rows, each half in request order.
    """
    if len(parts) == 1:
        return parts[0]
    if not guided:
        return Conditioning.concat(parts)
    halves = [_row_slice(part, half * len(part) // 2, (half + 1) * len(part) // 2) for half in (0, 1) for part in parts]
    return Conditioning.concat(halves)


def _row_slice(conditioning: Conditioning, start: int, stop: int) -> Conditioning:
    return conditioning.rows(start, stop)
