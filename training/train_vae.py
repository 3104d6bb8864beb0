"""Train the tiny VAE (64×64×3 <-> 8×8×4), measure its latent std, cache the training latents."""

from __future__ import annotations

import argparse

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
    ap.add_argument("--steps", type=int, default=1200)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--kl", type=float, default=1e-6)
    ap.add_argument("--n-latents", type=int, default=16000, help="training images to encode for the UNets")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    setup(args.seed, args.threads)
    train = np.load(RUNS / "train.npz")
    images = train["images"]
    vae = AutoencoderKL(**VAE_CONFIG)
    opt = torch.optim.AdamW(vae.parameters(), lr=args.lr, weight_decay=0.0)

    sched = warmup_cosine(opt, args.steps, warmup=100, floor=0.05)
    ckpt = RUNS / "vae.ckpt"
    start = resume(ckpt, vae, opt, sched)
    with Timer("train_vae"):
        for step in range(start, args.steps):
            gen = torch.Generator().manual_seed(args.seed * 1_000_003 + step)
            idx = torch.randint(0, len(images), (args.batch,), generator=gen)
            x = vae_input(images[idx.numpy()])
            post = vae.encode(x).latent_dist
            z = post.mean + post.std * torch.randn(post.mean.shape, generator=gen)
            rec = vae.decode(z).sample
            rec_loss = F.mse_loss(rec, x) + 0.5 * F.l1_loss(rec, x)
            loss = rec_loss + args.kl * post.kl().mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
            opt.step()
            sched.step()
            if step % 10 == 0:
                print(f"step {step} rec {rec_loss.item():.5f} lr {sched.get_last_lr()[0]:.2e}", flush=True)
            if (step + 1) % 200 == 0 or step + 1 == args.steps:
                save_checkpoint(ckpt, vae, opt, sched, step + 1)
    vae.eval()
    with Timer("encode_latents"), torch.no_grad():
        latents = torch.cat(
            [vae.encode(vae_input(images[i : i + 500])).latent_dist.mean for i in range(0, args.n_latents, 500)]
        )
        psnr = vae_test_psnr(vae, vae_input(np.load(RUNS / "test.npz")["images"][:1000]))
    std = latents.std().item()
    scaling = 1.0 / std
    print(
        f"latent mean {latents.mean().item():.4f} std {std:.4f} -> scaling_factor {scaling:.4f}; "
        f"test PSNR {psnr:.2f} dB"
    )
    torch.save({"latents": latents, "labels": torch.from_numpy(train["labels"][: args.n_latents])}, RUNS / "latents.pt")
    vae.register_to_config(scaling_factor=round(scaling, 5))
    vae.to(torch.float16).save_pretrained(LARGE / "vae", safe_serialization=True)
    write_json(
        RUNS / "vae_stats.json",
        {"latent_std": std, "scaling_factor": scaling, "test_psnr_db": psnr},
    )


if __name__ == "__main__":
    main()
