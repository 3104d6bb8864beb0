"""MAC counting for UNet forwards and whole requests, on the `meta` device (weights do not change cost):
the cost model the service admits requests by and the app shows, beside the loop it counts.

Counts come from `torch.utils.flop_counter.FlopCounterMode`: convolutions and linear layers (`conv_linear`,
the paper's FLOPs convention) apart from attention matmuls (`attention`); a MAC is half a counted FLOP.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch
from torch.utils.flop_counter import FlopCounterMode

if TYPE_CHECKING:
    from obclip.accel import AccelConfig, BatchLayout

aten = torch.ops.aten

# Convolutions and linear layers (3-D inputs are folded into mm/addmm).
CONV_LINEAR_OPS = frozenset({aten.convolution, aten._convolution, aten.mm, aten.addmm})
# Attention matmuls: SDPA on `meta` is decomposed into bmm; kernels are listed in case it is not.
ATTENTION_OPS = frozenset(
    {
        aten.bmm,
        aten.baddbmm,
        aten._scaled_dot_product_efficient_attention,
        aten._scaled_dot_product_flash_attention,
        aten._scaled_dot_product_cudnn_attention,
    }
)

#: Stable Diffusion 1.x UNet (SD-v1.4 / v1.5 / Realistic Vision share it): 859.5 M parameters.
SD15_UNET_CONFIG: dict[str, Any] = {
    "sample_size": 64,
    "block_out_channels": (320, 640, 1280, 1280),
    "layers_per_block": 2,
    "cross_attention_dim": 768,
    "attention_head_dim": 8,
    "down_block_types": ("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    "up_block_types": ("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
}

#: BK-SDM-small-like UNet: one resnet+attention fewer per down and up stage, no mid block (482.3 M
#: parameters; BK-SDM-small reports 0.48 B). Built from the SD-1.x config, not from its checkpoint.
BK_SDM_SMALL_UNET_CONFIG: dict[str, Any] = {**SD15_UNET_CONFIG, "layers_per_block": 1, "mid_block_type": None}

#: SDXL-base-1.0's UNet (2567.5 M parameters): no attention in the first stage, 2 and 10 transformer
#: layers in the others, 2048-wide text (two encoders concatenated), pooled text + six size/crop ids.
SDXL_UNET_CONFIG: dict[str, Any] = {
    "sample_size": 128,
    "block_out_channels": (320, 640, 1280),
    "layers_per_block": 2,
    "transformer_layers_per_block": (1, 2, 10),
    "attention_head_dim": (5, 10, 20),
    "cross_attention_dim": 2048,
    "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
    "up_block_types": ("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
    "use_linear_projection": True,
    "addition_embed_type": "text_time",
    "addition_time_embed_dim": 256,
    "projection_class_embeddings_input_dim": 2816,  # 1280 pooled text + 6 x 256 time ids
}

#: KOALA-700M's UNet (782.8 M parameters; its model card: 782 M): SDXL's with one residual block per
#: encoder stage, transformer depths 2 and 5 instead of 2 and 10, and no mid block. KOALA-1B (1161 M)
#: is the same with depth 6 and SDXL's mid block: `{**KOALA_700M_UNET_CONFIG, "transformer_layers_per_block":
#: (1, 2, 6), "mid_block_type": "UNetMidBlock2DCrossAttn"}` counts 1161.2 M.
KOALA_700M_UNET_CONFIG: dict[str, Any] = {
    **SDXL_UNET_CONFIG,
    "layers_per_block": 1,
    "transformer_layers_per_block": (1, 2, 5),
    "mid_block_type": None,
}

#: SD-1.x VAE (AutoencoderKL) and CLIP ViT-L/14 text encoder.
SD15_VAE_CONFIG: dict[str, Any] = {
    "in_channels": 3,
    "out_channels": 3,
    "latent_channels": 4,
    "block_out_channels": (128, 256, 512, 512),
    "layers_per_block": 2,
    "down_block_types": ("DownEncoderBlock2D",) * 4,
    "up_block_types": ("UpDecoderBlock2D",) * 4,
    "sample_size": 512,
}
CLIP_L14_TEXT_CONFIG: dict[str, Any] = {
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "max_position_embeddings": 77,
    "projection_dim": 768,
}


@dataclass(frozen=True)
class MacCount:
    """Multiply-accumulates, split into conv+linear and attention matmuls."""

    conv_linear: int = 0
    attention: int = 0

    @property
    def total(self) -> int:
        return self.conv_linear + self.attention

    def __add__(self, other: MacCount) -> MacCount:
        return MacCount(self.conv_linear + other.conv_linear, self.attention + other.attention)

    def __sub__(self, other: MacCount) -> MacCount:
        return MacCount(self.conv_linear - other.conv_linear, self.attention - other.attention)

    def __mul__(self, factor: int) -> MacCount:
        return MacCount(self.conv_linear * factor, self.attention * factor)

    __rmul__ = __mul__


def _classify(counts: dict[Any, int]) -> MacCount:
    conv_linear = sum(v for op, v in counts.items() if op in CONV_LINEAR_OPS)
    attention = sum(v for op, v in counts.items() if op in ATTENTION_OPS)
    unknown = {str(op) for op in counts if op not in CONV_LINEAR_OPS and op not in ATTENTION_OPS}
    if unknown:
        raise RuntimeError(f"uncategorised counted ops: {sorted(unknown)}")
    return MacCount(conv_linear // 2, attention // 2)


def count_macs(fn: Callable[[], Any]) -> MacCount:
    """MACs of everything `fn()` runs."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return _classify(counter.get_flop_counts()["Global"])


