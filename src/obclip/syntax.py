"""Prompt weight syntax (AUTOMATIC1111's: `(text:1.3)`, `(text)`, `[text]`, `BREAK`, `\\(`) and the
long-prompt chunk layout, without torch: the engine's conditioners and `obclip candidates` use both.

`parse` turns a prompt into weighted fragments and breaks; `layout` tokenizes the fragments with any
tokenizer and lays the tokens out in the text encoder's windows (75 tokens between start and end
tokens for every Stable Diffusion), breaking at the last comma of a full chunk as AUTOMATIC1111 does.
See docs/prompts.md for the semantics and an example.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

ROUND = 1.1
"""`(text)` multiplies the weight of `text` by this."""

SQUARE = 1 / 1.1
"""`[text]` multiplies the weight of `text` by this."""

COMMA_BACKTRACK = 20
"""A full chunk whose last comma is at most this many tokens back ends after that comma (AUTOMATIC1111's
default `comma_padding_backtrack`)."""

MAX_PROMPT_CHUNKS = 10
"""The most chunks a prompt may take (10 x 75 = 750 tokens); longer prompts are refused, not truncated."""

_BREAK = re.compile(r"\s*\bBREAK\b\s*")
_WEIGHT_CLOSE = re.compile(r":\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*\)")
_ESCAPABLE = "()[]\\"


@dataclass(frozen=True)
class Fragment:
    """A run of prompt text with one weight, or a `BREAK` (`is_break`, empty text)."""

    text: str
    weight: float = 1.0
    is_break: bool = False


@dataclass(frozen=True)
class Parsed:
    """A parsed prompt: its fragments (adjacent runs of equal weight merged) and, in order, the syntax
    it used (`marks`: brackets, `:w)` closers, escapes and `BREAK`s), which is the same for every
    prompt that differs from it only in plain words."""

    fragments: tuple[Fragment, ...]
    marks: tuple[str, ...]

    @property
    def weighted(self) -> bool:
        """Whether any fragment's weight differs from 1."""
        return any(f.weight != 1.0 for f in self.fragments if not f.is_break)

    @property
    def text(self) -> str:
        """The words without the syntax (a break reads as a space)."""
        return "".join(" " if f.is_break else f.text for f in self.fragments)


def parse(prompt: str) -> Parsed:
    """Parse AUTOMATIC1111's attention syntax.

    `(text)` multiplies the weight of `text` by 1.1, `[text]` by 1/1.1, `(text:w)` by w; groups nest
    and multiply. `\\(`, `\\)`, `\\[`, `\\]` and `\\\\` are the literal characters. A closing bracket
    without its opener is plain text; an opener never closed applies its factor to the rest of the
    prompt. `BREAK` (uppercase, a word of its own) starts a new chunk wherever it stands.
    """
    pieces: list[list] = []  # [text, weight] or [None, 0.0] for a break
    marks: list[str] = []
    round_open: list[int] = []
    square_open: list[int] = []
    buffer: list[str] = []

    def flush() -> None:
        if not buffer:
            return
        for index, part in enumerate(_BREAK.split("".join(buffer))):
            if index:
                pieces.append([None, 0.0])
                marks.append("BREAK")
            if part:
                pieces.append([part, 1.0])
        buffer.clear()

    def scale(start: int, factor: float) -> None:
        for piece in pieces[start:]:
            if piece[0] is not None:
                piece[1] *= factor

    position, end = 0, len(prompt)
    while position < end:
        char = prompt[position]
        if char == "\\" and position + 1 < end and prompt[position + 1] in _ESCAPABLE:
            buffer.append(prompt[position + 1])
            marks.append(prompt[position : position + 2])
            position += 2
            continue
        closer = _WEIGHT_CLOSE.match(prompt, position) if char == ":" and round_open else None
        if closer is not None:
            flush()
            scale(round_open.pop(), float(closer.group(1)))
            marks.append(":" + closer.group(1) + ")")
            position = closer.end()
            continue
        opens = {"(": round_open, "[": square_open}.get(char)
        closes = {")": (round_open, ROUND), "]": (square_open, SQUARE)}.get(char)
        if opens is not None:
            flush()
            opens.append(len(pieces))
            marks.append(char)
        elif closes is not None and closes[0]:
            flush()
            scale(closes[0].pop(), closes[1])
            marks.append(char)
        else:
            buffer.append(char)
        position += 1
    flush()
    for start in round_open:
        scale(start, ROUND)
    for start in square_open:
        scale(start, SQUARE)
    fragments: list[Fragment] = []
    for text, weight in pieces:
        if text is None:
            fragments.append(Fragment("", 1.0, is_break=True))
        elif fragments and not fragments[-1].is_break and fragments[-1].weight == weight:
            fragments[-1] = Fragment(fragments[-1].text + text, weight)
        else:
            fragments.append(Fragment(text, weight))
    return Parsed(tuple(fragments) or (Fragment(""),), tuple(marks))


