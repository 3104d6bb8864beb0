"""Text conditioning: prompts -> the keyword arguments a UNet is called with.

The denoising loop only sees `Conditioning`; a model family with other inputs (SDXL's second
text encoder, pooled embeddings and time ids: `engine/sdxl.py`) brings its own `TextConditioner`.
`unet_conditioning` is the one place that decides how a guidance scale reaches a UNet: as
classifier-free guidance rows, or as LCM's guidance embedding (`timestep_cond`).
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import torch
from transformers import CLIPTextModel, CLIPTokenizer

from obclip.errors import InvalidInputError


@dataclass
class Conditioning:
    """UNet inputs for a batch of rows: `encoder_hidden_states` plus any extra kwargs.

    `added_cond_kwargs` is the UNet's dict of that name (SDXL: `text_embeds`, `time_ids`);
    `extra` holds other per-row keyword arguments (LCM: `timestep_cond`). Every tensor has one
    row per UNet batch row, so the loop passes them through without knowing what they are.
    """

    encoder_hidden_states: torch.Tensor
    added_cond_kwargs: dict[str, torch.Tensor] = field(default_factory=dict)
    extra: dict[str, torch.Tensor] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.encoder_hidden_states.shape[0])

    def unet_kwargs(self) -> dict[str, object]:
        kwargs: dict[str, object] = {"encoder_hidden_states": self.encoder_hidden_states, **self.extra}
        if self.added_cond_kwargs:
            kwargs["added_cond_kwargs"] = self.added_cond_kwargs
        return kwargs

    def rows(self, start: int, stop: int) -> Conditioning:
        """Rows [start, stop) of every tensor."""
        return Conditioning(
            self.encoder_hidden_states[start:stop],
            {k: v[start:stop] for k, v in self.added_cond_kwargs.items()},
            {k: v[start:stop] for k, v in self.extra.items()},
        )

    def expand(self, rows: int) -> Conditioning:
        """A one-row conditioning repeated to `rows` rows (a view, no copy)."""
        return Conditioning(
            self.encoder_hidden_states.expand(rows, *self.encoder_hidden_states.shape[1:]),
            {k: v.expand(rows, *v.shape[1:]) for k, v in self.added_cond_kwargs.items()},
            {k: v.expand(rows, *v.shape[1:]) for k, v in self.extra.items()},
        )

    @staticmethod
    def concat(parts: Sequence[Conditioning]) -> Conditioning:
        """Stack several conditionings row-wise (e.g. unconditional rows, then conditional rows)."""
        keys = parts[0].added_cond_kwargs.keys()
        extra = parts[0].extra.keys()
        return Conditioning(
            torch.cat([p.encoder_hidden_states for p in parts]),
            {k: torch.cat([p.added_cond_kwargs[k] for p in parts]) for k in keys},
            {k: torch.cat([p.extra[k] for p in parts]) for k in extra},
        )


class TextConditioner(Protocol):
    """What the engine needs from a model family's text side."""

    hidden_size: int
    max_tokens: int

    def token_count(self, prompt: str) -> int: ...

    def check_fits(self, prompt: str) -> None: ...

    def encode(self, prompts: Sequence[str], *, size: tuple[int, int] | None = None) -> Conditioning: ...

    def guidance_batch(
        self, prompts: Sequence[str], guided: bool, *, size: tuple[int, int] | None = None, negative: str = ""
    ) -> Conditioning: ...


class TokenizedConditioner:
    """Tokenizing, token counting and the truncation check every conditioner shares; the subclass sets
    `tokenizers`, `max_tokens` (what its text encoders read) and `_tokenizer_lock`."""

    tokenizers: tuple[CLIPTokenizer, ...]
    max_tokens: int
    _tokenizer_lock: threading.Lock
    encoders_read = "the text encoder reads"  # how the refusal names the encoders

    def token_count(self, prompt: str) -> int:
        """Tokens `prompt` needs (the largest count of the tokenizers), start and end tokens included."""
        with self._tokenizer_lock:
            return max(len(t(prompt, truncation=False)["input_ids"]) for t in self.tokenizers)

    def token_ids(self, prompts: Sequence[str]) -> list[torch.Tensor]:
        """Each tokenizer's ids for `prompts`, padded (and truncated) to `max_tokens`."""
        with self._tokenizer_lock:
            return [
                t(
                    list(prompts),
                    padding="max_length",
                    max_length=self.max_tokens,
                    truncation=True,
                    return_tensors="pt",
                ).input_ids
                for t in self.tokenizers
            ]

    def check_fits(self, prompt: str) -> None:
        """Refuse a prompt the text encoders would silently truncate."""
        count = self.token_count(prompt)
        if count > self.max_tokens:
            raise InvalidInputError(
                f"prompt needs {count} tokens but {self.encoders_read} at most {self.max_tokens}; "
                f"it would be truncated: {prompt[:60]!r}..."
            )


