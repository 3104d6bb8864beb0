"""Text conditioning: prompts -> the keyword arguments a UNet is called with.

The denoising loop only sees `Conditioning`; a model family with other inputs (SDXL's second
text encoder, pooled embeddings and time ids: `engine/sdxl.py`) brings its own `TextConditioner`.
`unet_conditioning` is the one place that decides how a guidance scale reaches a UNet: as
classifier-free guidance rows, or as LCM's guidance embedding (`timestep_cond`).
"""

from __future__ import annotations

import functools
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
from transformers import CLIPTextModel, CLIPTokenizer

from obclip.errors import InvalidInputError
from obclip.syntax import MAX_PROMPT_CHUNKS, Layout, layout, too_long_message


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
    text_encoder: Any
    """The (first) CLIP text encoder; SDXL's conditioner has a second one."""

    def token_count(self, prompt: str) -> int: ...

    def chunk_count(self, prompts: Sequence[str]) -> int: ...

    def check_fits(self, prompt: str) -> None: ...

    def encode(
        self, prompts: Sequence[str], *, size: tuple[int, int] | None = None, chunks: int | None = None
    ) -> Conditioning: ...

    def guidance_batch(
        self,
        prompts: Sequence[str],
        guided: bool,
        *,
        size: tuple[int, int] | None = None,
        negative: str = "",
        chunks: int | None = None,
    ) -> Conditioning: ...