Chunk = list[tuple[int, float]]
"""One chunk of a prompt: (token id, weight) pairs, start and end tokens not included."""


def chunk_tokens(
    pieces: Sequence[tuple[Sequence[int], float] | None],
    length: int,
    comma: int | None,
    *,
    backtrack: int = COMMA_BACKTRACK,
) -> list[Chunk]:
    """Lay weighted token runs (`None` for a break) out in chunks of at most `length` tokens.

    AUTOMATIC1111's rule: when a chunk is full and the next token is not a comma, the tokens after
    the chunk's last comma move to the next chunk if that comma is at most `backtrack` tokens back;
    a break ends the current chunk (an empty one too). An empty prompt is one empty chunk.
    """
    chunks: list[Chunk] = []
    current: Chunk = []
    last_comma = -1
    for piece in pieces:
        if piece is None:
            chunks.append(current)
            current, last_comma = [], -1
            continue
        ids, weight = piece
        for token in ids:
            if token == comma:
                last_comma = len(current)
            elif len(current) == length and last_comma >= 0 and length - last_comma <= backtrack:
                moved = current[last_comma + 1 :]
                chunks.append(current[: last_comma + 1])
                current, last_comma = moved, -1
            if len(current) == length:
                chunks.append(current)
                current, last_comma = [], -1
            current.append((int(token), float(weight)))
    if current or not chunks:
        chunks.append(current)
    return chunks


@dataclass(frozen=True)
class Layout:
    """A prompt's tokens as one tokenizer lays them out: `chunks` of at most `chunk_length` tokens."""

    chunks: tuple[tuple[tuple[int, float], ...], ...]
    chunk_length: int

    @property
    def tokens(self) -> int:
        """The prompt's tokens (start, end and padding tokens not counted)."""
        return sum(len(c) for c in self.chunks)

    def describe(self) -> str:
        """E.g. `98 tokens: 2 chunks of 75`."""
        n = len(self.chunks)
        return f"{self.tokens} tokens: {n} chunk{'s' if n != 1 else ''} of {self.chunk_length}"


def layout(
    prompt: str,
    tokenize: Callable[[list[str]], list[list[int]]],
    *,
    window: int,
    comma: int | None,
) -> Layout:
    """Parse `prompt`, tokenize its fragments (`tokenize`: texts -> token ids without start and end
    tokens) and lay them out in chunks of `window` - 2 tokens (75 for a 77-token CLIP encoder)."""
    parsed = parse(prompt)
    texts = [f.text for f in parsed.fragments if not f.is_break]
    ids = iter(tokenize(texts) if texts else [])
    pieces = [None if f.is_break else (next(ids), f.weight) for f in parsed.fragments]
    length = window - 2
    return Layout(tuple(tuple(c) for c in chunk_tokens(pieces, length, comma)), length)


def too_long_message(count: Layout, prompt: str, *, candidate: bool = False) -> str:
    """The one-line refusal for a prompt over `MAX_PROMPT_CHUNKS`, quoting `prompt` (the user's own
    text: a decoy candidate is never quoted; `candidate` says one of its candidates is what is over)."""
    limit = MAX_PROMPT_CHUNKS * count.chunk_length
    subject = "a candidate of this prompt needs" if candidate else "the prompt needs"
    shown = prompt if len(prompt) <= 60 else prompt[:57] + "..."
    return (
        f"{subject} {count.describe()}; obclip reads at most {MAX_PROMPT_CHUNKS} chunks ({limit} tokens), "
        f"shorten it: {shown!r}"
    )
