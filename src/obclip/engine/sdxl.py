"""SDXL's text side (two CLIP encoders, pooled embedding, size/crop time ids) and the tiny SDXL models.

`SdxlConditioner` fills the engine's conditioner slot for SDXL-family pipelines (SDXL, KOALA,
LCM-SDXL); `build_tiny_sdxl_large`/`_small` are the seeded `embedded:tiny-sdxl-random` pair and,
with `lcm=True`, the LCM-shaped `embedded:tiny-lcm-sdxl-random` pair.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import torch
from diffusers import AutoencoderKL, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

from obclip.engine.conditioning import Conditioning, TokenizedConditioner, apply_weights
from obclip.engine.schedulers import SDXL_SCHEDULER_CONFIG

SDXL_PIPELINE = "StableDiffusionXLPipeline"

# SDXL's own scheduler config (its scheduler_config.json); the solver is chosen per request.
SDXL_NOISE_SCHEDULE: dict[str, Any] = SDXL_SCHEDULER_CONFIG


class SdxlConditioner(TokenizedConditioner):
    """SDXL conditioning: both CLIP encoders' penultimate hidden states side by side, the second
    encoder's pooled (projected) embedding as `text_embeds`, and `time_ids` = (original size,
    crop top-left, target size) = (h, w, 0, 0, h, w), as diffusers' SDXL pipeline builds them.

    The unconditional rows are what SDXL uses without a negative prompt: zeros when the pipeline
    says `force_zeros_for_empty_prompt` (SDXL base does), else the encoding of "". Tokenizer calls
    hold one lock, so a conditioner can be shared between threads.
    """

    def __init__(
        self,
        tokenizers: Sequence[CLIPTokenizer],
        text_encoders: Sequence[torch.nn.Module],
        *,
        force_zeros_for_empty_prompt: bool = True,
    ) -> None:
        if len(tokenizers) != 2 or len(text_encoders) != 2:
            raise ValueError("SDXL conditioning needs two tokenizers and two text encoders")
        self.tokenizers = tuple(tokenizers)
        self.text_encoders = tuple(e.eval().requires_grad_(False) for e in text_encoders)
        self.tokenizer, self.text_encoder = self.tokenizers[0], self.text_encoders[0]
        self.hidden_size = sum(int(e.config.hidden_size) for e in self.text_encoders)
        self.pooled_size = int(self.text_encoders[1].config.projection_dim)
        self.max_tokens = min(
            int(min(t.model_max_length, e.config.max_position_embeddings))
            for t, e in zip(self.tokenizers, self.text_encoders, strict=True)
        )
        self.force_zeros_for_empty_prompt = force_zeros_for_empty_prompt
        self._tokenizer_lock = threading.Lock()

    def guidance_batch(
        self,
        prompts: Sequence[str],
        guided: bool,
        *,
        size: tuple[int, int] | None = None,
        negative: str = "",
        chunks: int | None = None,
    ) -> Conditioning:
        """Rows for one UNet call: with guidance, N unconditional rows (the `negative` prompt when
        given) then the N prompts, all as long as the longest of them (and at least `chunks` chunks)."""
        count = max(chunks or 1, self.chunk_count([*prompts, negative]))
        cond = self.encode(prompts, size=size, chunks=count)
        if not guided:
            return cond
        if negative:
            uncond = self.encode([negative], size=size, chunks=count)
        elif self.force_zeros_for_empty_prompt:
            uncond = Conditioning(
                torch.zeros_like(cond.encoder_hidden_states[:1]),
                {
                    "text_embeds": torch.zeros_like(cond.added_cond_kwargs["text_embeds"][:1]),
                    "time_ids": cond.added_cond_kwargs["time_ids"][:1],
                },
            )
        else:
            uncond = self.encode([""], size=size, chunks=count)
        return Conditioning.concat([uncond.expand(len(prompts)), cond])

    @torch.no_grad()
    def encode(
        self, prompts: Sequence[str], *, size: tuple[int, int] | None = None, chunks: int | None = None
    ) -> Conditioning:
        """Both encoders' penultimate states per chunk, side by side and chunks concatenated; the pooled
        embedding is the second encoder's for the first chunk (as AUTOMATIC1111 and compel take it)."""
        if size is None:
            raise ValueError("SDXL conditioning needs the image size (height, width) for its time ids")
        hidden = []
        pooled = None
        for (ids, weights), encoder in zip(self.chunk_ids(prompts, chunks), self.text_encoders, strict=True):
            rows, count, window = ids.shape
            out = encoder(ids.view(rows * count, window).to(encoder.device), output_hidden_states=True)
            states = apply_weights(out.hidden_states[-2], weights.view(rows * count, window))
            hidden.append(states.reshape(rows, count * window, states.shape[-1]))
            pooled = getattr(out, "text_embeds", None)
            if pooled is not None:
                pooled = pooled.view(rows, count, -1)[:, 0]
        if pooled is None:
            raise ValueError("SDXL's second text encoder must have a projection (CLIPTextModelWithProjection)")
        states = torch.cat(hidden, dim=-1)
        height, width = (int(v) for v in size)
        time_ids = torch.tensor([[height, width, 0, 0, height, width]], dtype=states.dtype, device=states.device)
        return Conditioning(states, {"text_embeds": pooled, "time_ids": time_ids.repeat(len(prompts), 1)})


