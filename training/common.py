"""Shared paths, configs and helpers of the training scripts (run from the repository root)."""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
RUNS = ROOT / "runs" / "world"  # datasets, checkpoints (git-ignored)
MODELS = ROOT / "src" / "obclip" / "models"
LARGE = MODELS / "portrait-large"
SMALL = MODELS / "portrait-small"
CLASSIFIER = MODELS / "portrait-classifier"

LATENT_SIZE = 8
TEXT_HIDDEN = 64
MAX_TOKENS = 77
SD_BETAS = {"beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012, "num_train_timesteps": 1000}

VAE_CONFIG = {
    "in_channels": 3,
    "out_channels": 3,
    "latent_channels": 4,
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
    "block_out_channels": [16, 32, 64, 64],
    "layers_per_block": 1,
    "norm_num_groups": 8,
    "sample_size": 64,
    "mid_block_add_attention": False,
}

UNET_COMMON = {
    "sample_size": LATENT_SIZE,
    "in_channels": 4,
    "out_channels": 4,
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
    "cross_attention_dim": TEXT_HIDDEN,
    "norm_num_groups": 16,  # divides 32, 48, 64 and 96
}
LARGE_UNET_CONFIG = {**UNET_COMMON, "block_out_channels": [48, 96, 96], "layers_per_block": 2, "attention_head_dim": 8}
SMALL_UNET_CONFIG = {
    **UNET_COMMON,
    "block_out_channels": [32, 64, 64],
    "layers_per_block": 1,
    "attention_head_dim": 8,
    "mid_block_type": None,
}


def setup(seed: int, threads: int = 2) -> None:
    torch.set_num_threads(threads)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    RUNS.mkdir(parents=True, exist_ok=True)


def write_json(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2) + "\n")


def copy_dir(src: Path, dst: Path) -> None:
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)


class Timer:
    """Wall time of a stage, appended to runs/world/times.json."""

    def __init__(self, stage: str) -> None:
        self.stage = stage

    def __enter__(self) -> Timer:
        self.t0 = time.time()
        return self

    def __exit__(self, *exc: object) -> None:
        elapsed = time.time() - self.t0
        path = RUNS / "times.json"
        times = json.loads(path.read_text()) if path.exists() else {}
        times[self.stage] = times.get(self.stage, 0.0) + elapsed
        write_json(path, times)
        print(f"[{self.stage}] {elapsed:.1f} s", flush=True)


def atomic_save(obj: object, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def warmup_cosine(optimizer: torch.optim.Optimizer, steps: int, warmup: int, floor: float):
    """Linear warm-up over `warmup` steps, then a cosine from 1 down to `floor` at `steps`."""

    def factor(s: int) -> float:
        return min(1.0, (s + 1) / warmup) * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * s / steps)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def resume(ckpt: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler) -> int:
    """Load a `{"model", "opt", "sched", "step"}` checkpoint if there is one; the step to go on from."""
    if not ckpt.exists():
        return 0
    state = torch.load(ckpt)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["opt"])
    scheduler.load_state_dict(state["sched"])
    print("resumed at", state["step"], flush=True)
    return state["step"]


def save_checkpoint(ckpt: Path, model: torch.nn.Module, optimizer, scheduler, step: int) -> None:
    """Write the checkpoint `resume` reads, atomically."""
    atomic_save(
        {"model": model.state_dict(), "opt": optimizer.state_dict(), "sched": scheduler.state_dict(), "step": step},
        ckpt,
    )


def vae_input(images: np.ndarray) -> torch.Tensor:
    """uint8 images (N, H, W, 3) -> float (N, 3, H, W) in [-1, 1], the VAE's input range."""
    return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1


@torch.no_grad()
def vae_test_psnr(vae, images: torch.Tensor) -> float:
    """PSNR (dB, images in [-1, 1]) of the VAE's mean-latent reconstruction of held-out images."""
    rec = torch.cat(
        [vae.decode(vae.encode(images[i : i + 250]).latent_dist.mean).sample for i in range(0, len(images), 250)]
    )
    return 10 * math.log10(4 / torch.nn.functional.mse_loss(rec.clamp(-1, 1), images).item())
