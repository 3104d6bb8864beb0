"""The one denoising loop: cloud and device both run it, over different step ranges.

Nothing here knows about the split or the model family. A caller hands in a scheduler already
positioned at the first step, the latents, the conditioning (whatever UNet inputs it carries)
and the range of step indices to run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import torch
from diffusers import UNet2DConditionModel
from diffusers.schedulers.scheduling_utils import SchedulerMixin
from tqdm.auto import tqdm

from obclip.engine.conditioning import Conditioning
from obclip.options import PublicOptions

StepCallback = Callable[[int], None]
StepEnd = Callable[[int, torch.Tensor, torch.Tensor], "torch.Tensor | None"]
"""`on_step_end(i, t, latents)` after step i (timestep t) with the latents it gave: it may raise to
stop the run, and return new latents to continue from (None keeps them)."""


def step_seed(seed: int, step: int) -> int:
    """The seed of step `step`'s noise in a run seeded `seed` (both halves derive the same one)."""
    digest = hashlib.sha256(f"obclip-step-noise:{seed}:{step}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


def step_generators(noise_seeds: Sequence[int], step: int) -> list[torch.Generator]:
    """One CPU generator per latent row for step `step`: row r draws from (noise_seeds[r], step).

    A stochastic scheduler (LCM) then adds the same noise to a row whether it runs in the cloud's
    batch of N or alone on the device, on any hardware, which keeps the hand-off exact.
    """
    return [torch.Generator("cpu").manual_seed(step_seed(seed, step)) for seed in noise_seeds]


def rescale_guided(guided: torch.Tensor, cond: torch.Tensor, phi: float) -> torch.Tensor:
    """Guided noise pulled toward the conditional noise's spread (Lin et al. 2024, "Common Diffusion
    Noise Schedules and Sample Steps are Flawed", eq. 15-16): each row's standard deviation is
    its own, so a row's result does not depend on the batch it runs in."""
    dims = list(range(1, guided.ndim))
    rescaled = guided * (cond.std(dim=dims, keepdim=True) / guided.std(dim=dims, keepdim=True))
    return phi * rescaled + (1 - phi) * guided


@torch.no_grad()
def denoise(
    unet: UNet2DConditionModel,
    scheduler: SchedulerMixin,
    latents: torch.Tensor,
    conditioning: Conditioning,
    *,
    start: int,
    stop: int,
    guidance: float,
    noise_seeds: Sequence[int] | None = None,
    timestep_shift: int = 0,
    on_step: StepCallback | None = None,
    on_step_end: StepEnd | None = None,
    options: PublicOptions | None = None,
    desc: str = "denoising",
    quiet: bool = True,
) -> torch.Tensor:
    """Run steps [start, stop) of `scheduler`'s schedule on `latents` and return the result.

    With guidance > 1, `conditioning` holds 2N rows (N unconditional, then N conditional) and
    the UNet is called on [latents; latents]; otherwise it holds the N conditional rows. Every
    tensor the conditioning carries goes to the UNet as it is (SDXL's `added_cond_kwargs`, LCM's
    `timestep_cond`). `noise_seeds` (one per latent row) seeds a stochastic scheduler's per-step
    noise from (seed, step index); without it a stochastic step draws from torch's global RNG.
    `timestep_shift` makes the UNet read timestep t - shift (clamped at 0) while the scheduler
    steps on t. `options.guidance_rescale` > 0 rescales the guided noise (`rescale_guided`).
    Latents stay float32 whatever the UNet's dtype. `on_step(i)` runs before step i's UNet call,
    `on_step_end(i, t, latents)` after step i (`StepEnd`). `options` are the request's public
    options, where the loop reads the per-step ones (None: their defaults).
    """
    guided = guidance > 1.0
    rescale = options.guidance_rescale if options is not None else 0.0
    rows = latents.shape[0]
    expected = 2 * rows if guided else rows
    if len(conditioning) != expected:
        raise ValueError(f"conditioning has {len(conditioning)} rows, expected {expected}")
    if noise_seeds is not None and len(noise_seeds) != rows:
        raise ValueError(f"{len(noise_seeds)} noise seeds for {rows} latent rows")
    kwargs = conditioning.unet_kwargs()
    latents = latents.to(device=unet.device, dtype=torch.float32)
    for i in tqdm(range(start, stop), desc=desc, disable=quiet or stop <= start, leave=False):
        t = scheduler.timesteps[i]
        if on_step is not None:
            on_step(i)
        model_input = torch.cat([latents, latents]) if guided else latents
        model_input = scheduler.scale_model_input(model_input, t)
        unet_t = (t - timestep_shift).clamp(min=0) if timestep_shift else t
        noise = unet(model_input.to(unet.dtype), unet_t, **kwargs, return_dict=False)[0].float()
        if guided:
            uncond, cond = noise.chunk(2)
            noise = uncond + guidance * (cond - uncond)
            if rescale:
                noise = rescale_guided(noise, cond, rescale)
        step_kwargs = {"generator": step_generators(noise_seeds, i)} if noise_seeds is not None else {}
        latents = scheduler.step(noise, t, latents, **step_kwargs, return_dict=False)[0]
        if on_step_end is not None:
            replaced = on_step_end(i, t, latents)
            if replaced is not None:
                latents = replaced.to(device=latents.device, dtype=torch.float32)
    return latents