class TokenizedConditioner:
    """Prompt syntax, chunking, token counting and the length check every conditioner shares; the
    subclass sets `tokenizers`, `max_tokens` (the window its text encoders read, 77 for Stable
    Diffusion) and `_tokenizer_lock`.

    A prompt is parsed for weights (`obclip.syntax`), its fragments tokenized and laid out in chunks
    of `max_tokens` - 2 tokens; each chunk is encoded with start and end tokens and padded to the
    window, and the chunks' states are concatenated along the sequence. Rows that need fewer chunks
    than a request's longest prompt are padded with empty-prompt chunks (`chunks`), so every row of a
    request, cloud or device, is encoded the same way.
    """

    tokenizers: tuple[CLIPTokenizer, ...]
    max_tokens: int
    _tokenizer_lock: threading.Lock

    @property
    def chunk_length(self) -> int:
        """Prompt tokens per chunk: the window less the start and end tokens."""
        return self.max_tokens - 2

    def layouts(self, prompt: str) -> list[Layout]:
        """`prompt` laid out by each tokenizer."""
        with self._tokenizer_lock:
            return [
                layout(prompt, functools.partial(_tokenize, t), window=self.max_tokens, comma=_comma(t))
                for t in self.tokenizers
            ]

    def token_count(self, prompt: str) -> int:
        """Tokens of `prompt`'s text (its weight syntax removed; start, end and padding tokens not counted)."""
        return max(count.tokens for count in self.layouts(prompt))

    def chunk_count(self, prompts: Sequence[str]) -> int:
        """Chunks the longest of `prompts` takes (at least 1): the length every row of a request is padded to."""
        return max([1, *(len(count.chunks) for prompt in prompts for count in self.layouts(prompt))])

    def check_fits(self, prompt: str) -> None:
        """Refuse a prompt longer than `MAX_PROMPT_CHUNKS` chunks (never truncate it)."""
        count = max(self.layouts(prompt), key=lambda c: len(c.chunks))
        if len(count.chunks) > MAX_PROMPT_CHUNKS:
            raise InvalidInputError(too_long_message(count, prompt))

    def chunk_ids(self, prompts: Sequence[str], chunks: int | None = None) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Each tokenizer's (ids, weights) for `prompts`, both (rows, chunks, window): every chunk is start
        token, its tokens, end token, then padding; rows with fewer chunks get empty-prompt chunks."""
        per_prompt = [self.layouts(prompt) for prompt in prompts]
        count = max([chunks or 1, *(len(c.chunks) for counts in per_prompt for c in counts)])
        out = []
        for index, tokenizer in enumerate(self.tokenizers):
            ids = torch.full((len(prompts), count, self.max_tokens), int(tokenizer.pad_token_id), dtype=torch.long)
            weights = torch.ones((len(prompts), count, self.max_tokens), dtype=torch.float32)
            ids[:, :, 0] = int(tokenizer.bos_token_id)
            for row, counts in enumerate(per_prompt):
                laid = counts[index].chunks
                for c in range(count):
                    tokens = laid[c] if c < len(laid) else ()
                    n = len(tokens)
                    if n:
                        ids[row, c, 1 : n + 1] = torch.tensor([t for t, _ in tokens])
                        weights[row, c, 1 : n + 1] = torch.tensor([w for _, w in tokens])
                    ids[row, c, n + 1] = int(tokenizer.eos_token_id)
            out.append((ids, weights))
        return out


def _tokenize(tokenizer: CLIPTokenizer, texts: list[str]) -> list[list[int]]:
    return list(tokenizer(texts, add_special_tokens=False, verbose=False)["input_ids"])


@functools.lru_cache(maxsize=16)
def _comma(tokenizer: CLIPTokenizer) -> int | None:
    """The id of `,` as a word of its own (the token AUTOMATIC1111's chunk rule breaks after), if any."""
    comma = tokenizer.get_vocab().get(",</w>")
    return int(comma) if comma is not None else None


MEAN_FLOOR = 1e-4
"""The mean is restored only where it means something: where the chunk's mean, before and after
weighting, is at least this fraction of its mean absolute value."""


def apply_weights(states: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """AUTOMATIC1111's emphasis on one encoder's output for a batch of chunks: each token's state
    scaled by its weight, then the chunk rescaled to its mean before weighting.

    `states` (rows, window, hidden), `weights` (rows, window). The mean is taken per row (one prompt's
    chunk), where AUTOMATIC1111 takes it over the whole batch, so that a row's conditioning does not
    depend on the other prompts it is encoded with. A chunk whose mean is ~0 before or after
    weighting (below `MEAN_FLOOR` of its mean absolute value: a layer-normed output with untrained
    biases) is only scaled, as dividing by ~0 would give noise or infinities. Rows whose weights are
    all 1 are returned as they are, bit for bit.
    """
    weighted = (weights != 1.0).any(dim=1).to(states.device)
    if not bool(weighted.any()):
        return states
    w = weights.to(device=states.device, dtype=states.dtype)[:, :, None]
    scaled = states * w
    before = states.mean(dim=(1, 2), keepdim=True)
    after = scaled.mean(dim=(1, 2), keepdim=True)
    floor = MEAN_FLOOR * states.abs().mean(dim=(1, 2), keepdim=True)
    meaningful = (before.abs() >= floor) & (after.abs() >= floor)
    ratio = torch.where(meaningful, before / torch.where(meaningful, after, torch.ones_like(after)), 1.0)
    return torch.where(weighted[:, None, None], scaled * ratio, states)


class ClipConditioner(TokenizedConditioner):
    """SD 1.x conditioning: one CLIP text encoder's last hidden state, per 77-token chunk.

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
        self,
        prompts: Sequence[str],
        guided: bool,
        *,
        size: tuple[int, int] | None = None,
        negative: str = "",
        chunks: int | None = None,
    ) -> Conditioning:
        """Rows for one UNet call: with guidance, N unconditional rows (the `negative` prompt, empty
        by default) then the N prompts, all as long as the longest of them and the negative (and at
        least `chunks` chunks: the device passes its request's count).

        `size` (the image's height and width) is what SDXL's conditioner needs; SD 1.x ignores it.
        """
        count = max(chunks or 1, self.chunk_count([*prompts, negative]))
        cond = self.encode(prompts, chunks=count)
        if not guided:
            return cond
        if negative:
            return Conditioning.concat([self.encode([negative], chunks=count).expand(len(prompts)), cond])
        if self._empty is None:
            self._empty = self.encode([""])
        empty = self._empty.encoder_hidden_states
        return Conditioning.concat([Conditioning(empty.repeat(1, count, 1)).expand(len(prompts)), cond])

    @torch.no_grad()
    def encode(
        self, prompts: Sequence[str], *, size: tuple[int, int] | None = None, chunks: int | None = None
    ) -> Conditioning:
        """The prompts' text states, (rows, chunks x window, hidden); at least `chunks` chunks."""
        ((ids, weights),) = self.chunk_ids(prompts, chunks)
        rows, count, window = ids.shape
        hidden = self.text_encoder(ids.view(rows * count, window).to(self.text_encoder.device))[0]
        hidden = apply_weights(hidden, weights.view(rows * count, window))
        return Conditioning(hidden.reshape(rows, count * window, hidden.shape[-1]))


def request_chunks(text: TextConditioner, candidates: Sequence[str], negative: str = "") -> int:
    """The chunks every row of a request is encoded with: those of its longest candidate or negative
    prompt. The cloud's batch and the device's single row both use it, so the hand-off stays exact."""
    return text.chunk_count([*candidates, negative])


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
    chunks: int | None = None,
) -> Conditioning:
    """The rows the loop runs `prompts` with on `unet` at `guidance` (call the loop with `cfg_scale`).

    Every row is as long as the longest of `prompts` and `negative`, and at least `chunks` chunks: the
    device, encoding its own prompt alone, passes the chunk count of its whole request
    (`TokenizedConditioner.chunk_count` of the candidates and the negative prompt).

    Classifier-free guidance: N unconditional rows, then N conditional ones. A guidance-embedding
    (LCM-distilled) UNet: N conditional rows with `timestep_cond` = the embedding of w = guidance - 1.
    """
    cond = text.guidance_batch(prompts, cfg_scale(unet, guidance) > 1.0, size=size, negative=negative, chunks=chunks)
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
