"""Which diffusers pipelines obclip runs, decided from a model's config files before any weight loads.

`inspect_model` refuses, in one line, every architecture the engine cannot run exactly (SD3, Flux,
video, image-conditioned and refiner pipelines, ...); `family_components` names the components a
family adds (SDXL's second tokenizer and encoder); `make_conditioner` picks the text conditioner.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from diffusers import AutoencoderKL

from obclip.engine.conditioning import ClipConditioner, TextConditioner
from obclip.errors import IncompatibleModelsError

SD = "sd"  # SD 1.x / 2.x (epsilon or v-prediction), one CLIP text encoder
SDXL = "sdxl"  # SDXL family (SDXL, KOALA, SSD-1B, LCM-SDXL): two text encoders, text_time UNet

# model_index.json `_class_name` -> family. LCM-distilled UNets load under either family.
SUPPORTED_PIPELINES = {
    "StableDiffusionPipeline": SD,
    "LatentConsistencyModelPipeline": SD,
    "StableDiffusionXLPipeline": SDXL,
}

# The pipeline a model without model_index.json runs in.
DEFAULT_PIPELINES = {SD: "StableDiffusionPipeline", SDXL: "StableDiffusionXLPipeline"}

# Words in a pipeline class name -> what the user is told it is.
_KNOWN_OTHERS = (
    ("StableDiffusion3", "SD3 (an MMDiT transformer)"),
    ("Flux", "Flux (a transformer)"),
    ("Video", "a video pipeline"),
    ("AnimateDiff", "a video pipeline"),
    ("CogVideo", "a video pipeline"),
    ("Wan", "a video pipeline"),
    ("LTX", "a video pipeline"),
    ("Img2Img", "an image-to-image pipeline"),
    ("Inpaint", "an inpainting pipeline"),
    ("Upscale", "an upscaler"),
    ("Depth2Img", "a depth-conditioned pipeline"),
    ("ControlNet", "a ControlNet pipeline"),
    ("PixArt", "PixArt (a transformer)"),
    ("Sana", "Sana (a transformer)"),
    ("Kandinsky", "Kandinsky"),
    ("Cascade", "Stable Cascade"),
)
_SUPPORTED_TEXT = "obclip runs UNet text-to-image pipelines: SD 1.x/2.x, SDXL (KOALA), and their LCM-distilled UNets"


@dataclass(frozen=True)
class Architecture:
    """What a model directory or hub id holds, as far as obclip cares."""

    family: str
    pipeline: dict[str, Any] = field(default_factory=dict)

    @property
    def pipeline_class(self) -> str:
        """The diffusers pipeline that runs the model (`model_index.json`'s, else the family's)."""
        return str(self.pipeline.get("_class_name") or DEFAULT_PIPELINES[self.family])


def read_config(source: str, name: str) -> dict[str, Any] | None:
    """A JSON file of a local directory or hub id (`model_index.json`, `unet/config.json`), or None."""
    local = Path(source)
    if local.is_dir():
        path = local / name
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None
    from obclip.engine import hub

    folder, _, filename = name.rpartition("/")
    return hub.read_json(source, filename, folder or None)  # None: absent, or the hub out of reach


def inspect_model(spec: str, source: str) -> Architecture:
    """The family of the model at `source`, or `IncompatibleModelsError` with one line saying why not.

    Reads `model_index.json` (`_class_name`, components) and `unet/config.json`; a model without a
    model_index.json is judged by its UNet alone.
    """
    index = read_config(source, "model_index.json") or {}
    unet = read_config(source, "unet/config.json")
    name = index.get("_class_name")

    def refuse(reason: str) -> IncompatibleModelsError:
        return IncompatibleModelsError(f"model {spec!r} is {reason}; {_SUPPORTED_TEXT}")

    if name is not None and name not in SUPPORTED_PIPELINES:
        what = next((text for word, text in _KNOWN_OTHERS if word in name), "not a supported pipeline")
        raise refuse(f"{name}: {what}")
    if "transformer" in index or (unet is None and read_config(source, "transformer/config.json") is not None):
        raise refuse("a transformer (DiT) pipeline, not a UNet one")
    family = SUPPORTED_PIPELINES.get(str(name), SD)
    if unet is not None:
        unet_class = unet.get("_class_name", "UNet2DConditionModel")
        if unet_class != "UNet2DConditionModel":
            kind = "a video UNet" if "3D" in unet_class or "Temporal" in unet_class else "not a text-to-image UNet"
            raise refuse(f"built on {unet_class} ({kind})")
        if unet.get("in_channels", 4) != unet.get("out_channels", 4):
            raise refuse(
                f"image-conditioned (its UNet takes {unet.get('in_channels')} input channels "
                f"for {unet.get('out_channels')} latent channels, e.g. inpainting)"
            )
        if unet.get("class_embed_type") is not None:
            raise refuse(f"class-conditioned (class_embed_type {unet['class_embed_type']!r}, e.g. an upscaler)")
        added = unet.get("addition_embed_type")
        if added not in (None, "text_time"):
            raise refuse(f"conditioned on {added!r} added embeddings")
        if added == "text_time":
            family = SDXL
        elif family == SDXL:
            raise refuse("an SDXL pipeline whose UNet has no text_time conditioning")
    if family == SDXL:
        if index.get("requires_aesthetics_score") or (index and index.get("text_encoder", [None])[0] is None):
            raise refuse("an SDXL refiner (no first text encoder, aesthetic-score conditioning)")
        if index and index.get("text_encoder_2", [None])[0] is None:
            raise refuse("an SDXL pipeline without its second text encoder")
    return Architecture(family, dict(index))


def family_components(architecture: Architecture, part: Callable[[str], Any]) -> dict[str, Any]:
    """The `Components` fields beyond SD 1.x's, loaded through `part(name)`: SDXL's second
    tokenizer and text encoder, and the pipeline's config."""
    if architecture.family != SDXL:
        return {"pipeline": architecture.pipeline}
    return {
        "tokenizer_2": part("tokenizer_2"),
        "text_encoder_2": part("text_encoder_2"),
        "pipeline": architecture.pipeline,
    }


