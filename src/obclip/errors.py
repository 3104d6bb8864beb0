"""The project's exception hierarchy (standard library only).

Every error a user can cause is an `ObclipError`; the CLI turns them into one-line messages
with exit status 2 and the HTTP server into 4xx JSON bodies, each in exactly one place.
"""

from __future__ import annotations


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
