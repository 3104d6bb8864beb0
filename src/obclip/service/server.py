"""The cloud half as an HTTP service: a FastAPI app factory (`create_app`) and `serve` under uvicorn.

Model work runs one job at a time on a worker thread behind a bounded queue, so the event loop
keeps answering `/healthz` and `/metrics` while a job runs and a full queue is a 503, not memory.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hmac
import logging
import queue
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

import obclip
from obclip.engine.cloud import CloudEngine
from obclip.engine.schedulers import SCHEDULERS
from obclip.engine.spec import DenoiseSpec
from obclip.errors import InvalidInputError, ModelNotFoundError, ObclipError, StateError
from obclip.service.limits import Limits
from obclip.service.protocol import (
    API_PREFIX,
    MODEL_SECONDS_HEADER,
    QUEUE_SECONDS_HEADER,
    STATE_MEDIA_TYPE,
    BodyTooLargeError,
    DenoiseRequest,
    InternalError,
    OverloadedError,
    UnauthorizedError,
    UnsupportedMediaTypeError,
    encode_state,
    error_body,
    parse_request,
    spec_from_request,
)

log = logging.getLogger("obclip.service")


@dataclass
class ServiceConfig:
    """How a server runs.

    Args:
        large: the cloud model it serves (hub id, local directory or `embedded:NAME`).
        tokens: accepted bearer tokens; empty means no authentication.
        limits: the per-request limits.
        log_prompts: write the candidate prompts to the log (off: only counts and options).
    """

    large: str = "embedded:default"
    tokens: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    log_prompts: bool = False


def read_tokens(path: str | Path) -> tuple[str, ...]:
    """Bearer tokens from a file, one per line; blank lines and `#` comments are skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise InvalidInputError(f"cannot read token file {str(path)!r}: {reason}") from None
    tokens = tuple(line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))
    if not tokens:
        raise InvalidInputError(f"token file {str(path)!r} holds no token")
    return tokens


# --- the worker ----------------------------------------------------------------------------------


@dataclass
class JobResult:
    body: bytes
    model_s: float
    queue_s: float


@dataclass
class _Job:
    spec: DenoiseSpec
    future: concurrent.futures.Future
    queued_at: float


class Worker:
    """One thread running one job at a time from a bounded queue."""

    def __init__(self, engine: Any, queue_size: int, retry_after_s: int) -> None:
        self.engine = engine
        self.retry_after_s = retry_after_s
        self._queue: queue.Queue[_Job] = queue.Queue(maxsize=max(queue_size, 1))
        self._queue_size = queue_size
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._running = 0
        self._lock = threading.Lock()

    @property
    def depth(self) -> int:
        """Jobs waiting plus the one running."""
        return self._queue.qsize() + self._running

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="obclip-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            job.future.cancel()
        if self._thread is not None:
            self._thread.join(timeout)

    def submit(self, spec: DenoiseSpec) -> concurrent.futures.Future:
        """Queue a job or raise `OverloadedError` at once; never blocks."""
        job = _Job(spec, concurrent.futures.Future(), time.perf_counter())
        with self._lock:
            # queue_size jobs may wait behind the running one; 0 means none may wait.
            if self._queue_size == 0 and self._running:
                raise OverloadedError("the server is busy; retry later", self.retry_after_s)
            try:
                self._queue.put_nowait(job)
            except queue.Full:
                raise OverloadedError("the job queue is full; retry later", self.retry_after_s) from None
        return job.future

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                job = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            with self._lock:
                self._running = 1
            try:
                if job.future.set_running_or_notify_cancel():
                    self._run(job)
            finally:
                with self._lock:
                    self._running = 0

    def _run(self, job: _Job) -> None:
        started = time.perf_counter()
        try:
            state = self.engine.run(job.spec)
            model_s = time.perf_counter() - started
            body = encode_state(state)
        except (StateError, InternalError) as exc:
            log.error("denoise job failed: %s", exc)
            job.future.set_exception(InternalError(f"the cloud failed to run the request: {exc}"))
        except ObclipError as exc:
            job.future.set_exception(exc)
        except Exception as exc:  # a worker failure must not kill the server
            log.exception("denoise job failed unexpectedly")
            job.future.set_exception(InternalError(f"the cloud failed to run the request ({type(exc).__name__})"))
        else:
            job.future.set_result(JobResult(body, model_s, started - job.queued_at))


# --- metrics -------------------------------------------------------------------------------------


