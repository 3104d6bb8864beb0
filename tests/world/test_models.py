from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import torch
from diffusers import AutoencoderKL, DPMSolverMultistepScheduler, UNet2DConditionModel
from torch.utils.flop_counter import FlopCounterMode
from transformers import CLIPTextModel, CLIPTokenizer

from obclip.engine.models import SHARED_FILE, component_location
from obclip.models import model_dir

SHARED = ("tokenizer", "text_encoder", "vae", "scheduler")


def _digest(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


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


def _where(name: str, component: str) -> dict[str, str]:
    """The directory and subfolder obclip's loader reads `component` of a shipped model from."""
    source, subfolder = component_location(str(model_dir(name)), component)
    return {"pretrained_model_name_or_path": source, "subfolder": subfolder}


def test_large_dir_is_an_sd1_pipeline() -> None:
    index = json.loads((model_dir("portrait-large") / "model_index.json").read_text())
    assert index["unet"] == ["diffusers", "UNet2DConditionModel"]
    assert all((model_dir("portrait-large") / part).is_dir() for part in (*SHARED, "unet"))


@pytest.mark.parametrize("name", ["portrait-large", "portrait-small"])
def test_pipeline_dir_loads_as_sd1(name: str) -> None:
    tok = CLIPTokenizer.from_pretrained(**_where(name, "tokenizer"))
    text_encoder = CLIPTextModel.from_pretrained(**_where(name, "text_encoder"))
    vae = AutoencoderKL.from_pretrained(**_where(name, "vae"))
    unet = UNet2DConditionModel.from_pretrained(**_where(name, "unet"))
    scheduler = DPMSolverMultistepScheduler.from_pretrained(**_where(name, "scheduler"))
    assert scheduler.config.beta_schedule == "scaled_linear"
    assert (scheduler.config.beta_start, scheduler.config.beta_end) == (0.00085, 0.012)
    assert scheduler.config.prediction_type == "epsilon"
    assert vae.config.sample_size == 64 and 0.1 < vae.config.scaling_factor < 10
    assert unet.config.cross_attention_dim == text_encoder.config.hidden_size
    assert text_encoder.config.max_position_embeddings == tok.model_max_length
    ids = tok(
        ["a young woman", ""], padding="max_length", max_length=tok.model_max_length, return_tensors="pt"
    ).input_ids
    with torch.no_grad():
        cond = text_encoder(ids).last_hidden_state.to(unet.dtype)
        latents = torch.zeros(2, 4, unet.config.sample_size, unet.config.sample_size, dtype=vae.dtype)
        image = vae.decode(latents).sample
        eps = unet(latents.to(unet.dtype), torch.tensor(10), cond).sample
    assert image.shape == (2, 3, 64, 64)
    assert eps.shape == latents.shape and torch.isfinite(eps).all()
    assert vae.encode(image).latent_dist.mean.shape == (2, 4, 8, 8)


def test_small_dir_holds_its_unet_and_takes_the_shared_parts_from_large(large_dir: Path, small_dir: Path) -> None:
    assert sorted(p.name for p in small_dir.iterdir()) == [SHARED_FILE, "unet"]
    for part in SHARED:
        assert component_location(str(small_dir), part) == (str(large_dir.resolve()), part)
    assert component_location(str(small_dir), "unet") == (str(small_dir.resolve()), "unet")
    assert _digest(large_dir / "unet") != _digest(small_dir / "unet")


def test_no_model_file_is_shipped_twice() -> None:
    """Every file under obclip/models (what the wheel ships) has content no other file has."""
    root = model_dir(".")
    seen: dict[str, Path] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest not in seen, f"{path.relative_to(root)} repeats {seen[digest].relative_to(root)}"
        seen[digest] = path
    assert len(seen) >= 15


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
