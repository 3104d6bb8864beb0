"""The wire protocol of `POST /v1/denoise`: the JSON request (pydantic, strict), its canonical
bytes, the server's size limits, and the safetensors answer body.

The request is a function of the candidate set, the public options and nothing else; the
answer is `DenoiseState.to_bytes()`. Errors travel as `{"error": {"code", "message"}}`. This
layer checks JSON shape and sizes only: what a request means is `DenoiseSpec.validate`'s to
check, and what an answer must echo is `engine.device.check_answer`'s.
"""

from __future__ import annotations

import json
import math
import unicodedata
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from obclip.engine.device import check_answer
from obclip.engine.models import model_digest
from obclip.engine.spec import MAX_SEED, DenoiseSpec
from obclip.engine.state import DenoiseState
from obclip.errors import InvalidInputError, ObclipError
from obclip.options import WIRE_FIELDS, PublicOptions, option_fields, option_types
from obclip.service.limits import Limits

API_PREFIX = "/v1"
JSON_MEDIA_TYPE = "application/json"
STATE_MEDIA_TYPE = "application/octet-stream"
MODEL_SECONDS_HEADER = "X-Obclip-Model-Seconds"
QUEUE_SECONDS_HEADER = "X-Obclip-Queue-Seconds"
BATCH_ROWS_HEADER = "X-Obclip-Batch-Rows"  # UNet rows per call in the batch the job ran in
BATCH_REQUESTS_HEADER = "X-Obclip-Batch-Requests"  # requests in that batch
IDEMPOTENCY_HEADER = "Idempotency-Key"  # the same key and bytes from one token run once


class IdempotencyMismatchError(InvalidInputError):
    """An idempotency key sent again with a different request body."""

    code = "idempotency_mismatch"
    http_status = 422


# --- errors the service adds to the project's hierarchy -----------------------------------------


class RequestSchemaError(InvalidInputError):
    """The request body is not JSON of the request's shape (wrong type, unknown field, NaN...)."""

    code = "invalid_request"
    http_status = 422


class LimitExceededError(InvalidInputError):
    """The request is well formed but asks for more than this server's limits allow."""

    code = "limit_exceeded"


class BodyTooLargeError(InvalidInputError):
    """The request body is larger than the server accepts."""

    code = "body_too_large"
    http_status = 413


class UnsupportedMediaTypeError(InvalidInputError):
    """The request body is not declared as JSON."""

    code = "unsupported_media_type"
    http_status = 415


class UnauthorizedError(ObclipError):
    """No bearer token, or one the server does not know."""

    code = "unauthorized"
    http_status = 401
    headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": "Bearer"}


class OverloadedError(ObclipError):
    """The job queue is full; the client should retry after `Retry-After` seconds."""

    code = "overloaded"
    http_status = 503

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}


class OverShareError(ObclipError):
    """This token has more queued or running work, or more requests a minute, than its share (429);
    the server itself may have room. Retry after `Retry-After` seconds."""

    code = "over_share"
    http_status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}


class ClientClosedError(ObclipError):
    """The client closed the connection before its request was read (counted apart from server errors)."""

    code = "client_closed"
    http_status = 499


class RequestTimeoutError(InvalidInputError):
    """The request's body did not arrive within the server's body deadline."""

    code = "request_timeout"
    http_status = 408
    headers: ClassVar[dict[str, str]] = {"Connection": "close"}


class InternalError(ObclipError):
    """The server failed on a request that passed validation (a bug or a broken model)."""

    code = "internal_error"
    http_status = 500


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    """The JSON body of every error answer."""
    return {"error": {"code": code, "message": message}}


# --- the request ---------------------------------------------------------------------------------


def wire_fields() -> dict[str, tuple[Any, Any]]:
    """The request's fields for the public options (`obclip.options.PublicOptions`): their types,
    bounds, choices and help from the one declaration. The options a request has always carried
    (`Option.wire_required`: T, k, scheduler, guidance) must be spelled out; any other may be left
    out and reads as its default, so a client that predates an option is still served. A
    server's own limits come on top (`check_limits`); `accel` travels as `AccelConfig.to_dict()`."""
    types = option_types(PublicOptions)
    fields: dict[str, tuple[Any, Any]] = {}
    for f, option in option_fields(PublicOptions):
        kind = dict[str, Any] | None if f.name == "accel" else types[f.name]
        bounds = {key: getattr(option, key) for key in ("ge", "gt", "le") if getattr(option, key) is not None}
        if option.choices:
            bounds["json_schema_extra"] = {"enum": list(option.choices)}
        default = ... if option.wire_required else f.default
        fields[f.name] = (kind, Field(default, description=option.help, **bounds))
    return fields


class DenoiseRequest(BaseModel):
    """`POST /v1/denoise`: run steps [0, switch_step) of a `steps`-step schedule on every candidate.

    The candidates, the seed and the model asked for, and one field per public option (`wire_fields`).
    Strict: no unknown fields, no type coercion (`"5"` is not 5, `true` is not 1), no NaN or infinity.
    """

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)

    candidates: list[str] = Field(min_length=1, description="the candidate prompts in wire order (N)")
    seed: int = Field(ge=0, le=MAX_SEED, description="seed of the one initial noise shared by all candidates")
    model: str | None = Field(default=None, description="the cloud model asked for; null: the server's")
    model_digest: str | None = Field(
        default=None,
        description="content digest of the model asked for (`sha256:...`); when both sides have one it decides",
    )
    __annotations__.update({name: kind for name, (kind, _) in wire_fields().items()})
    locals().update({name: declared for name, (_, declared) in wire_fields().items()})

    def option(self, name: str) -> Any:
        """A public option's value (the fields `wire_fields` declares)."""
        return getattr(self, name)


