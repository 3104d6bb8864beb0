"""The HTTP endpoints, the bearer-token check and the error handlers, over the app's `app.state`.

`create_app` (server.py) puts the engine, job queue, cost model, limits, tokens and metrics on
`app.state`; everything here reads them from the request, so it is plain module-level code.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

import obclip
from obclip.engine.device import same_model
from obclip.engine.schedulers import SCHEDULERS
from obclip.engine.spec import DenoiseSpec
from obclip.errors import DeadlineExceededError, InvalidInputError, JobCancelledError, ModelNotFoundError, ObclipError
from obclip.service.jobs import Job, JobResult
from obclip.service.keyed import Keyed
from obclip.service.metrics import shown_tenant
from obclip.service.protocol import (
    API_PREFIX,
    BATCH_REQUESTS_HEADER,
    BATCH_ROWS_HEADER,
    IDEMPOTENCY_HEADER,
    MODEL_SECONDS_HEADER,
    QUEUE_SECONDS_HEADER,
    STATE_MEDIA_TYPE,
    BodyTooLargeError,
    ClientClosedError,
    DenoiseRequest,
    InternalError,
    LimitExceededError,
    OverloadedError,
    OverShareError,
    RequestTimeoutError,
    UnauthorizedError,
    UnsupportedMediaTypeError,
    error_body,
    parse_request,
    spec_from_request,
)
from obclip.syntax import MAX_PROMPT_CHUNKS

log = logging.getLogger("obclip.service")

ROUTES = (f"{API_PREFIX}/denoise", f"{API_PREFIX}/models", "/healthz", "/metrics", "/openapi.json")

_bearer = HTTPBearer(auto_error=False)


def require_token(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> None:  # noqa: B008
    """Refuse a request without one of the server's tokens (none configured: everyone may call).

    Sets `request.state.tenant`, whom the request's work is counted against: the token's label
    (never the token), or the client's address when the server has no tokens.
    """
    tokens: tuple[tuple[bytes, str], ...] = request.app.state.tokens
    if not tokens:
        request.state.tenant = "addr:" + (request.client.host if request.client else "unknown")
        return
    given = credentials.credentials.encode("utf-8", "surrogateescape") if credentials else b""
    matched = ""
    for token, label in tokens:  # compare against every token: the time does not say which one matched
        if hmac.compare_digest(given, token):
            matched = label
    if not matched:
        raise UnauthorizedError("a valid bearer token is required" if given else "missing bearer token")
    request.state.tenant = matched


# --- errors: every ObclipError in one handler; framework errors in the same JSON shape -----------


async def obclip_error(request: Request, exc: ObclipError) -> JSONResponse:
    metrics = request.app.state.metrics
    metrics.errors.labels(exc.code).inc()
    where = f"{request.method} {request.url.path}"
    if isinstance(exc, OverloadedError):
        metrics.overloaded.inc()
        log.info("%s -> 503 overloaded (Retry-After %s)", where, exc.headers.get("Retry-After"))
    elif isinstance(exc, OverShareError):
        log.info(
            "%s -> 429 %s over its share (Retry-After %s)", where, tenant_label(request), exc.headers["Retry-After"]
        )
    elif isinstance(exc, (ClientClosedError, JobCancelledError)):
        metrics.client_aborts.labels(getattr(exc, "stage", "upload")).inc()
        log.info("%s: client went away (%s)", where, exc)
    elif isinstance(exc, DeadlineExceededError):
        log.warning("%s: %s", where, exc)
    elif exc.http_status >= 500:
        metrics.server_errors.inc()
        log.error("%s -> %d %s", where, exc.http_status, exc.code)
    return JSONResponse(
        error_body(exc.code, str(exc)), status_code=exc.http_status, headers=getattr(exc, "headers", None)
    )


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    request.app.state.metrics.errors.labels(code).inc()
    return JSONResponse(
        error_body(code, str(exc.detail)), status_code=exc.status_code, headers=getattr(exc, "headers", None)
    )


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    request.app.state.metrics.errors.labels("invalid_request").inc()
    return JSONResponse(error_body("invalid_request", "request does not match the API"), status_code=422)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    metrics = request.app.state.metrics
    metrics.errors.labels(InternalError.code).inc()
    metrics.server_errors.inc()
    log.error("%s %s failed unexpectedly: %s", request.method, request.url.path, type(exc).__name__)
    return JSONResponse(error_body(InternalError.code, "internal server error"), status_code=500)


EXCEPTION_HANDLERS = {
    ObclipError: obclip_error,
    StarletteHTTPException: http_error,
    RequestValidationError: validation_error,
    Exception: unexpected_error,
}


# --- endpoints ------------------------------------------------------------------------------------

router = APIRouter()

_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {"application/json": {"example": error_body("code", "message")}}}
    for status, text in (
        (400, "invalid input, a limit exceeded or a request over the cost budget"),
        (401, "missing or wrong bearer token"),
        (404, "model not served here"),
        (408, "body not received within the body deadline"),
        (413, "body too large"),
        (415, "body not JSON"),
        (422, "body not of the request's shape"),
        (429, "this token is over its share (jobs, queued cost or requests a minute); see Retry-After"),
        (500, "the job failed on the server"),
        (503, "queue full, queued cost over budget, or a momentarily slow server; see Retry-After"),
        (504, "the job ran past the deadline per job and was stopped"),
    )
}


@router.post(
    f"{API_PREFIX}/denoise",
    dependencies=[Depends(require_token)],
    response_class=Response,
    summary="Run the cloud's steps [0, k) on every candidate",
    responses={
        200: {
            "description": "safetensors body of the `DenoiseState` (latents of all N, scheduler history, metadata)",
            "content": {STATE_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        },
        **_ERROR_RESPONSES,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": DenoiseRequest.model_json_schema()}},
        }
    },
)
async def denoise(request: Request) -> Response:
    state = request.app.state
    limits = state.limits
    started = time.perf_counter()
    _check_media_type(request.headers.get("content-type"))
    body = await read_body(request, limits.max_body_bytes, limits.body_timeout_s)
    req = parse_request(body)
    if (req.model is not None or req.model_digest is not None) and not _serves(req, state.engine.model):
        raise ModelNotFoundError(
            f"this server serves {state.model_id} ({state.engine.model.digest}), not {req.model!r} ({req.model_digest})"
        )
    spec = spec_from_request(req, limits)
    state.engine.check(spec)  # prompts the text encoder would truncate, size vs VAE, accel steps: 4xx now
    key = _idempotency_key(request)
    held = state.keyed.find(request.state.tenant, key, body) if key else None
    if held is None:
        cost = admit(request, spec)
        job = state.jobs.submit(spec, cost, request.state.tenant)
        held = state.keyed.add(request.state.tenant, key, body, job) if key else None
    else:
        job, cost = held.job, held.job.cost  # the same job, resent: wait for it, never run it twice
    result = await _wait_for_job(request, job, held)
    _log_job(spec, cost, result, time.perf_counter() - started, state.log_prompts)
    return Response(
        result.body,
        media_type=STATE_MEDIA_TYPE,
        headers={
            MODEL_SECONDS_HEADER: f"{result.model_s:.6f}",
            QUEUE_SECONDS_HEADER: f"{result.queue_s:.6f}",
            BATCH_ROWS_HEADER: str(result.batch_rows),
            BATCH_REQUESTS_HEADER: str(result.batch_requests),
        },
    )


def _serves(req: DenoiseRequest, model: Any) -> bool:
    """Whether the request asks for the served model: by content digest where both sides have one
    (any path to one directory is one model), else by name."""
    if req.model_digest is not None and model.digest is not None:
        return req.model_digest == model.digest
    return req.model is not None and same_model(req.model, model.model_id)


@router.get(f"{API_PREFIX}/models", dependencies=[Depends(require_token)], summary="The model served and the limits")
async def models(request: Request) -> dict[str, Any]:
    state = request.app.state
    bundle = state.engine.model
    cost = state.cost_model
    latent = bundle.default_size // bundle.vae_scale_factor
    return {
        "data": [
            {
                "id": state.model_id,
                "digest": bundle.digest,
                "object": "model",
                "default_size": bundle.default_size,
                "latent_channels": bundle.latent_channels,
                "vae_scale_factor": bundle.vae_scale_factor,
                "max_prompt_tokens": MAX_PROMPT_CHUNKS * getattr(bundle.text, "chunk_length", 75),
                "schedulers": sorted(SCHEDULERS),
                "macs_per_row_step": int(cost.row_forward(latent, latent)),
                "throughput_gmacs": round(state.jobs.throughput / 1e9, 3),
            }
        ],
        "limits": state.limits.to_dict(),
        "version": obclip.__version__,
    }


@router.get("/healthz", summary="Liveness: answers while a job runs; no token needed")
async def healthz(request: Request) -> dict[str, Any]:
    state = request.app.state
    return {"status": "ok", "model": state.model_id, "queue_depth": state.jobs.depth, "idempotency_keys": True}


@router.get("/metrics", dependencies=[Depends(require_token)], summary="Prometheus metrics (text format)")
async def prometheus(request: Request) -> Response:
    metrics = request.app.state.metrics
    metrics.throughput.set(request.app.state.jobs.throughput / 1e9)
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


# --- the steps of a denoise request ----------------------------------------------------------------


def admit(request: Request, spec: DenoiseSpec) -> float:
    """The request's cost in MACs, refused when over the per-request budget or the deadline.

    A request that would pass the deadline even at the best speed this server has measured, once
    that speed rests on measured work, is a 400; one that passes it only at the current estimate
    (a busy moment, or a busy start-up) is a 503 to retry.
    """
    state = request.app.state
    limits = state.limits
    bundle = state.engine.model
    cost = state.cost_model.request(spec, bundle.default_size, bundle.vae_scale_factor)
    if cost > limits.max_request_tmacs * 1e12:
        raise LimitExceededError(
            f"the request costs {cost / 1e12:.3g} TMAC (rows x k x one row's UNet forward), "
            f"this server takes at most {limits.max_request_tmacs:g} TMAC per request"
        )
    jobs = state.jobs
    best = jobs.estimate_s(cost, jobs.speed.best)
    if best > limits.job_deadline_s and jobs.speed.settled:
        raise LimitExceededError(
            f"the request would run about {best:.0f} s here ({cost / 1e12:.3g} TMAC), "
            f"the deadline per job is {limits.job_deadline_s:g} s: ask for fewer candidates, steps or pixels"
        )
    estimate = jobs.estimate_s(cost)
    if estimate > limits.job_deadline_s:
        raise OverloadedError(
            f"the server runs slower than usual now (the request would run about {estimate:.0f} s, "
            f"the deadline per job is {limits.job_deadline_s:g} s); retry later",
            max(jobs.retry_after(), 10),
        )
    return cost


def tenant_label(request: Request) -> str:
    """The tenant's name in metrics and the log: a token's label, or `anonymous` (never an address)."""
    return shown_tenant(getattr(request.state, "tenant", ""))


async def _wait_for_job(request: Request, job: Job, held: Keyed | None = None) -> JobResult:
    """The job's result; if the client goes away first, the job is cancelled (between steps). A job
    sent with an idempotency key is cancelled only when no resend has come for it within the grace
    time (`KeyedJobs.grace_s`): a proxy that gave up on it may be about to send it again."""
    waiter = asyncio.wrap_future(job.future)
    waiter.add_done_callback(_retrieve)
    gone = asyncio.ensure_future(_client_gone(request))
    if held is not None:
        held.waiters += 1
    try:
        await asyncio.wait({waiter, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not gone.done():
            gone.cancel()
        if held is not None:
            held.waiters -= 1
    if not waiter.done():
        jobs = request.app.state.jobs
        stage = "running" if jobs.is_running(job) else "queued"
        if held is None:
            jobs.cancel(job)
        else:
            request.app.state.keyed.release_later(held, jobs.cancel)
        raise JobCancelledError(f"the client went away while its job was {stage}", stage)
    return waiter.result()


def _idempotency_key(request: Request) -> str:
    key = request.headers.get(IDEMPOTENCY_HEADER, "")
    if key and (len(key) > 128 or not all(33 <= ord(ch) <= 126 for ch in key)):
        raise InvalidInputError("the Idempotency-Key header must be 1-128 printable ASCII characters without spaces")
    return key


async def _client_gone(request: Request) -> None:
    """Returns when the server learns that the client has closed the connection."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