def vae_config_value(config: dict[str, Any], key: str) -> Any:
    """A VAE config entry, with diffusers' default where the file leaves it out (older configs
    have no `scaling_factor`: diffusers reads them as 0.18215, and so does obclip)."""
    if key in config:
        return config[key]
    parameter = inspect.signature(AutoencoderKL.__init__).parameters.get(key)
    return None if parameter is None or parameter.default is inspect.Parameter.empty else parameter.default


def make_conditioner(parts: Any) -> TextConditioner:
    """The text conditioner for loaded components: SDXL's when they hold a second encoder."""
    if getattr(parts, "text_encoder_2", None) is None:
        return ClipConditioner(parts.tokenizer, parts.text_encoder)
    from obclip.engine.sdxl import SdxlConditioner

    return SdxlConditioner(
        [parts.tokenizer, parts.tokenizer_2],
        [parts.text_encoder, parts.text_encoder_2],
        force_zeros_for_empty_prompt=bool(parts.pipeline.get("force_zeros_for_empty_prompt", True)),
    )


def example_unet_kwargs(unet: Any, rows: int, *, tokens: int = 77) -> dict[str, Any]:
    """Zero conditioning shaped for one forward of `unet` (timing, MAC counting): the text states,
    and SDXL's pooled text and time ids or LCM's guidance embedding where the UNet takes them."""
    config = unet.config
    zeros = {"device": unet.device, "dtype": unet.dtype}
    kwargs: dict[str, Any] = {"encoder_hidden_states": torch.zeros(rows, tokens, config.cross_attention_dim, **zeros)}
    if config.get("addition_embed_type") == "text_time":
        pooled = config.projection_class_embeddings_input_dim - 6 * config.addition_time_embed_dim
        kwargs["added_cond_kwargs"] = {
            "text_embeds": torch.zeros(rows, pooled, **zeros),
            "time_ids": torch.zeros(rows, 6, **zeros),
        }
    if config.get("time_cond_proj_dim") is not None:
        kwargs["timestep_cond"] = torch.zeros(rows, config.time_cond_proj_dim, **zeros)
    return kwargs
