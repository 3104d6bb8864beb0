"""The one denoising loop: cloud and device both run it, over different step ranges.

Nothing here knows about the split. A caller hands in a scheduler already positioned at the
first step, the latents, the conditioning and the range of step indices to run.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from diffusers import UNet2DConditionModel
from diffusers.schedulers.scheduling_utils import SchedulerMixin
from tqdm.auto import tqdm

from obclip.engine.conditioning import Conditioning

StepCallback = Callable[[int], None]


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
    on_step: StepCallback | None = None,
    desc: str = "denoising",
    quiet: bool = True,
) -> torch.Tensor:
    """Run steps [start, stop) of `scheduler`'s schedule on `latents` and return the result.

    With guidance > 1, `conditioning` holds 2N rows (N unconditional, then N conditional) and
    the UNet is called on [latents; latents]; otherwise it holds the N conditional rows.
    Latents stay float32 whatever the UNet's dtype. `on_step(i)` runs before step i's UNet call.
    """
    guided = guidance > 1.0
    rows = latents.shape[0]
    expected = 2 * rows if guided else rows
    if len(conditioning) != expected:
        raise ValueError(f"conditioning has {len(conditioning)} rows, expected {expected}")
    kwargs = conditioning.unet_kwargs()
    latents = latents.to(device=unet.device, dtype=torch.float32)
    for i in tqdm(range(start, stop), desc=desc, disable=quiet or stop <= start, leave=False):
        t = scheduler.timesteps[i]
        if on_step is not None:
            on_step(i)
        model_input = torch.cat([latents, latents]) if guided else latents
        model_input = scheduler.scale_model_input(model_input, t)
        noise = unet(model_input.to(unet.dtype), t, **kwargs, return_dict=False)[0].float()
        if guided:
            uncond, cond = noise.chunk(2)
            noise = uncond + guidance * (cond - uncond)
        latents = scheduler.step(noise, t, latents, return_dict=False)[0]
    return latents
