"""Train a UNet on cached VAE latents with the SD noise schedule (epsilon, CFG dropout).

``--which large`` trains the large UNet jointly with a new CLIP text encoder; ``--which small``
trains the BK-style small UNet (1 layer per block, no mid block) with that text encoder frozen.
Both export EMA weights (fp16 safetensors) into their diffusers directories (portrait-small holds
only its UNet; ``export_pair.py`` points it at portrait-large's shared parts).

``--aux-weight`` adds a caption-reading loss on the text encoder while it trains: one linear head
per world attribute reads the mean hidden state and predicts the stated value, or "unstated".
Without it the encoder learns to tell apart only the words whose effect on the image is large
(gender, age) and keeps skin tone and the colours close together, so the UNet learns them late.
``--init`` starts a new run (fresh optimizer and schedule) from the weights of a checkpoint.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
from pathlib import Path

import torch
import torch.nn.functional as F
from common import (
    LARGE,
    LARGE_UNET_CONFIG,
    MAX_TOKENS,
    RUNS,
    SD_BETAS,
    SMALL,
    SMALL_UNET_CONFIG,
    TEXT_HIDDEN,
    Timer,
    atomic_save,
    setup,
    warmup_cosine,
    write_json,
)
from diffusers import DDPMScheduler, DPMSolverMultistepScheduler, UNet2DConditionModel
from diffusers.training_utils import EMAModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

from obclip.world import WORLD_ATTRIBUTES, caption_with_mentions

NAMES = list(WORLD_ATTRIBUTES)


def new_text_encoder(tokenizer: CLIPTokenizer) -> CLIPTextModel:
    config = CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=TEXT_HIDDEN,
        intermediate_size=4 * TEXT_HIDDEN,
        num_hidden_layers=3,
        num_attention_heads=4,
        max_position_embeddings=MAX_TOKENS,
        projection_dim=TEXT_HIDDEN,
        hidden_act="quick_gelu",
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return CLIPTextModel(config)


def batch_captions(labels: torch.Tensor, rng: random.Random, uncond_prob: float) -> tuple[list[str], torch.Tensor]:
    """Captions for a batch, and the targets of the caption-reading heads.

    Target ``[i, a]`` is the value index of attribute ``a`` when caption ``i`` states it, else
    the extra class ``len(values)`` ("unstated"; every attribute of an empty caption).
    """
    texts, targets = [], []
    for row in labels.tolist():
        if rng.random() < uncond_prob:
            texts.append("")
            targets.append([len(WORLD_ATTRIBUTES[n].values) for n in NAMES])
        else:
            attrs = {n: WORLD_ATTRIBUTES[n].values[v] for n, v in zip(NAMES, row, strict=True)}
            text, mentioned = caption_with_mentions(attrs, rng)
            texts.append(text)
            targets.append(
                [v if n in mentioned else len(WORLD_ATTRIBUTES[n].values) for n, v in zip(NAMES, row, strict=True)]
            )
    return texts, torch.tensor(targets)


class CaptionHeads(torch.nn.Module):
    """One linear head per world attribute on the mean text hidden state (values + "unstated")."""

    def __init__(self) -> None:
        super().__init__()
        self.heads = torch.nn.ModuleList(
            torch.nn.Linear(TEXT_HIDDEN, len(WORLD_ATTRIBUTES[n].values) + 1) for n in NAMES
        )

    def loss(self, hidden: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean cross-entropy over attributes, and per-attribute accuracy."""
        pooled = hidden.mean(dim=1)
        logits = [head(pooled) for head in self.heads]
        loss = sum(F.cross_entropy(lg, targets[:, a]) for a, lg in enumerate(logits)) / len(logits)
        acc = torch.stack([(lg.argmax(1) == targets[:, a]).float().mean() for a, lg in enumerate(logits)])
        return loss, acc


def load_raw_weights(
    state: dict, unet: UNet2DConditionModel, text_encoder: CLIPTextModel, heads: CaptionHeads | None
) -> None:
    """A checkpoint's raw (non-EMA) UNet, and for a large run (``heads`` given) its text encoder and heads."""
    unet.load_state_dict(state["unet"])
    if heads is not None:
        text_encoder.load_state_dict(state["text"])
        if "heads" in state:  # checkpoints from before the caption-reading loss have none
            heads.load_state_dict(state["heads"])


