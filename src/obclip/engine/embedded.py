"""Models that ship with obclip and need no network: the registry behind `embedded:NAME`.

An entry is either a packaged diffusers directory (trained weights under `obclip/models/`) or
a builder that makes a tiny model from fixed seeds; both load like any SD 1.x checkpoint.
Importing the registry costs no torch: the builders import it when they run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from obclip.defaults import DEFAULT_LARGE as DEFAULT_LARGE  # re-exported: `embedded:default`
from obclip.defaults import EMBEDDED_PREFIX
from obclip.errors import ModelNotFoundError
from obclip.models import model_dir

if TYPE_CHECKING:
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTokenizer

PREFIX = EMBEDDED_PREFIX


@dataclass(frozen=True)
class Components:
    """The parts of an SD 1.x pipeline the engine uses."""

    tokenizer: CLIPTokenizer
    text_encoder: CLIPTextModel
    vae: AutoencoderKL
    unet: UNet2DConditionModel | None
    schedule: dict[str, Any]
    # SDXL's second tokenizer and text encoder (with projection), None for SD 1.x/2.x.
    tokenizer_2: CLIPTokenizer | None = None
    text_encoder_2: torch.nn.Module | None = None
    # The pipeline's model_index.json (e.g. SDXL's force_zeros_for_empty_prompt), {} when absent.
    pipeline: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EmbeddedModel:
    """One registry entry: a packaged directory or a seeded builder, and its device partner."""

    name: str
    description: str
    small: str | None = None
    directory: str | None = None
    build: Callable[[], Components] | None = None
    taxonomy: str | None = None

    def path(self) -> Path | None:
        """The packaged directory, if this entry has trained weights installed."""
        if self.directory is None:
            return None
        path = model_dir(self.directory)
        return path if (path / "unet").is_dir() else None

    def taxonomy_path(self) -> Path | None:
        """The taxonomy file of the world the model was trained on, if it has one."""
        if self.taxonomy is None:
            return None
        return Path(str(resources.files("obclip").joinpath(*self.taxonomy.split("/"))))

    @property
    def available(self) -> bool:
        return self.build is not None or self.path() is not None


TINY_MAX_TOKENS = 256


def _tiny_tokenizer() -> CLIPTokenizer:
    """A character-level CLIP tokenizer: every byte is a token, no merges, no files."""
    from transformers import CLIPTokenizer
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    chars = list(bytes_to_unicode().values())
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({c + "</w>": len(chars) + i for i, c in enumerate(chars)})
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=TINY_MAX_TOKENS)


def _tiny_shared() -> tuple[CLIPTokenizer, CLIPTextModel, AutoencoderKL]:
    import torch
    from transformers import CLIPTextConfig, CLIPTextModel

    tokenizer = _tiny_tokenizer()
    torch.manual_seed(0)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tokenizer),
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=2,
            max_position_embeddings=TINY_MAX_TOKENS,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    )
    return tokenizer, text_encoder.eval(), tiny_vae(1)


def tiny_vae(seed: int, **config: Any) -> AutoencoderKL:
    """The placeholders' VAE (64 px <-> 8x8x4), random weights from `seed`; `config` overrides
    (e.g. SDXL's `scaling_factor`)."""
    import torch
    from diffusers import AutoencoderKL

    torch.manual_seed(seed)
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(8, 16, 16, 16),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=4,
        sample_size=64,
        **config,
    ).eval()


def _tiny_unet(seed: int, *, layers_per_block: int, mid_block: bool) -> UNet2DConditionModel:
    import torch
    from diffusers import UNet2DConditionModel

    torch.manual_seed(seed)
    return UNet2DConditionModel(
        sample_size=8,
        in_channels=4,
        out_channels=4,
        block_out_channels=(32, 64),
        layers_per_block=layers_per_block,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        mid_block_type="UNetMidBlock2DCrossAttn" if mid_block else None,
        cross_attention_dim=32,
        attention_head_dim=8,
        norm_num_groups=8,
    ).eval()