def count_macs_by_module(fn: Callable[[], Any], prefixes: Iterable[str]) -> dict[str, MacCount]:
    """MACs of `fn()` attributed to modules whose qualified name (without the root class) is in `prefixes`."""
    with FlopCounterMode(display=False) as counter:
        fn()
    result = {}
    for key, counts in counter.get_flop_counts().items():
        name = key.split(".", 1)[1] if "." in key else ""
        if name in prefixes:
            result[name] = _classify(counts)
    return {name: result.get(name, MacCount()) for name in prefixes}


def build_meta_unet(config: dict[str, Any]) -> torch.nn.Module:
    """A `UNet2DConditionModel` with `config` whose parameters live on `meta` (no memory, no init)."""
    from diffusers import UNet2DConditionModel

    with torch.device("meta"):
        return UNet2DConditionModel(**config).eval()


def unet_inputs(
    unet: torch.nn.Module, rows: int, *, latent_size: int | None = None, text_len: int = 77
) -> tuple[torch.Tensor, int, torch.Tensor]:
    """Meta-device `(sample, timestep, encoder_hidden_states)` for `rows` rows."""
    cfg = unet.config
    size = latent_size or cfg.sample_size
    sample = torch.empty(rows, cfg.in_channels, size, size, device="meta")
    context = torch.empty(rows, text_len, cfg.cross_attention_dim, device="meta")
    return sample, 500, context


def added_inputs(unet: torch.nn.Module, rows: int) -> dict[str, torch.Tensor] | None:
    """Meta-device `added_cond_kwargs` for a UNet with SDXL's "text_time" conditioning, else None."""
    cfg = unet.config
    if cfg.addition_embed_type != "text_time":
        return None
    pooled = cfg.projection_class_embeddings_input_dim - 6 * cfg.addition_time_embed_dim
    return {
        "text_embeds": torch.empty(rows, pooled, device="meta"),
        "time_ids": torch.empty(rows, 6, device="meta"),
    }


def count_unet_forward(
    unet: torch.nn.Module, rows: int, *, latent_size: int | None = None, text_len: int = 77
) -> MacCount:
    """MACs of one stock forward of `unet` on `rows` rows (e.g. 2 for one prompt with guidance)."""
    sample, t, context = unet_inputs(unet, rows, latent_size=latent_size, text_len=text_len)
    added = added_inputs(unet, rows)
    with torch.no_grad():
        return count_macs(
            lambda: unet(sample, t, encoder_hidden_states=context, added_cond_kwargs=added, return_dict=False)
        )


@dataclass
class RequestCount:
    """MACs of one request's UNet forwards over a step range; `per_step[i - start]` for each step."""

    total: MacCount = field(default_factory=MacCount)
    per_step: list[MacCount] = field(default_factory=list)


class ForwardMemo:
    """Per-forward counts keyed by what decides a step's compute, shared across requests and tables."""

    def __init__(self) -> None:
        self.counts: dict[tuple[Any, ...], MacCount] = {}
        self.hits = 0
        self.misses = 0


def count_request(
    unet: torch.nn.Module,
    config: AccelConfig,
    layout: BatchLayout,
    start: int,
    stop: int,
    *,
    latent_size: int | None = None,
    text_len: int = 77,
    memo: ForwardMemo | None = None,
    scope: Any = None,
    memoize: bool = True,
) -> RequestCount:
    """Step the hooked `unet` on `meta` through global steps [start, stop) exactly as the engine does.

    Every step calls `session.begin_step(i)`; its plan decides the compute. A step whose plan was
    already counted (same `scope` and `plan.cost_key()`) reuses the count, and skips the forward
    too unless the plan stores something later steps read, so caches fill exactly as in a real run.
    `memoize=False` counts every forward (for checking the memo).
    """
    from obclip.accel import apply_accelerations

    memo = memo if memo is not None else ForwardMemo()
    scope = (scope if scope is not None else id(unet), latent_size, text_len, layout.guidance)
    result = RequestCount()
    sample, t, context = unet_inputs(unet, layout.rows, latent_size=latent_size, text_len=text_len)
    added = added_inputs(unet, layout.rows)

    def forward() -> Any:
        return unet(sample, t, encoder_hidden_states=context, added_cond_kwargs=added, return_dict=False)

    with torch.no_grad(), apply_accelerations(unet, config, layout) as session:
        for step in range(start, stop):
            plan = session.begin_step(step)
            key = (scope, plan.cost_key())
            count = memo.counts.get(key) if memoize else None
            if count is None:
                memo.misses += 1
                count = count_macs(forward)
                memo.counts[key] = count
            else:
                memo.hits += 1
                if plan.writes_cache:
                    forward()
            result.per_step.append(count)
            result.total = result.total + count
    return result


def count_vae_decode(latent_size: int = 64) -> MacCount:
    """MACs of one SD-1.x VAE decode of a `latent_size`² latent (512 px for 64)."""
    from diffusers import AutoencoderKL

    with torch.device("meta"):
        vae = AutoencoderKL(**SD15_VAE_CONFIG).eval()
    latents = torch.empty(1, 4, latent_size, latent_size, device="meta")
    with torch.no_grad():
        return count_macs(lambda: vae.decode(latents, return_dict=False))


def count_text_encoder(num_prompts: int = 1) -> MacCount:
    """MACs of encoding `num_prompts` prompts of 77 tokens with the CLIP ViT-L/14 text encoder."""
    from transformers import CLIPTextConfig, CLIPTextModel

    with torch.device("meta"):
        model = CLIPTextModel(CLIPTextConfig(**CLIP_L14_TEXT_CONFIG)).eval()
    ids = torch.zeros(num_prompts, 77, dtype=torch.long, device="meta")
    with torch.no_grad():
        return count_macs(lambda: model(input_ids=ids))