def request_from_spec(spec: DenoiseSpec, model: str | None = None) -> DenoiseRequest:
    """The wire request for a spec: every public option spelled out, nothing else."""
    return DenoiseRequest(
        candidates=list(spec.candidates),
        model=model,
        model_digest=model_digest(model) if model is not None else None,
        **{**spec.public_options(), "guidance": float(spec.guidance)},  # the seed included
    )


def encode_request(spec: DenoiseSpec, model: str | None = None) -> bytes:
    """Canonical request bytes: sorted keys, no spaces, ASCII only; the same spec gives the same bytes."""
    payload = request_from_spec(spec, model).model_dump(mode="json")
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_request(body: bytes) -> DenoiseRequest:
    """Strict JSON -> `DenoiseRequest`; anything else is a `RequestSchemaError` with a one-line reason."""
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise RequestSchemaError("request body is not UTF-8") from None
    except RecursionError:
        raise RequestSchemaError("request body is nested too deeply") from None
    except ValueError as exc:
        raise RequestSchemaError(f"request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise RequestSchemaError(f"request body must be a JSON object, got {type(data).__name__}")
    try:
        return DenoiseRequest.model_validate(data)
    except ValidationError as exc:
        raise RequestSchemaError(_summarise(exc)) from None
    except RecursionError:
        raise RequestSchemaError("request body is nested too deeply") from None


def _summarise(exc: ValidationError, most: int = 3) -> str:
    parts = []
    for error in exc.errors(include_url=False, include_input=False)[:most]:
        where = ".".join(str(p) for p in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def check_limits(request: DenoiseRequest, limits: Limits) -> None:
    """Refuse a request larger than the server's limits (`LimitExceededError`); sizes only."""
    n = len(request.candidates)
    if n > limits.max_candidates:
        raise LimitExceededError(f"{n} candidates, this server takes at most {limits.max_candidates}")
    for index, prompt in enumerate(request.candidates):
        if len(prompt) > limits.max_prompt_chars:
            raise LimitExceededError(
                f"candidate {index} has {len(prompt)} characters, this server takes at most {limits.max_prompt_chars}"
            )
    negative: str = request.option("negative_prompt")
    if len(negative) > limits.max_prompt_chars:
        raise LimitExceededError(
            f"the negative prompt has {len(negative)} characters, this server takes at most {limits.max_prompt_chars}"
        )
    _check_negative_prompt(negative)
    steps: int = request.option("steps")
    if steps > limits.max_steps:
        raise LimitExceededError(f"steps {steps}, this server runs at most {limits.max_steps}")
    for name in ("height", "width"):
        value = request.option(name)
        if value is not None and value > limits.max_size:
            raise LimitExceededError(f"{name} {value}, this server makes images of at most {limits.max_size} px")
    guidance: float = request.option("guidance")
    if not math.isfinite(guidance) or guidance > limits.max_guidance:
        raise LimitExceededError(f"guidance {guidance}, this server allows at most {limits.max_guidance}")


def _check_negative_prompt(text: str) -> None:
    """The negative prompt is shown to operators and fed to the text encoder: no control
    characters, and no invisible format characters (bidi overrides, zero-width spaces and joiners)
    that would make what is read differ from what is encoded."""
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cc":
            raise InvalidInputError(f"the negative prompt contains a control character (U+{ord(ch):04X})")
        if category == "Cf":
            raise InvalidInputError(
                f"the negative prompt contains an invisible format character (U+{ord(ch):04X}, "
                f"{unicodedata.name(ch, 'unnamed')}): bidi overrides and zero-width characters are refused"
            )


def spec_from_request(request: DenoiseRequest, limits: Limits) -> DenoiseSpec:
    """A validated `DenoiseSpec` for a request that is within `limits`."""
    check_limits(request, limits)
    accel = None
    wire_accel = request.option("accel")
    if wire_accel is not None:
        from obclip.accel import AccelConfig

        try:
            accel = AccelConfig.from_dict(wire_accel)
        except ObclipError:
            raise
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"bad acceleration options: {exc}") from None
    options = {name: request.option(name) for name in WIRE_FIELDS}
    return DenoiseSpec(tuple(request.candidates), seed=request.seed, **{**options, "accel": accel})


# --- the answer ----------------------------------------------------------------------------------


def encode_state(state: DenoiseState) -> bytes:
    """The answer body: safetensors bytes with the state's JSON header."""
    return state.to_bytes()


def decode_state(body: bytes, spec: DenoiseSpec, model: str | None = None) -> DenoiseState:
    """Parse an answer body (`DenoiseState.from_bytes`: well formed, finite, consistent) and check
    that it answers `spec` and, if given, `model` (`engine.device.check_answer`)."""
    state = DenoiseState.from_bytes(body)
    check_answer(state, spec, model)
    return state