class ClipConditioner(TokenizedConditioner):
    """SD 1.x conditioning: one CLIP text encoder, last hidden state, padded to max length.

    Safe to share between threads: a transformers fast tokenizer keeps padding and truncation as
    state on its Rust tokenizer, so every tokenizer call holds one lock (the encoder runs outside).
    """

    def __init__(self, tokenizer: CLIPTokenizer, text_encoder: CLIPTextModel) -> None:
        self.tokenizer = tokenizer
        self.tokenizers = (tokenizer,)
        self.text_encoder = text_encoder.eval().requires_grad_(False)
        self.hidden_size = int(text_encoder.config.hidden_size)
        self.max_tokens = int(min(tokenizer.model_max_length, text_encoder.config.max_position_embeddings))
        self._empty: Conditioning | None = None
        self._tokenizer_lock = threading.Lock()

    def guidance_batch(
        self, prompts: Sequence[str], guided: bool, *, size: tuple[int, int] | None = None, negative: str = ""
    ) -> Conditioning:
        """Rows for one UNet call: with guidance, N unconditional rows (the `negative` prompt, empty
        by default) then the N prompts.

        `size` (the image's height and width) is what SDXL's conditioner needs; SD 1.x ignores it.
        """
        cond = self.encode(prompts)
        if not guided:
            return cond
        if negative:
            return Conditioning.concat([self.encode([negative]).expand(len(prompts)), cond])
        if self._empty is None:
            self._empty = self.encode([""])
        return Conditioning.concat([self._empty.expand(len(prompts)), cond])

    @torch.no_grad()
    def encode(self, prompts: Sequence[str], *, size: tuple[int, int] | None = None) -> Conditioning:
        (ids,) = self.token_ids(prompts)
        ids = ids.to(self.text_encoder.device)
        hidden = self.text_encoder(ids)[0]
        return Conditioning(hidden)


def embeds_guidance(unet: torch.nn.Module) -> bool:
    """Whether a UNet takes the guidance scale as an embedding (LCM-distilled: `time_cond_proj_dim`)."""
    return getattr(unet.config, "time_cond_proj_dim", None) is not None


def cfg_scale(unet: torch.nn.Module, guidance: float) -> float:
    """The classifier-free guidance scale the loop applies for `guidance` on this UNet.

    A guidance-embedding UNet (LCM) has w distilled in: it runs no unconditional rows (1.0),
    exactly as diffusers' pipelines do for `time_cond_proj_dim` UNets.
    """
    return 1.0 if embeds_guidance(unet) else float(guidance)


def guidance_embedding(w: float, dim: int, rows: int) -> torch.Tensor:
    """LCM's guidance-scale embedding of w (sinusoidal), `rows` times.

    The same numbers as diffusers' `get_guidance_scale_embedding` (a test compares them); that one
    is a pipeline method, and importing a pipeline prints transformers' warnings to the user.
    """
    half = dim // 2
    freqs = torch.exp(torch.arange(half, dtype=torch.float32) * -(torch.log(torch.tensor(10000.0)) / (half - 1)))
    angles = torch.tensor([float(w) * 1000.0])[:, None] * freqs[None, :]
    emb = torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)
    if dim % 2 == 1:
        emb = torch.nn.functional.pad(emb, (0, 1))
    return emb.expand(rows, dim)


def unet_conditioning(
    text: TextConditioner,
    unet: torch.nn.Module,
    prompts: Sequence[str],
    *,
    guidance: float,
    size: tuple[int, int] | None = None,
    negative: str = "",
) -> Conditioning:
    """The rows the loop runs `prompts` with on `unet` at `guidance` (call the loop with `cfg_scale`).

    Classifier-free guidance: N unconditional rows, then N conditional ones. A guidance-embedding
    (LCM-distilled) UNet: N conditional rows with `timestep_cond` = the embedding of w = guidance - 1.
    """
    cond = text.guidance_batch(prompts, cfg_scale(unet, guidance) > 1.0, size=size, negative=negative)
    if not embeds_guidance(unet):
        return cond
    states = cond.encoder_hidden_states
    emb = guidance_embedding(float(guidance) - 1.0, int(unet.config.time_cond_proj_dim), len(cond))
    emb = emb.to(device=states.device, dtype=states.dtype)  # the text side's dtype, as the UNet's inputs
    return Conditioning(states, cond.added_cond_kwargs, {**cond.extra, "timestep_cond": emb})


def check_scheduler_fits(unet: torch.nn.Module, scheduler: object) -> None:
    """Refuse an LCM-distilled UNet with another scheduler; warn on LCM with an undistilled UNet.

    `scheduler` is a scheduler name (`lcm`, ...) or a diffusers scheduler.
    """
    if not isinstance(scheduler, str):
        scheduler = "lcm" if type(scheduler).__name__ == "LCMScheduler" else type(scheduler).__name__
    if embeds_guidance(unet) and scheduler != "lcm":
        raise InvalidInputError(
            f"this UNet is LCM-distilled (time_cond_proj_dim set); run it with --scheduler lcm, not {scheduler}"
        )
    if scheduler == "lcm" and not embeds_guidance(unet):
        warnings.warn(
            "scheduler lcm with a UNet that is not LCM-distilled (no time_cond_proj_dim): "
            "few-step results will be poor unless LCM weights (e.g. an LCM-LoRA) are merged in",
            UserWarning,
            stacklevel=1,  # one location: shown once per process, whether the cloud or the device checks
        )
