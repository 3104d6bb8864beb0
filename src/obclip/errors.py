"""The project's exception hierarchy, the one integer check and the one way a user's text file is read
(standard library only).

Every error a user or a peer can cause is an `ObclipError`; the CLI turns them into one-line
messages with exit status 2 and the HTTP server into JSON error bodies, each in exactly one place.
A broken invariant (an obclip bug) is a plain `RuntimeError`: HTTP 500, never a 4xx.
"""

from __future__ import annotations

from pathlib import Path


class ObclipError(Exception):
    """Base class of every error obclip raises on purpose."""

    code: str = "obclip_error"
    http_status: int = 400


class InvalidInputError(ObclipError, ValueError):
    """A prompt, option or file the user gave is not acceptable."""

    code = "invalid_input"


class TaxonomyError(InvalidInputError):
    """A taxonomy file is unreadable or malformed."""

    code = "invalid_taxonomy"


class ModelNotFoundError(ObclipError, LookupError):
    """A model id, path or embedded name does not resolve to a model."""

    code = "model_not_found"
    http_status = 404


class IncompatibleModelsError(ObclipError):
    """The cloud and device models do not share a latent space or text encoder."""

    code = "incompatible_models"


class StateError(ObclipError):
    """A serialised `DenoiseState` is malformed or does not match what was asked for."""

    code = "invalid_state"


class ServiceError(ObclipError):
    """The cloud service could not be reached or answered with an error."""

    code = "service_error"
    http_status = 502


class JobCancelledError(ObclipError):
    """A job was stopped because its client went away (between denoising steps, or before it ran)."""

    code = "cancelled"
    http_status = 499  # "client closed request": nobody is left to read the answer

    def __init__(self, message: str, stage: str = "job") -> None:
        super().__init__(message)
        self.stage = stage


class DeadlineExceededError(ObclipError):
    """A job ran or waited longer than the server's deadline per job and was stopped."""

    code = "deadline_exceeded"
    http_status = 504


def check_int(name: str, value: object, *, minimum: int, optional: bool = False) -> None:
    """Raise `InvalidInputError` unless `value` is an int >= `minimum` (or None when `optional`)."""
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise InvalidInputError(f"{name} must be at least {minimum}, got {value}")


def read_user_text(path: Path, what: str, error: type[ObclipError] = InvalidInputError) -> str:
    """`path`'s text as UTF-8; `error("cannot read {what} {path}: {reason}")` if it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise error(f"cannot read {what} {path}: {reason}") from None
