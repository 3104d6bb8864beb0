"""Text conditioning: prompts -> the keyword arguments a UNet is called with.

The denoising loop only sees `Conditioning`; a model family with other inputs (SDXL's second
text encoder, pooled embeddings and time ids) brings its own `TextConditioner`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import torch
from transformers import CLIPTextModel, CLIPTokenizer

from obclip.errors import InvalidInputError


@dataclass
class Conditioning:
    """UNet inputs for a batch of rows: `encoder_hidden_states` plus any extra kwargs."""

    encoder_hidden_states: torch.Tensor
    added_cond_kwargs: dict[str, torch.Tensor] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.encoder_hidden_states.shape[0])

    def unet_kwargs(self) -> dict[str, object]:
        kwargs: dict[str, object] = {"encoder_hidden_states": self.encoder_hidden_states}
        if self.added_cond_kwargs:
            kwargs["added_cond_kwargs"] = self.added_cond_kwargs
        return kwargs

    @staticmethod
    def concat(parts: Sequence[Conditioning]) -> Conditioning:
        """Stack several conditionings row-wise (e.g. unconditional rows, then conditional rows)."""
        keys = parts[0].added_cond_kwargs.keys()
        return Conditioning(
            torch.cat([p.encoder_hidden_states for p in parts]),
            {k: torch.cat([p.added_cond_kwargs[k] for p in parts]) for k in keys},
        )


class TextConditioner(Protocol):
    """What the engine needs from a model family's text side."""

    hidden_size: int
    max_tokens: int

    def token_count(self, prompt: str) -> int: ...

    def check_fits(self, prompt: str) -> None: ...

    def encode(self, prompts: Sequence[str]) -> Conditioning: ...

    def guidance_batch(self, prompts: Sequence[str], guided: bool) -> Conditioning: ...


class ClipConditioner:
    """SD 1.x conditioning: one CLIP text encoder, last hidden state, padded to max length.

    Safe to share between threads: a transformers fast tokenizer keeps padding and truncation as
    state on its Rust tokenizer, so every tokenizer call holds one lock (the encoder runs outside).
    """

    def __init__(self, tokenizer: CLIPTokenizer, text_encoder: CLIPTextModel) -> None:
        self.tokenizer = tokenizer
        self.text_encoder = text_encoder.eval().requires_grad_(False)
        self.hidden_size = int(text_encoder.config.hidden_size)
        self.max_tokens = int(min(tokenizer.model_max_length, text_encoder.config.max_position_embeddings))
        self._empty: Conditioning | None = None
        self._tokenizer_lock = threading.Lock()

    def token_count(self, prompt: str) -> int:
        """Tokens `prompt` needs, start and end tokens included."""
        with self._tokenizer_lock:
            return len(self.tokenizer(prompt, truncation=False)["input_ids"])

    def check_fits(self, prompt: str) -> None:
        """Refuse a prompt the text encoder would silently truncate."""
        count = self.token_count(prompt)
        if count > self.max_tokens:
            raise InvalidInputError(
                f"prompt needs {count} tokens but the text encoder reads at most {self.max_tokens}; "
                f"it would be truncated: {prompt[:60]!r}..."
            )

    def guidance_batch(self, prompts: Sequence[str], guided: bool) -> Conditioning:
        """Rows for one UNet call: with guidance, N unconditional rows then the N prompts."""
        cond = self.encode(prompts)
        if not guided:
            return cond
        if self._empty is None:
            self._empty = self.encode([""])
        empty = self._empty
        uncond = Conditioning(
            empty.encoder_hidden_states.expand(len(prompts), -1, -1),
            {k: v.expand(len(prompts), *v.shape[1:]) for k, v in empty.added_cond_kwargs.items()},
        )
        return Conditioning.concat([uncond, cond])

    @torch.no_grad()
    def encode(self, prompts: Sequence[str]) -> Conditioning:
        with self._tokenizer_lock:
            ids = self.tokenizer(
                list(prompts),
                padding="max_length",
                max_length=self.max_tokens,
                truncation=True,
                return_tensors="pt",
            ).input_ids
        ids = ids.to(self.text_encoder.device)
        hidden = self.text_encoder(ids)[0]
        return Conditioning(hidden)