# The tiny SDXL pair (`embedded:tiny-sdxl-random`, `-small`): SDXL's shapes at toy widths.
TINY_SDXL_PIPELINE: dict[str, Any] = {"_class_name": SDXL_PIPELINE, "force_zeros_for_empty_prompt": True}
_TINY_TIME_EMBED = 8
_TINY_POOLED = 32


def _tiny_text_encoders(tokenizer: CLIPTokenizer) -> tuple[CLIPTextModel, CLIPTextModelWithProjection]:
    common = {
        "vocab_size": len(tokenizer),
        "num_attention_heads": 2,
        "max_position_embeddings": tokenizer.model_max_length,
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    torch.manual_seed(20)
    first = CLIPTextModel(CLIPTextConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, **common))
    torch.manual_seed(21)
    second = CLIPTextModelWithProjection(
        CLIPTextConfig(hidden_size=48, intermediate_size=96, num_hidden_layers=3, projection_dim=_TINY_POOLED, **common)
    )
    return first.eval(), second.eval()


def _tiny_sdxl_vae() -> AutoencoderKL:
    from obclip.engine.embedded import tiny_vae

    return tiny_vae(22, scaling_factor=0.13025)


def tiny_sdxl_unet(
    seed: int,
    *,
    layers_per_block: int,
    transformer_layers: tuple[int, int, int],
    mid_block: bool,
    time_cond_proj_dim: int | None = None,
) -> UNet2DConditionModel:
    """An SDXL-shaped UNet at toy width: no attention in the first stage, deeper transformers
    further down, `text_time` added conditioning (pooled text + six time ids). A
    `time_cond_proj_dim` makes it LCM-shaped (it reads the guidance embedding)."""
    torch.manual_seed(seed)
    return UNet2DConditionModel(
        sample_size=8,
        in_channels=4,
        out_channels=4,
        block_out_channels=(32, 64, 64),
        layers_per_block=layers_per_block,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        mid_block_type="UNetMidBlock2DCrossAttn" if mid_block else None,
        transformer_layers_per_block=transformer_layers,
        attention_head_dim=(2, 4, 4),
        use_linear_projection=True,
        cross_attention_dim=32 + 48,
        addition_embed_type="text_time",
        addition_time_embed_dim=_TINY_TIME_EMBED,
        projection_class_embeddings_input_dim=6 * _TINY_TIME_EMBED + _TINY_POOLED,
        norm_num_groups=8,
        time_cond_proj_dim=time_cond_proj_dim,
    ).eval()


def _tiny_sdxl(unet: UNet2DConditionModel) -> Any:
    from obclip.engine import embedded

    tokenizer = embedded._tiny_tokenizer()
    tokenizer_2 = embedded._tiny_tokenizer()
    tokenizer_2.pad_token = "!"  # SDXL's second tokenizer pads with "!", its first with the end token
    text_encoder, text_encoder_2 = _tiny_text_encoders(tokenizer)
    return embedded.Components(
        tokenizer,
        text_encoder,
        _tiny_sdxl_vae(),
        unet,
        dict(SDXL_NOISE_SCHEDULE),
        tokenizer_2=tokenizer_2,
        text_encoder_2=text_encoder_2,
        pipeline=dict(TINY_SDXL_PIPELINE),
    )


# The LCM-shaped variants read w through a 16-wide guidance embedding (`time_cond_proj_dim`).
_TINY_LCM_EMBED = 16


# The tiny pair's UNets: (seed, LCM-shaped seed) and shape. The small one is KOALA-style: 1 ResNet per
# stage, the deepest stage's transformers halved (4 -> 2, as KOALA-700M goes 10 -> 5), no mid block.
_TINY_SDXL_UNETS: dict[str, tuple[tuple[int, int], dict[str, Any]]] = {
    "large": ((23, 25), {"layers_per_block": 2, "transformer_layers": (1, 2, 4), "mid_block": True}),
    "small": ((24, 26), {"layers_per_block": 1, "transformer_layers": (1, 2, 2), "mid_block": False}),
}


def _build_tiny_sdxl(role: str, lcm: bool) -> Any:
    seeds, shape = _TINY_SDXL_UNETS[role]
    unet = tiny_sdxl_unet(seeds[lcm], time_cond_proj_dim=_TINY_LCM_EMBED if lcm else None, **shape)
    return _tiny_sdxl(unet)


def build_tiny_sdxl_large(*, lcm: bool = False) -> Any:
    """Large SDXL placeholder: 2 ResNets per stage, 0/1/2/4 transformer layers, a mid block (seed 23;
    LCM-shaped, seed 25)."""
    return _build_tiny_sdxl("large", lcm)


def build_tiny_sdxl_small(*, lcm: bool = False) -> Any:
    """KOALA-style small partner: 1 ResNet per stage, the deepest stage's transformers halved
    (4 -> 2, as KOALA-700M goes 10 -> 5), no mid block; same encoders and VAE (seed 24; LCM-shaped,
    seed 26)."""
    return _build_tiny_sdxl("small", lcm)
