"""Acceptance: sample held-out captions with the large, small and hybrid pipelines, score with the classifier.

Attribute accuracy counts only the attributes a caption states. FCD is the Fréchet distance of
classifier features of the samples against held-out renders; ``renders`` is the floor (fresh
renders vs the same reference, same sample size).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import time
from pathlib import Path

import numpy as np
import torch
from common import LARGE, MAX_TOKENS, RUNS, SMALL, Timer, setup, write_json
from diffusers import AutoencoderKL, DPMSolverMultistepScheduler, UNet2DConditionModel
from diffusers.image_processor import VaeImageProcessor
from diffusers.training_utils import EMAModel
from diffusers.utils import make_image_grid
from transformers import CLIPTextModel, CLIPTokenizer

from obclip.world import (
    WORLD_ATTRIBUTES,
    attribute_indices,
    caption_with_mentions,
    frechet_distance,
    load_classifier,
    render,
    sample_attributes,
)

HELD_OUT_SEED = 20261126


@torch.no_grad()
def sample(
    unets: list[UNet2DConditionModel],
    switch_step: int,
    text_encoder: CLIPTextModel,
    tokenizer: CLIPTokenizer,
    vae: AutoencoderKL,
    captions: list[str],
    steps: int,
    guidance: float,
    seed: int,
) -> torch.Tensor:
    """DPM-Solver++ sampling with CFG; steps [0, switch_step) use unets[0], the rest unets[-1]."""
    scheduler = DPMSolverMultistepScheduler.from_pretrained(LARGE / "scheduler")
    scheduler.set_timesteps(steps)

    def encode(texts: list[str]) -> torch.Tensor:
        ids = tokenizer(
            texts, padding="max_length", max_length=MAX_TOKENS, truncation=True, return_tensors="pt"
        ).input_ids
        return text_encoder(ids).last_hidden_state

    cond = torch.cat([encode([""] * len(captions)), encode(captions)])
    size = unets[0].config.sample_size
    x = torch.randn((len(captions), 4, size, size), generator=torch.Generator().manual_seed(seed))
    x = x * scheduler.init_noise_sigma
    for i, t in enumerate(scheduler.timesteps):
        unet = unets[0] if i < switch_step else unets[-1]
        inp = scheduler.scale_model_input(torch.cat([x, x]), t)
        eps_u, eps_c = unet(inp, t, cond).sample.chunk(2)
        x = scheduler.step(eps_u + guidance * (eps_c - eps_u), t, x).prev_sample
    images = vae.decode(x / vae.config.scaling_factor).sample
    return ((images + 1) / 2).clamp(0, 1)


def grid(images: torch.Tensor, path, cols: int = 10) -> None:
    """Save images in [0, 1], (N, 3, H, W) with N a multiple of `cols`, as one grid."""
    pil = VaeImageProcessor.numpy_to_pil(images.permute(0, 2, 3, 1).numpy())
    make_image_grid(pil, rows=len(pil) // cols, cols=cols).save(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--guidance", type=float, default=6.0)
    ap.add_argument("--switch-step", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument(
        "--probe",
        type=Path,
        help="score only the large UNet and text encoder of this train_unet.py checkpoint (nothing is written)",
    )
    ap.add_argument("--raw", action="store_true", help="with --probe: the raw weights, not the EMA")
    args = ap.parse_args()
    setup(args.seed, args.threads)
    tokenizer = CLIPTokenizer.from_pretrained(LARGE, subfolder="tokenizer")
    text_encoder = CLIPTextModel.from_pretrained(LARGE, subfolder="text_encoder", torch_dtype=torch.float32).eval()
    vae = AutoencoderKL.from_pretrained(LARGE, subfolder="vae", torch_dtype=torch.float32).eval()
    large = UNet2DConditionModel.from_pretrained(LARGE, subfolder="unet", torch_dtype=torch.float32).eval()
    small = UNet2DConditionModel.from_pretrained(SMALL, subfolder="unet", torch_dtype=torch.float32).eval()
    classifier = load_classifier()
    if args.probe is not None:
        state = torch.load(args.probe)
        for model, raw, ema in ((large, "unet", "ema_unet"), (text_encoder, "text", "ema_text")):
            if args.raw:
                model.load_state_dict(state[raw])
            else:
                averaged = EMAModel(model.parameters())
                averaged.load_state_dict(state[ema])
                averaged.copy_to(model.parameters())
        print("probe:", args.probe, "step", state["step"], "raw" if args.raw else "ema", flush=True)

    rng = random.Random(HELD_OUT_SEED)
    attrs, captions, mentions = [], [], []
    for _ in range(args.n):
        a = sample_attributes(rng)
        text, mentioned = caption_with_mentions(a, rng)
        attrs.append(a)
        captions.append(text)
        mentions.append(mentioned)
    test = np.load(RUNS / "test.npz")["images"]
    reference = torch.from_numpy(test[:2000]).permute(0, 3, 1, 2).float() / 255
    ref_feats = classifier.features(reference).detach()
    floor_imgs = torch.from_numpy(test[2000 : 2000 + args.n]).permute(0, 3, 1, 2).float() / 255

    results: dict[str, dict[str, float]] = {}
    runs = {
        "large": ([large], args.steps),
        "small": ([small], 0),
        f"hybrid k={args.switch_step}": ([large, small], args.switch_step),
    }
    if args.probe is not None:
        runs = {"large": runs["large"]}
    shown: dict[str, torch.Tensor] = {}
    for name, (unets, k) in runs.items():
        t0 = time.time()
        with Timer(f"eval_{name}") if args.probe is None else contextlib.nullcontext():
            images = sample(unets, k, text_encoder, tokenizer, vae, captions, args.steps, args.guidance, args.seed)
        pred = classifier.predict(images)
        row: dict[str, float] = {}
        for attr in WORLD_ATTRIBUTES:
            hits = [
                int(pred[attr][i]) == attribute_indices(a)[attr] for i, a in enumerate(attrs) if attr in mentions[i]
            ]
            row[attr] = sum(hits) / len(hits)
            row[f"n_{attr}"] = len(hits)
        row["fcd"] = frechet_distance(classifier.features(images), ref_feats)
        row["sample_s"] = time.time() - t0
        results[name] = row
        print(name, {k: round(v, 3) for k, v in row.items()}, flush=True)
        if args.probe is not None:
            return
        grid(images[:50], RUNS / f"samples_{name.split()[0]}.png")
        shown[name] = images[:30]
    results["renders"] = {"fcd": frechet_distance(classifier.features(floor_imgs), ref_feats)}
    # renders of the same held-out captions' attributes, for the eye
    renders = torch.stack([torch.from_numpy(np.asarray(render(a))).permute(2, 0, 1).float() / 255 for a in attrs[:50]])
    grid(renders, RUNS / "samples_renders.png")
    # docs/world-samples.png: three rows each of renders, large samples, small samples
    grid(torch.cat([renders[:30], shown["large"], shown["small"]]), RUNS / "world-samples.png")
    (RUNS / "eval_captions.txt").write_text("\n".join(captions[:50]) + "\n")
    write_json(RUNS / "eval.json", {"args": vars(args), "results": results})
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
