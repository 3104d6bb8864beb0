"""The one bearer-token file format, read by the server (every token) and the client (the first).

One token per line; blank lines and lines starting with `#` are skipped; a UTF-8 byte-order mark
and surrounding whitespace are ignored. A token is printable ASCII without spaces (RFC 6750's
b64token is narrower still). No message ever quotes a token: errors name the file and the line.
Standard library only.
"""

from __future__ import annotations

from pathlib import Path

from obclip.errors import InvalidInputError

_MAX_FILE_BYTES = 1 << 20


def parse_tokens(text: str, source: str = "token file") -> tuple[str, ...]:
    """The tokens in a token file's text, in file order."""
    text = text.removeprefix("\ufeff")
    tokens: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not all(33 <= ord(ch) <= 126 for ch in line):
            raise InvalidInputError(
                f"{source} line {number} is not a token: one token per line, printable ASCII without spaces"
            )
        tokens.append(line)
    if not tokens:
        raise InvalidInputError(f"{source} holds no token")
    return tuple(tokens)


def read_tokens(path: str | Path) -> tuple[str, ...]:
    """Every token in the file at `path` (the server accepts any of them)."""
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
    return parse_tokens(text, source)


def read_token(path: str | Path) -> str:
    """The token a client sends: the first in the file."""
    return read_tokens(path)[0]