class Metrics:
    """The app's Prometheus metrics, in a registry of its own (several apps may share a process)."""

    def __init__(self, depth: Callable[[], float]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "obclip_requests", "HTTP requests answered", ["endpoint", "status"], registry=self.registry
        )
        self.errors = Counter("obclip_errors", "error answers by error code", ["code"], registry=self.registry)
        self.latency = Histogram(
            "obclip_request_seconds",
            "time from request to answer",
            ["endpoint"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
            registry=self.registry,
        )
        self.model_seconds = Histogram(
            "obclip_model_seconds",
            "model time per denoise job",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
            registry=self.registry,
        )
        self.queue_depth = Gauge("obclip_queue_depth", "denoise jobs waiting or running", registry=self.registry)
        self.queue_depth.set_function(depth)


class MetricsMiddleware:
    """Pure ASGI middleware: counts every HTTP answer and times it, labelled by known route."""

    def __init__(self, app: Any, metrics: Callable[[], Metrics | None], routes: Iterable[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = set(routes)

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def capture(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            metrics = self.metrics()
            if metrics is not None:
                path = scope.get("path", "")
                endpoint = path if path in self.routes else "other"
                metrics.requests.labels(endpoint, str(status["code"])).inc()
                metrics.latency.labels(endpoint).observe(time.perf_counter() - started)


# --- the app -------------------------------------------------------------------------------------


def create_app(config: ServiceConfig | None = None, *, engine: Any = None) -> FastAPI:
    """The FastAPI app serving `config.large` (loaded now unless `engine` is given).

    `engine` is anything with `check(spec)`, `run(spec) -> DenoiseState` and a `model` bundle,
    normally a `CloudEngine`; tests pass wrappers that block or fail.
    """
    config = config or ServiceConfig()
    limits = config.limits
    if engine is None:
        from obclip.engine.models import load_model

        engine = CloudEngine(load_model(config.large))
    model_id = engine.model.model_id
    worker = Worker(engine, limits.queue_size, limits.retry_after_s)
    metrics = Metrics(lambda: worker.depth)
    tokens = tuple(t.encode("utf-8") for t in config.tokens)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        worker.start()
        log.info("serving %s (limits %s)", model_id, limits.to_dict())
        try:
            yield
        finally:
            worker.stop()

    app = FastAPI(
        title="obclip cloud",
        version=obclip.__version__,
        description="The cloud half of ObCLIP: denoises N candidate prompts and never learns which is the user's.",
        lifespan=lifespan,
    )
    app.state.worker = worker
    app.state.metrics = metrics
    app.state.engine = engine
    bearer = HTTPBearer(auto_error=False)

    def require_token(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:  # noqa: B008
        if not tokens:
            return
        given = credentials.credentials.encode("utf-8", "surrogateescape") if credentials else b""
        matched = False
        for token in tokens:  # compare against every token: the time does not say which one matched
            matched |= hmac.compare_digest(given, token)
        if not matched:
            raise UnauthorizedError("a valid bearer token is required" if given else "missing bearer token")

    # -- errors: every ObclipError in exactly one handler; framework errors in the same JSON shape --

    @app.exception_handler(ObclipError)
    async def _obclip_error(request: Request, exc: ObclipError) -> JSONResponse:
        metrics.errors.labels(exc.code).inc()
        if exc.http_status >= 500:
            log.error("%s %s -> %d %s", request.method, request.url.path, exc.http_status, exc.code)
        return JSONResponse(
            error_body(exc.code, str(exc)), status_code=exc.http_status, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        metrics.errors.labels(code).inc()
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        metrics.errors.labels("invalid_request").inc()
        return JSONResponse(error_body("invalid_request", "request does not match the API"), status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        metrics.errors.labels(InternalError.code).inc()
        log.error("%s %s failed unexpectedly: %s", request.method, request.url.path, type(exc).__name__)
        return JSONResponse(error_body(InternalError.code, "internal server error"), status_code=500)

    # -- endpoints --

    error_responses: dict[int | str, dict[str, Any]] = {
        status: {"description": text, "content": {"application/json": {"example": error_body("code", "message")}}}
        for status, text in (
            (400, "invalid input or a limit exceeded"),
            (401, "missing or wrong bearer token"),
            (404, "model not served here"),
            (413, "body too large"),
            (415, "body not JSON"),
            (422, "body not of the request's shape"),
            (500, "the job failed on the server"),
            (503, "queue full; see Retry-After"),
        )
    }

    @app.post(
        f"{API_PREFIX}/denoise",
        dependencies=[Depends(require_token)],
        response_class=Response,
        summary="Run the cloud's steps [0, k) on every candidate",
        responses={
            200: {
                "description": "safetensors body of the `DenoiseState` (latents of all N, scheduler history, metadata)",
                "content": {STATE_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            },
            **error_responses,
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": DenoiseRequest.model_json_schema()}},
            }
        },
    )
    async def denoise(request: Request) -> Response:
        started = time.perf_counter()
        _check_media_type(request.headers.get("content-type"))
        body = await _read_body(request, limits.max_body_bytes)
        req = parse_request(body)
        if req.model is not None and _canonical(req.model) != model_id:
            raise ModelNotFoundError(f"this server serves {model_id}, not {req.model!r}")
        spec = spec_from_request(req, limits)
        engine.check(spec)  # prompts the text encoder would truncate, size vs VAE, accel steps: 4xx now
        future = worker.submit(spec)
        result: JobResult = await asyncio.wrap_future(future)
        metrics.model_seconds.observe(result.model_s)
        _log_job(spec, result, time.perf_counter() - started, config.log_prompts)
        return Response(
            result.body,
            media_type=STATE_MEDIA_TYPE,
            headers={MODEL_SECONDS_HEADER: f"{result.model_s:.6f}", QUEUE_SECONDS_HEADER: f"{result.queue_s:.6f}"},
        )

    @app.get(f"{API_PREFIX}/models", dependencies=[Depends(require_token)], summary="The model served and the limits")
    async def models() -> dict[str, Any]:
        bundle = engine.model
        return {
            "data": [
                {
                    "id": model_id,
                    "object": "model",
                    "default_size": bundle.default_size,
                    "latent_channels": bundle.latent_channels,
                    "vae_scale_factor": bundle.vae_scale_factor,
                    "max_prompt_tokens": getattr(bundle.text, "max_tokens", None),
                    "schedulers": sorted(SCHEDULERS),
                }
            ],
            "limits": limits.to_dict(),
            "version": obclip.__version__,
        }

    @app.get("/healthz", summary="Liveness: answers while a job runs; no token needed")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "model": model_id, "queue_depth": worker.depth}

    @app.get("/metrics", dependencies=[Depends(require_token)], summary="Prometheus metrics (text format)")
    async def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    routes = {f"{API_PREFIX}/denoise", f"{API_PREFIX}/models", "/healthz", "/metrics", "/openapi.json", "/docs"}
    app.add_middleware(MetricsMiddleware, metrics=lambda: metrics, routes=routes)
    return app


def _check_media_type(value: str | None) -> None:
    media = (value or "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise UnsupportedMediaTypeError(f"request body must be application/json, got {value or 'no Content-Type'!r}")


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it passes `limit` bytes (declared or actually sent)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise InvalidInputError(f"bad Content-Length {declared[:40]!r}")
        if int(declared) > limit:
            raise BodyTooLargeError(f"request body of {int(declared)} bytes, this server takes at most {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(f"request body over {limit} bytes, this server takes at most {limit}")
        chunks.append(chunk)
    return b"".join(chunks)


def _canonical(model: str) -> str:
    from obclip.engine.models import canonical_id

    try:
        return canonical_id(model)
    except ObclipError:
        return model


def _log_job(spec: DenoiseSpec, result: JobResult, total_s: float, log_prompts: bool) -> None:
    log.info(
        "denoise N=%d steps=%d k=%d scheduler=%s size=%sx%s model=%.3fs queue=%.3fs total=%.3fs",
        spec.num_candidates,
        spec.steps,
        spec.switch_step,
        spec.scheduler,
        spec.height,
        spec.width,
        result.model_s,
        result.queue_s,
        total_s,
    )
    if log_prompts:
        log.info("denoise candidates: %s", list(spec.candidates))


# --- serving -------------------------------------------------------------------------------------


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket. Its protocol must be IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on
    accepted connections only then, and without it every answer waits ~40 ms on delayed ACKs."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except (OSError, OverflowError) as exc:
        sock.close()
        raise InvalidInputError(f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}") from None
    return sock


def serve(
    config: ServiceConfig,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "info",
) -> int:
    """Bind, load the model, then serve until interrupted; `--port 0` picks a free port."""
    import uvicorn

    if not 0 <= port <= 65535:
        raise InvalidInputError(f"port must be in [0, 65535], got {port}")
    sock = _listen(host, port)
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        app = create_app(config)
        bound = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        model_id = app.state.engine.model.model_id
        print(f"obclip: serving {model_id} on http://{shown}:{bound}", file=sys.stderr, flush=True)
        server = uvicorn.Server(uvicorn.Config(app, log_level=log_level, timeout_graceful_shutdown=5))
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0
