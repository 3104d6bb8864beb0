"""Fine-tune the VAE decoder with the encoder frozen (as SD's ft-MSE decoder was), alongside the UNets.

The cached latents stay valid because the encoder does not change; the scaling factor measured
by train_vae.py is kept. Exports the improved VAE (fp16) into portrait-large/vae.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch
import torch.nn.functional as F
from common import (
    LARGE,
    RUNS,
    VAE_CONFIG,
    Timer,
    resume,
    save_checkpoint,
    setup,
    vae_input,
    vae_test_psnr,
    warmup_cosine,
    write_json,
)
from diffusers import AutoencoderKL


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    setup(args.seed, args.threads)
    images = np.load(RUNS / "train.npz")["images"]
    vae = AutoencoderKL(**VAE_CONFIG)
    vae.load_state_dict(torch.load(RUNS / "vae.ckpt")["model"])
    vae.encoder.requires_grad_(False).eval()
    vae.quant_conv.requires_grad_(False).eval()
    params = [p for p in vae.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)

    sched = warmup_cosine(opt, args.steps, warmup=50, floor=0.05)
    ckpt = RUNS / "vae_decoder.ckpt"
    start = resume(ckpt, vae, opt, sched)
    with Timer("train_vae_decoder"):
        for step in range(start, args.steps):
            gen = torch.Generator().manual_seed(args.seed * 1_000_003 + step)
            idx = torch.randint(0, len(images), (args.batch,), generator=gen)
            x = vae_input(images[idx.numpy()])
            with torch.no_grad():
                post = vae.encode(x).latent_dist
                z = post.mean + post.std * torch.randn(post.mean.shape, generator=gen)
            rec = vae.decode(z).sample
            loss = F.mse_loss(rec, x) + 0.5 * F.l1_loss(rec, x)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            if step % 10 == 0:
                print(f"step {step} rec {loss.item():.5f} lr {sched.get_last_lr()[0]:.2e}", flush=True)
            if (step + 1) % 50 == 0 or step + 1 == args.steps:
                save_checkpoint(ckpt, vae, opt, sched, step + 1)
    vae.eval()
    psnr = vae_test_psnr(vae, vae_input(np.load(RUNS / "test.npz")["images"][:1000]))
    stats = json.loads((RUNS / "vae_stats.json").read_text())
    print(f"test PSNR {psnr:.2f} dB (before decoder fine-tuning {stats['test_psnr_db']:.2f} dB)")
    vae.register_to_config(scaling_factor=round(stats["scaling_factor"], 5))
    vae.to(torch.float16).save_pretrained(LARGE / "vae", safe_serialization=True)
    write_json(RUNS / "vae_stats.json", stats | {"test_psnr_db_decoder_ft": psnr})


if __name__ == "__main__":
    main()
