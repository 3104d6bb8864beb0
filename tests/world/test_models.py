from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import torch
from diffusers import AutoencoderKL, DPMSolverMultistepScheduler, UNet2DConditionModel
from torch.utils.flop_counter import FlopCounterMode
from transformers import CLIPTextModel, CLIPTokenizer

from obclip.world import model_dir

SHARED = ("tokenizer", "text_encoder", "vae")


def _digest(directory: Path) -> dict[str, str]:
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def unet_macs(directory: Path) -> int:
    """Multiply-accumulates of one UNet forward (batch 1, 77 text tokens), counted on the meta device."""
    config = UNet2DConditionModel.load_config(directory, subfolder="unet")
    with torch.device("meta"):
        unet = UNet2DConditionModel.from_config(config)
        size = config["sample_size"]
        x = torch.zeros(1, config["in_channels"], size, size)
        text = torch.zeros(1, 77, config["cross_attention_dim"])
        t = torch.tensor([500])
    with FlopCounterMode(display=False) as counter:
        unet(x, t, text)
    return counter.get_total_flops() // 2


@pytest.mark.parametrize("name", ["portrait-large", "portrait-small"])
def test_pipeline_dir_loads_as_sd1(name: str) -> None:
    d = model_dir(name)
    index = json.loads((d / "model_index.json").read_text())
    assert index["unet"] == ["diffusers", "UNet2DConditionModel"]
    tok = CLIPTokenizer.from_pretrained(d, subfolder="tokenizer")
    text_encoder = CLIPTextModel.from_pretrained(d, subfolder="text_encoder")
    vae = AutoencoderKL.from_pretrained(d, subfolder="vae")
    unet = UNet2DConditionModel.from_pretrained(d, subfolder="unet")
    scheduler = DPMSolverMultistepScheduler.from_pretrained(d, subfolder="scheduler")
    assert scheduler.config.beta_schedule == "scaled_linear"
    assert (scheduler.config.beta_start, scheduler.config.beta_end) == (0.00085, 0.012)
    assert scheduler.config.prediction_type == "epsilon"
    assert vae.config.sample_size == 64 and 0.1 < vae.config.scaling_factor < 10
    assert unet.config.cross_attention_dim == text_encoder.config.hidden_size
    assert text_encoder.config.max_position_embeddings == tok.model_max_length
    ids = tok(["a young woman", ""], padding="max_length", max_length=tok.model_max_length,
              return_tensors="pt").input_ids
    with torch.no_grad():
        cond = text_encoder(ids).last_hidden_state.to(unet.dtype)
        latents = torch.zeros(2, 4, unet.config.sample_size, unet.config.sample_size, dtype=vae.dtype)
        image = vae.decode(latents).sample
        eps = unet(latents.to(unet.dtype), torch.tensor(10), cond).sample
    assert image.shape == (2, 3, 64, 64)
    assert eps.shape == latents.shape and torch.isfinite(eps).all()
    assert vae.encode(image).latent_dist.mean.shape == (2, 4, 8, 8)


def test_pair_shares_tokenizer_text_encoder_and_vae_bit_for_bit(large_dir: Path, small_dir: Path) -> None:
    for part in SHARED:
        assert _digest(large_dir / part) == _digest(small_dir / part), part
    a = CLIPTextModel.from_pretrained(large_dir, subfolder="text_encoder").state_dict()
    b = CLIPTextModel.from_pretrained(small_dir, subfolder="text_encoder").state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert _digest(large_dir / "unet") != _digest(small_dir / "unet")


def test_small_unet_is_bk_style_and_at_least_3x_cheaper(large_dir: Path, small_dir: Path) -> None:
    small = UNet2DConditionModel.load_config(small_dir, subfolder="unet")
    assert small["mid_block_type"] is None and small["layers_per_block"] == 1
    large_macs, small_macs = unet_macs(large_dir), unet_macs(small_dir)
    assert large_macs >= 3 * small_macs, (large_macs, small_macs)


def test_weights_are_safetensors_and_small() -> None:
    total = 0
    for name in ("portrait-large", "portrait-small", "portrait-classifier"):
        files = [p for p in model_dir(name).rglob("*") if p.is_file()]
        assert not [p for p in files if p.suffix in (".bin", ".pt", ".pth", ".ckpt")]
        total += sum(p.stat().st_size for p in files)
    assert total <= 30 * 1024 * 1024, total