def _sd_scheduler_config() -> dict[str, Any]:
    from obclip.engine.schedulers import SD_SCHEDULER_CONFIG

    return dict(SD_SCHEDULER_CONFIG)


def build_tiny_random_large() -> Components:
    """Large placeholder: 2 layers per block with a mid block, random weights from seed 2, SD 1.5's
    scheduler config."""
    tokenizer, text_encoder, vae = _tiny_shared()
    unet = _tiny_unet(2, layers_per_block=2, mid_block=True)
    return Components(tokenizer, text_encoder, vae, unet, _sd_scheduler_config())


def build_tiny_random_small() -> Components:
    """Small placeholder, BK-style: 1 layer per block, no mid block, same text encoder and VAE."""
    tokenizer, text_encoder, vae = _tiny_shared()
    unet = _tiny_unet(3, layers_per_block=1, mid_block=False)
    return Components(tokenizer, text_encoder, vae, unet, _sd_scheduler_config())


REGISTRY: dict[str, EmbeddedModel] = {
    entry.name: entry
    for entry in (
        EmbeddedModel(
            "portrait-large",
            "trained 64 px portrait model (large UNet), the default when installed",
            small="portrait-small",
            directory="portrait-large",
            taxonomy="world/taxonomy.json",
        ),
        EmbeddedModel(
            "portrait-small",
            "trained 64 px portrait model (BK-style small UNet sharing text encoder and VAE)",
            directory="portrait-small",
            taxonomy="world/taxonomy.json",
        ),
        EmbeddedModel(
            "tiny-random",
            "random-weight placeholder (large UNet), built from fixed seeds",
            small="tiny-random-small",
            build=build_tiny_random_large,
        ),
        EmbeddedModel(
            "tiny-random-small",
            "random-weight placeholder (BK-style small UNet), built from fixed seeds",
            build=build_tiny_random_small,
        ),
        EmbeddedModel(
            "tiny-sdxl-random",
            "random-weight SDXL-shaped placeholder (two text encoders, text_time UNet), fixed seeds",
            small="tiny-sdxl-random-small",
            build=lambda: _sdxl().build_tiny_sdxl_large(),
        ),
        EmbeddedModel(
            "tiny-sdxl-random-small",
            "random-weight KOALA-style small SDXL UNet (fewer blocks, no mid block), fixed seeds",
            build=lambda: _sdxl().build_tiny_sdxl_small(),
        ),
        EmbeddedModel(
            "tiny-lcm-sdxl-random",
            "random-weight LCM-shaped SDXL placeholder (reads the guidance embedding; --scheduler lcm)",
            small="tiny-lcm-sdxl-random-small",
            build=lambda: _sdxl().build_tiny_sdxl_large(lcm=True),
        ),
        EmbeddedModel(
            "tiny-lcm-sdxl-random-small",
            "random-weight LCM-shaped KOALA-style small SDXL UNet",
            build=lambda: _sdxl().build_tiny_sdxl_small(lcm=True),
        ),
    )
}


def _sdxl() -> Any:
    from obclip.engine import sdxl  # imports this module: loaded on first use only

    return sdxl


@cache
def default_name() -> str:
    """`portrait-large` when its trained weights are installed, else the random placeholder."""
    return "portrait-large" if REGISTRY["portrait-large"].available else "tiny-random"


def lookup(spec: str) -> EmbeddedModel:
    """The registry entry for `embedded:NAME` (`embedded:default` picks the default)."""
    name = spec[len(PREFIX) :] if spec.startswith(PREFIX) else spec
    if name in ("", "default"):
        name = default_name()
    entry = REGISTRY.get(name)
    if entry is None or not entry.available:
        known = ", ".join(PREFIX + n for n, e in REGISTRY.items() if e.available)
        raise ModelNotFoundError(f"unknown embedded model {spec!r} (available: {known})")
    return entry
