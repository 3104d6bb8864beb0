"""Helpers every `obclip` subcommand shares: the exit status of a user error and how to raise one."""

from __future__ import annotations

from typing import NoReturn

EXIT_USAGE = 2


def raise_invalid(message: str) -> NoReturn:
    from obclip.errors import InvalidInputError

    raise InvalidInputError(message)
