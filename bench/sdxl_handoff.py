"""Hand-off error on the tiny SDXL model: split run vs uninterrupted run vs diffusers' SDXL pipeline.

    python bench/sdxl_handoff.py [--steps 8]

For each scheduler and switch step k, with the large model on both sides: the relative L2
difference of the split run (cloud [0, k) -> wire bytes -> device [k, T)) from one uninterrupted
`denoise` run and from `StableDiffusionXLPipeline` on the same components and noise, and with
N = 3 candidates the worst row against the uninterrupted batch of 3 (the device runs batch 1:
CPU kernels are not batch-invariant); the max of each column is printed last. `lcm` runs an
LCM-distilled UNet (time_cond_proj_dim 16).
"""

from __future__ import annotations

import argparse

import torch

from obclip.engine import CloudEngine, DenoiseSpec, DenoiseState, DeviceEngine, ModelBundle, denoise
from obclip.engine.architectures import make_conditioner
from obclip.engine.cloud import initial_noise
from obclip.engine.conditioning import cfg_scale, unet_conditioning
from obclip.engine.schedulers import make_scheduler, start_at
from obclip.engine.sdxl import build_tiny_sdxl_large, tiny_sdxl_unet
from obclip.eval.reference import relative_error, sdxl_pipeline_latents

PROMPT = "portrait of an old woman wearing glasses, blue background"
CANDIDATES = (PROMPT, "portrait of a young man wearing glasses, blue background", "portrait of an old man")


def uninterrupted(model: ModelBundle, spec: DenoiseSpec) -> torch.Tensor:
    scheduler = make_scheduler(spec.scheduler, model.schedule, spec.steps)
    start_at(scheduler, 0)
    side = model.default_size
    noise = initial_noise(spec.seed, 4, side // 8, side // 8) * scheduler.init_noise_sigma
    latents = noise.repeat(spec.num_candidates, 1, 1, 1)
    cond = unet_conditioning(model.text, model.unet, spec.candidates, guidance=spec.guidance, size=(side, side))
    guidance = cfg_scale(model.unet, spec.guidance)
    seeds = [spec.seed] * spec.num_candidates
    return denoise(model.unet, scheduler, latents, cond, start=0, stop=spec.steps, guidance=guidance, noise_seeds=seeds)


def split(model: ModelBundle, spec: DenoiseSpec, row: int = 0) -> torch.Tensor:
    state = DenoiseState.from_bytes(CloudEngine(model).run(spec).to_bytes())
    return DeviceEngine(model).finish(state.select(row), spec.candidates[row], guidance=spec.guidance)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    args = parser.parse_args()
    torch.set_num_threads(1)
    parts = build_tiny_sdxl_large()
    text = make_conditioner(parts)
    plain = ModelBundle("tiny-sdxl", parts.unet, parts.vae, text, parts.schedule)
    lcm_unet = tiny_sdxl_unet(
        25, layers_per_block=2, transformer_layers=(1, 2, 4), mid_block=True, time_cond_proj_dim=16
    )
    lcm = ModelBundle("tiny-sdxl-lcm", lcm_unet, parts.vae, text, parts.schedule)
    rows = []
    steps = args.steps
    for name, model, guidance in (("dpmsolver++", plain, 5.0), ("euler", plain, 5.0), ("lcm", lcm, 8.0)):
        for k in sorted({0, 1, steps // 2, steps - 1, steps}):
            spec = DenoiseSpec((PROMPT,), steps=steps, switch_step=k, scheduler=name, guidance=guidance, seed=7)
            got = split(model, spec)
            ref, pipe = uninterrupted(model, spec), sdxl_pipeline_latents(parts, model, spec)
            many = DenoiseSpec(CANDIDATES, steps=steps, switch_step=k, scheduler=name, guidance=guidance, seed=7)
            batch = uninterrupted(model, many)
            worst = max(relative_error(split(model, many, r), batch[r : r + 1]) for r in range(len(CANDIDATES)))
            rows.append((name, k, relative_error(got, ref), relative_error(got, pipe), worst))
    print(f"{'scheduler':<12} {'k':>3} {'vs uninterrupted':>17} {'vs diffusers':>13} {'N=3 worst row':>14}")
    for name, k, a, b, c in rows:
        print(f"{name:<12} {k:>3} {a:>17.2e} {b:>13.2e} {c:>14.2e}")
    maxima = [max(r[i] for r in rows) for i in (2, 3, 4)]
    print(f"{'max':<16} {maxima[0]:>17.2e} {maxima[1]:>13.2e} {maxima[2]:>14.2e}")


if __name__ == "__main__":
    main()
