"""Tiny UNets and candidate batches for the acceleration tests."""

from __future__ import annotations

import torch
from diffusers import UNet2DConditionModel

TINY_UNET = {
    "block_out_channels": (32, 64),
    "layers_per_block": 1,
    "norm_num_groups": 8,
    "cross_attention_dim": 16,
    "sample_size": 8,
    "down_block_types": ("CrossAttnDownBlock2D", "DownBlock2D"),
    "up_block_types": ("UpBlock2D", "CrossAttnUpBlock2D"),
    "attention_head_dim": 8,
}
# Three stages, attention in two, and no mid block (BK-SDM style).
TINY_UNET_NO_MID = {
    **TINY_UNET,
    "block_out_channels": (16, 32, 32),
    "down_block_types": ("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    "up_block_types": ("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    "mid_block_type": None,
}
TEXT_LEN = 7


def make_unet(config: dict | None = None, seed: int = 0) -> UNet2DConditionModel:
    torch.manual_seed(seed)
    return UNet2DConditionModel(**(config or TINY_UNET)).eval()


def candidate_batch(n: int, *, guidance: bool = True, same_text: bool = False, seed: int = 1):
    """Latents repeated for every row (one z_T) and per-candidate text; uncond rows share one text."""
    g = torch.Generator().manual_seed(seed)
    latent = torch.randn(1, 4, 8, 8, generator=g)
    uncond = torch.randn(1, TEXT_LEN, 16, generator=g)
    cond = torch.randn(1 if same_text else n, TEXT_LEN, 16, generator=g).expand(n, -1, -1)
    text = torch.cat([uncond.expand(n, -1, -1), cond]) if guidance else cond
    return latent.expand(text.shape[0], -1, -1, -1).contiguous(), text.contiguous()


def step_inputs(x: torch.Tensor, step: int) -> tuple[torch.Tensor, int]:
    """A different latent and timestep per step, the same for every row, like a denoising loop."""
    g = torch.Generator().manual_seed(100 + step)
    return x + 0.1 * torch.randn(1, *x.shape[1:], generator=g), 900 - 37 * step


# SDXL-shaped: no attention in the first stage, 1 and 2 transformer layers per block (SDXL: 0, 2, 10),
# a cross-attention mid block with 2 layers, linear projections and the "text_time" added conditioning.
TINY_SDXL_UNET = {
    "block_out_channels": (32, 64),
    "layers_per_block": 1,
    "norm_num_groups": 8,
    "cross_attention_dim": 16,
    "sample_size": 8,
    "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D"),
    "up_block_types": ("CrossAttnUpBlock2D", "UpBlock2D"),
    "transformer_layers_per_block": (1, 2),
    "attention_head_dim": (4, 8),
    "use_linear_projection": True,
    "addition_embed_type": "text_time",
    "addition_time_embed_dim": 4,
    "projection_class_embeddings_input_dim": 8 + 6 * 4,  # pooled text (8) + six time ids
}
POOLED_DIM = 8


def sdxl_added(n: int, *, guidance: bool = True, same_text: bool = False, seed: int = 2) -> dict:
    """SDXL's `added_cond_kwargs`: pooled text per row (zeros for the empty negative prompt) and time ids."""
    g = torch.Generator().manual_seed(seed)
    cond = torch.randn(1 if same_text else n, POOLED_DIM, generator=g).expand(n, -1)
    pooled = torch.cat([torch.zeros(n, POOLED_DIM), cond]) if guidance else cond
    time_ids = torch.tensor([[64.0, 64.0, 0.0, 0.0, 64.0, 64.0]]).expand(pooled.shape[0], -1)
    return {"text_embeds": pooled.contiguous(), "time_ids": time_ids.contiguous()}
