"""The one bearer-token file format, read by the server (every token) and the client (the first).

One token per line, optionally followed by the token's settings as `key=value` words (the
server's fair share: `label=`, `weight=`, `max_jobs=`, `max_queued_tmacs=`, `requests_per_minute=`):

    9f2c...e1  label=alice max_jobs=2
    7b41...0c  label=batch-jobs weight=0.5 requests_per_minute=30

Blank lines and lines starting with `#` are skipped; a UTF-8 byte-order mark and surrounding
whitespace are ignored. A token is printable ASCII without spaces (RFC 6750's b64token is
narrower still). No message ever quotes a token: errors name the file and the line.
Standard library only.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path

from obclip.errors import InvalidInputError

_MAX_FILE_BYTES = 1 << 20
_LABEL = re.compile(r"[A-Za-z0-9_.-]{1,40}")


@dataclass(frozen=True)
class TokenEntry:
    """One accepted token and its share of the server (None: the server's `Limits` default).

    Args:
        token: the bearer token.
        label: the name `/metrics` and the log use for it; default `t-` and 10 hex digits of its SHA-256.
        weight: its share of model time relative to other tokens' (fair queueing).
        max_jobs, max_queued_tmacs, requests_per_minute: its own limits (429 beyond them).
    """

    token: str
    label: str = ""
    weight: float = 1.0
    max_jobs: int | None = None
    max_queued_tmacs: float | None = None
    requests_per_minute: int | None = None

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", token_label(self.token))

    def __repr__(self) -> str:  # never show the token itself
        return f"TokenEntry(label={self.label!r}, weight={self.weight})"


def token_label(token: str) -> str:
    """The default label of a token: a short hash, the same on every server and run."""
    return "t-" + hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()[:10]


_SETTINGS = {
    "label": str,
    "weight": float,
    "max_jobs": int,
    "max_queued_tmacs": float,
    "requests_per_minute": int,
}


def _entry(words: list[str], where: str) -> TokenEntry:
    token, settings = words[0], words[1:]
    if not all(33 <= ord(ch) <= 126 for ch in token):
        raise InvalidInputError(f"{where} is not a token: one token per line, printable ASCII without spaces")
    values: dict[str, object] = {}
    for word in settings:
        key, sep, value = word.partition("=")
        if not sep or key not in _SETTINGS or key in values:
            raise InvalidInputError(
                f"{where}: after the token only key=value settings may follow, once each, keys {', '.join(_SETTINGS)}"
            )
        kind = _SETTINGS[key]
        if kind is str:
            if not _LABEL.fullmatch(value):
                raise InvalidInputError(f"{where}: a label is 1-40 letters, digits, '_', '.' or '-'")
            values[key] = value
            continue
        try:
            number = kind(value)
        except ValueError:
            raise InvalidInputError(f"{where}: {key} must be a number") from None
        if not math.isfinite(number) or number <= 0:
            raise InvalidInputError(f"{where}: {key} must be a positive finite number")
        values[key] = number
    return TokenEntry(token, **values)  # type: ignore[arg-type]


def parse_token_entries(text: str, source: str = "token file") -> tuple[TokenEntry, ...]:
    """The tokens in a token file's text with their settings, in file order."""
    text = text.removeprefix("\ufeff")
    entries: list[TokenEntry] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        entries.append(_entry(line.split(), f"{source} line {number}"))
    if not entries:
        raise InvalidInputError(f"{source} holds no token")
    labels = [entry.label for entry in entries]
    if len(set(labels)) != len(labels):
        raise InvalidInputError(f"{source} gives two tokens the same label")
    return tuple(entries)


def parse_tokens(text: str, source: str = "token file") -> tuple[str, ...]:
    """The tokens in a token file's text, in file order."""
    return tuple(entry.token for entry in parse_token_entries(text, source))


def read_token_entries(path: str | Path) -> tuple[TokenEntry, ...]:
    """Every token in the file at `path` with its settings (the server accepts any of them)."""
    source = f"token file {str(path)!r}"
    try:
        with open(path, "rb") as handle:
            data = handle.read(_MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InvalidInputError(f"cannot read {source}: {exc.strerror or type(exc).__name__}") from None
    if len(data) > _MAX_FILE_BYTES:
        raise InvalidInputError(f"{source} is larger than {_MAX_FILE_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError(f"{source} is not UTF-8 text") from None
    return parse_token_entries(text, source)


def read_tokens(path: str | Path) -> tuple[str, ...]:
    """Every token in the file at `path`."""
    return tuple(entry.token for entry in read_token_entries(path))


def read_token(path: str | Path) -> str:
    """The token a client sends: the first in the file."""
    return read_tokens(path)[0]
