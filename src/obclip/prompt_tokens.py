"""A model's prompt token count without torch or transformers: the preview (`obclip candidates`) and
the device's refusal of an over-long prompt before any model loads.

The CLIP tokenizer is built with the `tokenizers` library from the model's own `vocab.json` and
`merges.txt`, with the pipeline transformers' `CLIPTokenizer` uses (a test compares the two).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from obclip.defaults import EMBEDDED_PREFIX
from obclip.errors import InvalidInputError
from obclip.syntax import MAX_PROMPT_CHUNKS, Layout, layout, too_long_message

_CLIP_SPLIT = r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""


@dataclass(frozen=True)
class PromptCounter:
    """Counts and lays out prompts for one model's text encoder (its first tokenizer)."""

    tokenizer: Any  # a `tokenizers.Tokenizer` or a transformers tokenizer
    window: int
    comma: int | None

    def tokenize(self, texts: list[str]) -> list[list[int]]:
        """Token ids of each text, without start and end tokens."""
        if hasattr(self.tokenizer, "encode_batch"):
            return [e.ids for e in self.tokenizer.encode_batch(texts, add_special_tokens=False)]
        return list(self.tokenizer(texts, add_special_tokens=False, verbose=False)["input_ids"])

    def layout(self, prompt: str) -> Layout:
        """`prompt`'s chunks (see `obclip.syntax.layout`)."""
        return layout(prompt, self.tokenize, window=self.window, comma=self.comma)


def clip_tokenizer(vocab_file: str | Path, merges_file: str | Path) -> Any:
    """CLIP's byte-level BPE tokenizer from its two files, as a `tokenizers.Tokenizer`."""
    from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers
    from tokenizers.models import BPE

    vocab = json.loads(Path(vocab_file).read_text(encoding="utf-8"))
    lines = Path(merges_file).read_text(encoding="utf-8").splitlines()
    merges = [tuple(line.split()) for line in lines if line and not line.startswith("#version")]
    end = "<|endoftext|>"
    bpe = BPE(vocab=vocab, merges=merges, end_of_word_suffix="</w>", continuing_subword_prefix="", unk_token=end)
    tokenizer = Tokenizer(bpe)
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(_CLIP_SPLIT), behavior="removed", invert=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False),
        ]
    )
    return tokenizer


@functools.lru_cache(maxsize=8)
def counter_for(large: str) -> PromptCounter | None:
    """The counter for model `large` (an `embedded:` name or a local diffusers directory; a hub id when
    its files are in the local cache), None when its tokenizer cannot be found without loading it."""
    if large.startswith(EMBEDDED_PREFIX):
        from obclip.engine import embedded

        entry = embedded.lookup(large)
        path = entry.path()
        if path is None:
            return _built_counter()  # the seeded placeholders: a character-level tokenizer built in code
        return _directory_counter(path)
    path = Path(large).expanduser()
    if path.is_dir():
        return _directory_counter(path)
    return _hub_counter(large)


def _directory_counter(root: Path) -> PromptCounter | None:
    files = {name: root / "tokenizer" / name for name in ("vocab.json", "merges.txt", "tokenizer_config.json")}
    if not all(p.is_file() for p in files.values()):
        return None
    return _counter(files, root / "text_encoder" / "config.json")


def _hub_counter(repo: str) -> PromptCounter | None:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - huggingface_hub comes with diffusers
        return None
    found: dict[str, Path] = {}
    for name in ("vocab.json", "merges.txt", "tokenizer_config.json", "config.json"):
        folder = "text_encoder" if name == "config.json" else "tokenizer"
        try:
            hit = try_to_load_from_cache(repo, f"{folder}/{name}")
        except Exception:  # an id that is not a repository name
            return None
        if isinstance(hit, str):
            found[name] = Path(hit)
    if not all(n in found for n in ("vocab.json", "merges.txt", "tokenizer_config.json")):
        return None
    return _counter(found, found.get("config.json"))


def _counter(files: dict[str, Path], encoder_config: Path | None) -> PromptCounter:
    config = json.loads(files["tokenizer_config.json"].read_text(encoding="utf-8"))
    window = int(config.get("model_max_length", 77))
    if encoder_config is not None and encoder_config.is_file():
        positions = json.loads(encoder_config.read_text(encoding="utf-8")).get("max_position_embeddings")
        if isinstance(positions, int):
            window = min(window, positions)
    tokenizer = clip_tokenizer(files["vocab.json"], files["merges.txt"])
    return PromptCounter(tokenizer, window, tokenizer.token_to_id(",</w>"))


def _built_counter() -> PromptCounter:
    from obclip.engine.embedded import TINY_MAX_TOKENS, _tiny_tokenizer

    tokenizer = _tiny_tokenizer()
    return PromptCounter(tokenizer, TINY_MAX_TOKENS, tokenizer.convert_tokens_to_ids(",</w>"))


def check_prompt_lengths(prompt: str, candidates: Sequence[str], large: str, *, negative: str = "") -> None:
    """Refuse, before any model loads, a prompt whose own text or any candidate would need more than
    `MAX_PROMPT_CHUNKS` chunks; the message quotes the user's own prompt, never a candidate."""
    counter = counter_for(large)
    if counter is None:
        return  # the model's own conditioner refuses it when the model loads
    own = counter.layout(prompt)
    if len(own.chunks) > MAX_PROMPT_CHUNKS:
        raise InvalidInputError(too_long_message(own, prompt))
    for candidate in candidates:
        count = counter.layout(candidate)
        if len(count.chunks) > MAX_PROMPT_CHUNKS:
            raise InvalidInputError(too_long_message(count, prompt, candidate=True))
    if negative:
        count = counter.layout(negative)
        if len(count.chunks) > MAX_PROMPT_CHUNKS:
            raise InvalidInputError("the negative " + too_long_message(count, negative)[4:])
