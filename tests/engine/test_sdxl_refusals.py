"""Architectures obclip does not run are refused at load, in one line (CLI exit 2, `serve` before it
listens); an SD VAE config without `scaling_factor` reads as diffusers' default, SD's own value (an SDXL
one is refused: test_model_configs.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from obclip.cli import main
from obclip.engine import load_device_model, load_model
from obclip.engine.architectures import SD, SDXL, inspect_model
from obclip.engine.embedded import build_tiny_random_small
from obclip.engine.schedulers import make_scheduler
from obclip.errors import IncompatibleModelsError

UNET_2D = {"_class_name": "UNet2DConditionModel", "in_channels": 4, "out_channels": 4}


def fake_model(root: Path, index: dict | None, unet: dict | None = None, **configs: dict) -> Path:
    """A model directory holding only configs (no weights): all the refusal needs to read."""
    root.mkdir(parents=True, exist_ok=True)
    if index is not None:
        (root / "model_index.json").write_text(json.dumps(index))
    for name, config in {"unet": unet, **configs}.items():
        if config is not None:
            (root / name).mkdir(exist_ok=True)
            (root / name / ("scheduler_config.json" if name == "scheduler" else "config.json")).write_text(
                json.dumps(config)
            )
    return root


UNSUPPORTED = {
    "sd3": (
        {"_class_name": "StableDiffusion3Pipeline", "transformer": ["diffusers", "SD3Transformer2DModel"]},
        None,
        "SD3",
    ),
    "flux": ({"_class_name": "FluxPipeline", "transformer": ["diffusers", "FluxTransformer2DModel"]}, None, "Flux"),
    "svd": (
        {"_class_name": "StableVideoDiffusionPipeline"},
        {"_class_name": "UNetSpatioTemporalConditionModel"},
        "video",
    ),
    "text-to-video": ({"_class_name": "TextToVideoSDPipeline"}, {"_class_name": "UNet3DConditionModel"}, "video"),
    "inpainting": (
        {"_class_name": "StableDiffusionInpaintPipeline"},
        {**UNET_2D, "in_channels": 9},
        "inpainting",
    ),
    "inpainting-unet-only": (None, {**UNET_2D, "in_channels": 9}, "image-conditioned"),
    "sdxl-refiner": (
        {"_class_name": "StableDiffusionXLImg2ImgPipeline", "requires_aesthetics_score": True},
        {**UNET_2D, "addition_embed_type": "text_time"},
        "image-to-image",
    ),
    "upscaler": ({"_class_name": "StableDiffusionUpscalePipeline"}, {**UNET_2D, "class_embed_type": None}, "upscaler"),
    "dit-without-index": (None, None, "transformer"),
    "unknown": ({"_class_name": "SomethingNewPipeline"}, UNET_2D, "not a supported pipeline"),
    "image-embeds": ({"_class_name": "StableDiffusionPipeline"}, {**UNET_2D, "addition_embed_type": "image"}, "image"),
}


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_architectures_are_refused_in_one_line(tmp_path, name):
    index, unet, words = UNSUPPORTED[name]
    extra = {"transformer": {"_class_name": "DiT"}} if name == "dit-without-index" else {}
    path = fake_model(tmp_path / name, index, unet, **extra)
    with pytest.raises(IncompatibleModelsError) as caught:
        load_model(str(path), device=torch.device("cpu"))
    message = str(caught.value)
    assert words in message and "\n" not in message and "SDXL" in message


def test_an_unsupported_device_model_is_refused_before_loading(tmp_path):
    sd3 = fake_model(tmp_path / "sd3", *UNSUPPORTED["sd3"][:2])
    with pytest.raises(IncompatibleModelsError, match="SD3"):
        load_device_model("embedded:tiny-random", str(sd3), device=torch.device("cpu"))


def test_supported_families_are_recognised_from_configs(tmp_path):
    sd2 = fake_model(
        tmp_path / "sd2",
        {"_class_name": "StableDiffusionPipeline"},
        {**UNET_2D, "cross_attention_dim": 1024},
        scheduler={"_class_name": "DDIMScheduler", "prediction_type": "v_prediction"},
    )
    assert inspect_model("sd2", str(sd2)).family == SD
    # SD 2.x v-prediction runs: every scheduler takes the model's prediction type.
    assert (
        make_scheduler("dpmsolver++", {"prediction_type": "v_prediction"}, 4).config.prediction_type == "v_prediction"
    )
    sdxl = fake_model(
        tmp_path / "sdxl",
        {"_class_name": "StableDiffusionXLPipeline", "text_encoder": ["transformers", "CLIPTextModel"]}
        | {"text_encoder_2": ["transformers", "CLIPTextModelWithProjection"], "force_zeros_for_empty_prompt": True},
        {**UNET_2D, "addition_embed_type": "text_time"},
    )
    arch = inspect_model("sdxl", str(sdxl))
    assert arch.family == SDXL and arch.pipeline["force_zeros_for_empty_prompt"] is True


def test_cli_refuses_an_unsupported_model_with_exit_2(tmp_path, capsys):
    flux = fake_model(tmp_path / "flux", *UNSUPPORTED["flux"][:2])
    code = main(["generate", "a man", "--large", str(flux), "--small", "same", "--out", str(tmp_path / "x.png")])
    _, err = capsys.readouterr()
    assert code == 2 and "Flux" in err and err.count("\n") == 1


def test_serve_refuses_an_unsupported_model_before_listening(tmp_path):
    svd = fake_model(tmp_path / "svd", *UNSUPPORTED["svd"][:2])
    proc = subprocess.run(
        [sys.executable, "-m", "obclip", "serve", "--large", str(svd), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "video" in proc.stderr and "Traceback" not in proc.stderr
    assert "serving" not in proc.stderr


def _small_model_dir(root: Path, vae_config: dict) -> Path:
    """A device model directory: tiny-random-small's UNet and a VAE config (no weights)."""
    parts = build_tiny_random_small()
    parts.unet.save_pretrained(root / "unet")
    (root / "vae").mkdir()
    (root / "vae" / "config.json").write_text(json.dumps(vae_config))
    return root


def test_missing_vae_scaling_factor_reads_as_diffusers_default(tmp_path):
    vae = {k: v for k, v in dict(build_tiny_random_small().vae.config).items() if not k.startswith("_")}
    vae.pop("scaling_factor")
    small = _small_model_dir(tmp_path / "old-config", vae)
    device = load_device_model("embedded:tiny-random", str(small), device=torch.device("cpu"))
    assert device.vae.config.scaling_factor == 0.18215
    other = _small_model_dir(tmp_path / "other-latents", {**vae, "scaling_factor": 0.5})
    with pytest.raises(IncompatibleModelsError, match=r"scaling_factor 0\.5"):
        load_device_model("embedded:tiny-random", str(other), device=torch.device("cpu"))


def test_sdxl_device_unet_with_other_added_conditioning_widths_is_refused(tmp_path):
    from diffusers import UNet2DConditionModel

    from obclip.engine.sdxl import build_tiny_sdxl_small

    config = dict(build_tiny_sdxl_small().unet.config)
    UNet2DConditionModel.from_config(
        {**config, "addition_time_embed_dim": 4, "projection_class_embeddings_input_dim": 6 * 4 + 32}
    ).save_pretrained(tmp_path / "small" / "unet")
    with pytest.raises(IncompatibleModelsError, match="pooled-text and time-id widths"):
        load_device_model("embedded:tiny-sdxl-random", str(tmp_path / "small"), device=torch.device("cpu"))