def _retrieve(future: asyncio.Future[Any]) -> None:
    # An abandoned job's error must not be logged as "never retrieved".
    if not future.cancelled():
        future.exception()


def _check_media_type(value: str | None) -> None:
    media = (value or "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise UnsupportedMediaTypeError(f"request body must be application/json, got {value or 'no Content-Type'!r}")


async def read_body(request: Request, limit: int, timeout_s: float) -> bytes:
    """The body, refused as soon as it passes `limit` bytes (declared or sent) or `timeout_s` seconds.

    A client that closes mid-upload is a `ClientClosedError` (counted as a client abort, not a 500).
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise InvalidInputError(f"bad Content-Length {declared[:40]!r}")
        if int(declared) > limit:
            raise BodyTooLargeError(f"request body of {int(declared)} bytes, this server takes at most {limit}")

    async def read() -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyTooLargeError(f"request body over {limit} bytes, this server takes at most {limit}")
            chunks.append(chunk)
        return b"".join(chunks)

    try:
        return await asyncio.wait_for(read(), timeout_s)
    except ClientDisconnect:
        raise ClientClosedError("the client closed the connection while sending its request") from None
    except asyncio.TimeoutError:
        raise RequestTimeoutError(f"the request body did not arrive within {timeout_s:g} s") from None


def _log_job(spec: DenoiseSpec, cost: float, result: JobResult, total_s: float, log_prompts: bool) -> None:
    log.info(
        "denoise N=%d steps=%d k=%d scheduler=%s size=%sx%s cost=%.3gTMAC model=%.3fs queue=%.3fs total=%.3fs",
        spec.num_candidates,
        spec.steps,
        spec.switch_step,
        spec.scheduler,
        spec.height,
        spec.width,
        cost / 1e12,
        result.model_s,
        result.queue_s,
        total_s,
    )
    if log_prompts:
        log.info("denoise candidates: %s", list(spec.candidates))