def freeze_text_encoder(text_encoder: CLIPTextModel, ema_decay: float) -> EMAModel:
    """Freeze the jointly trained text encoder and export it (fp16) for the small UNet and the pipeline.

    The live weights are rounded to fp16 first, so the large UNet keeps training against exactly
    the encoder that ships. Returns the text encoder's EMA from then on: the frozen weights.
    """
    with torch.no_grad():
        for p in text_encoder.parameters():
            p.copy_(p.half().float())
    text_encoder.requires_grad_(False).eval()
    copy.deepcopy(text_encoder).to(torch.float16).save_pretrained(LARGE / "text_encoder", safe_serialization=True)
    print("text encoder frozen and exported", flush=True)
    return EMAModel(text_encoder.parameters(), decay=ema_decay)


def write_pipeline_files(directory) -> None:
    scheduler = DPMSolverMultistepScheduler(
        **SD_BETAS, prediction_type="epsilon", algorithm_type="dpmsolver++", solver_order=2
    )
    scheduler.save_pretrained(directory / "scheduler")
    write_json(
        directory / "model_index.json",
        {
            "_class_name": "StableDiffusionPipeline",
            "_diffusers_version": "0.42.1",
            "feature_extractor": [None, None],
            "image_encoder": [None, None],
            "safety_checker": [None, None],
            "requires_safety_checker": False,
            "scheduler": ["diffusers", "DPMSolverMultistepScheduler"],
            "text_encoder": ["transformers", "CLIPTextModel"],
            "tokenizer": ["transformers", "CLIPTokenizer"],
            "unet": ["diffusers", "UNet2DConditionModel"],
            "vae": ["diffusers", "AutoencoderKL"],
        },
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--which", choices=("large", "small"), required=True)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--uncond", type=float, default=0.1)
    ap.add_argument(
        "--freeze-text-at",
        type=int,
        default=500,
        help="large: freeze and export the text encoder at this step (the small UNet can start)",
    )
    ap.add_argument("--aux-weight", type=float, default=0.0, help="large: weight of the caption-reading loss")
    ap.add_argument("--text-lr-mult", type=float, default=1.0, help="large: text encoder LR = this x --lr")
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--init", type=Path, help="start from this checkpoint's weights (new optimizer and schedule)")
    ap.add_argument("--run", default=None, help="checkpoint name under runs/world (default unet_<which>)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    setup(args.seed, args.threads)
    large = args.which == "large"
    tokenizer = CLIPTokenizer.from_pretrained(LARGE / "tokenizer")
    data = torch.load(RUNS / "latents.pt")
    vae_config = json.loads((LARGE / "vae" / "config.json").read_text())
    latents = data["latents"] * vae_config["scaling_factor"]
    labels = data["labels"]
    noise_scheduler = DDPMScheduler(**SD_BETAS)

    unet = UNet2DConditionModel(**(LARGE_UNET_CONFIG if large else SMALL_UNET_CONFIG))
    heads: CaptionHeads | None = None
    if large:
        heads = CaptionHeads()  # before the encoder: the shipped runs drew their weights in this order
        text_encoder = new_text_encoder(tokenizer)
        text_params = list(text_encoder.parameters()) + list(heads.parameters())
        params = list(unet.parameters()) + text_params
        groups = [
            {"params": list(unet.parameters())},
            {"params": text_params, "lr": args.lr * args.text_lr_mult},
        ]
    else:
        text_encoder = CLIPTextModel.from_pretrained(LARGE / "text_encoder", torch_dtype=torch.float32)
        text_encoder.requires_grad_(False).eval()
        params = list(unet.parameters())
        groups = [{"params": params}]
    if args.init is not None:
        state = torch.load(args.init)
        load_raw_weights(state, unet, text_encoder, heads)
        print("initialised from", args.init, "step", state["step"], flush=True)
    n_unet = sum(p.numel() for p in unet.parameters())
    print(
        f"{args.which}: unet {n_unet / 1e6:.2f} M params, text encoder "
        f"{sum(p.numel() for p in text_encoder.parameters()) / 1e6:.3f} M",
        flush=True,
    )
    opt = torch.optim.AdamW(groups, lr=args.lr, weight_decay=0.01)

    sched = warmup_cosine(opt, args.steps, warmup=args.warmup, floor=0.1)
    # EMA decay min(--ema, (1 + n) / (10 + n)) at update n; the first update copies the weights
    ema_unet = EMAModel(unet.parameters(), decay=args.ema)
    ema_text = EMAModel(text_encoder.parameters(), decay=args.ema) if large else None
    ckpt = RUNS / f"{args.run or 'unet_' + args.which}.ckpt"
    start = 0
    if ckpt.exists():
        state = torch.load(ckpt)
        load_raw_weights(state, unet, text_encoder, heads)
        ema_unet.load_state_dict(state["ema_unet"])
        if large:
            ema_text.load_state_dict(state["ema_text"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        start = state["step"]
        print("resumed at", start, flush=True)
    unet.train()
    text_frozen = not large or start >= args.freeze_text_at
    if large and text_frozen:
        text_encoder.requires_grad_(False).eval()
    elif large:
        text_encoder.train()
    with Timer(f"train_unet_{args.which}"):
        for step in range(start, args.steps):
            seed = args.seed * 1_000_003 + step
            gen = torch.Generator().manual_seed(seed)
            rng = random.Random(seed)
            idx = torch.randint(0, len(latents), (args.batch,), generator=gen)
            x0 = latents[idx]
            texts, targets = batch_captions(labels[idx], rng, args.uncond)
            ids = tokenizer(
                texts,
                padding="max_length",
                max_length=MAX_TOKENS,
                truncation=True,
                return_tensors="pt",
            ).input_ids
            if large and step == args.freeze_text_at and not text_frozen:
                ema_text = freeze_text_encoder(text_encoder, args.ema)
                text_frozen = True
            aux = None
            if not text_frozen:
                cond = text_encoder(ids).last_hidden_state
                if args.aux_weight > 0:
                    aux, aux_acc = heads.loss(cond, targets)
            else:
                with torch.no_grad():
                    cond = text_encoder(ids).last_hidden_state
            noise = torch.randn(x0.shape, generator=gen)
            t = torch.randint(0, noise_scheduler.config.num_train_timesteps, (args.batch,), generator=gen)
            xt = noise_scheduler.add_noise(x0, noise, t)
            loss = F.mse_loss(unet(xt, t, cond).sample, noise)
            opt.zero_grad()
            (loss if aux is None else loss + args.aux_weight * aux).backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            ema_unet.step(unet.parameters())
            if not text_frozen:
                ema_text.step(text_encoder.parameters())
            if step % 10 == 0:
                line = f"step {step} loss {loss.item():.4f} lr {sched.get_last_lr()[0]:.2e}"
                if aux is not None:
                    line += f" aux {aux.item():.3f} read " + " ".join(
                        f"{n}={a:.2f}" for n, a in zip(NAMES, aux_acc.tolist(), strict=True)
                    )
                print(line, flush=True)
            if (step + 1) % 200 == 0 or step + 1 == args.steps:
                state = {
                    "unet": unet.state_dict(),
                    "ema_unet": ema_unet.state_dict(),
                    "opt": opt.state_dict(),
                    "sched": sched.state_dict(),
                    "step": step + 1,
                }
                if large:
                    state |= {
                        "text": text_encoder.state_dict(),
                        "ema_text": ema_text.state_dict(),
                        "heads": heads.state_dict(),
                    }
                atomic_save(state, ckpt)
    out = LARGE if large else SMALL
    ema_unet.copy_to(unet.parameters())
    unet.to(torch.float16).save_pretrained(out / "unet", safe_serialization=True)
    if large and not text_frozen:
        freeze_text_encoder(text_encoder, args.ema)
    if large:  # the small folder names large's shared parts instead (export_pair.py)
        write_pipeline_files(out)
    print("exported", out)


if __name__ == "__main__":
    main()
