"""Cheap quality check of the shipped large pipeline with a plain DPM-Solver++ loop (no engine)."""

from __future__ import annotations

from pathlib import Path

import torch
from diffusers import AutoencoderKL, DPMSolverMultistepScheduler, UNet2DConditionModel
from transformers import CLIPTextModel, CLIPTokenizer

from obclip.world import WORLD_ATTRIBUTES, load_classifier

PROMPTS = [
    ("a young woman with dark skin, blue background", {"gender": "female", "age": "young", "skin": "dark"}),
    ("portrait of an old man with light skin wearing glasses", {"gender": "male", "age": "old", "skin": "light"}),
    (
        "a middle-aged woman with medium skin; she wears a hat",
        {"gender": "female", "age": "middle-aged", "skin": "medium"},
    ),
    ("a young light-skinned man in a red shirt", {"gender": "male", "age": "young", "skin": "light"}),
    ("an old dark-skinned woman on a green background", {"gender": "female", "age": "old", "skin": "dark"}),
    ("a middle-aged man with olive skin", {"gender": "male", "age": "middle-aged", "skin": "medium"}),
]


@torch.no_grad()
def generate(d: Path, prompts: list[str], steps: int = 12, guidance: float = 6.0, seed: int = 0) -> torch.Tensor:
    tok = CLIPTokenizer.from_pretrained(d, subfolder="tokenizer")
    text_encoder = CLIPTextModel.from_pretrained(d, subfolder="text_encoder", torch_dtype=torch.float32)
    vae = AutoencoderKL.from_pretrained(d, subfolder="vae", torch_dtype=torch.float32)
    unet = UNet2DConditionModel.from_pretrained(d, subfolder="unet", torch_dtype=torch.float32)
    scheduler = DPMSolverMultistepScheduler.from_pretrained(d, subfolder="scheduler")
    scheduler.set_timesteps(steps)
    ids = tok(
        [""] * len(prompts) + prompts, padding="max_length", max_length=tok.model_max_length, return_tensors="pt"
    ).input_ids
    cond = text_encoder(ids).last_hidden_state
    size = unet.config.sample_size
    x = torch.randn(len(prompts), 4, size, size, generator=torch.Generator().manual_seed(seed))
    x = x * scheduler.init_noise_sigma
    for t in scheduler.timesteps:
        eps_u, eps_c = unet(scheduler.scale_model_input(torch.cat([x, x]), t), t, cond).sample.chunk(2)
        x = scheduler.step(eps_u + guidance * (eps_c - eps_u), t, x).prev_sample
    return ((vae.decode(x / vae.config.scaling_factor).sample + 1) / 2).clamp(0, 1)


def test_large_model_draws_the_sensitive_attributes(large_dir: Path) -> None:
    images = generate(large_dir, [p for p, _ in PROMPTS])
    assert images.shape == (len(PROMPTS), 3, 64, 64)
    pred = load_classifier().predict(images)
    hits = total = 0
    for i, (_, attrs) in enumerate(PROMPTS):
        for name, value in attrs.items():
            hits += int(pred[name][i]) == WORLD_ATTRIBUTES[name].index(value)
            total += 1
    assert hits / total >= MIN_SENSITIVE_ACCURACY, f"{hits}/{total}"


# gender, age and skin are read at 100 % on 200 held-out captions at 25 steps (training/README.md);
# at 12 steps these 18 readings came out 17-18 right for noise seeds 0-3
MIN_SENSITIVE_ACCURACY = 0.85
