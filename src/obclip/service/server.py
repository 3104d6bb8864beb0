"""The cloud half as an HTTP service: `create_app` (FastAPI) and `serve` under uvicorn.

Model work runs one job at a time on a worker thread behind a queue bounded by count and cost
(`service.jobs`), so the event loop keeps answering `/healthz` and `/metrics` while a job runs
and overload is a 503, not memory. Connections get deadlines: headers (idle connections too)
within `header_timeout_s`, the body within `body_timeout_s`, `keep_alive_s` between requests;
one address holds at most `max_idle_per_address` connections that have sent no request head
(a new one closes its oldest), and `/healthz` answers whatever the number of requests at once.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import h11
from fastapi import FastAPI
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

import obclip
from obclip.defaults import DEFAULT_LARGE
from obclip.engine.batching import BatchPolicy
from obclip.errors import InvalidInputError
from obclip.hosts import is_loopback
from obclip.service.cost import CostModel, SpeedEstimate, measure_speeds
from obclip.service.jobs import JobQueue, Share
from obclip.service.keyed import KeyedJobs
from obclip.service.limits import Limits
from obclip.service.metrics import Metrics, MetricsMiddleware
from obclip.service.protocol import error_body
from obclip.service.routes import EXCEPTION_HANDLERS, ROUTES, router
from obclip.service.tokens import TokenEntry, read_tokens

log = logging.getLogger("obclip.service")

__all__ = ["ServiceConfig", "auth_warning", "create_app", "read_tokens", "serve"]


@dataclass
class ServiceConfig:
    """How a server runs.

    Args:
        large: the cloud model it serves (hub id, local directory or `embedded:NAME`).
        tokens: accepted bearer tokens (strings, or `TokenEntry`s with a label and a share of
            the server); empty means no authentication.
        limits: the per-request, per-job and per-connection limits.
        log_prompts: write the candidate prompts to the log (off: only counts and options).
        batching: how many compatible requests may share one UNet call per step.
    """

    large: str = DEFAULT_LARGE
    tokens: tuple[str | TokenEntry, ...] = ()
    limits: Limits = field(default_factory=Limits)
    log_prompts: bool = False
    batching: BatchPolicy = field(default_factory=BatchPolicy)


def create_app(config: ServiceConfig | None = None, *, engine: Any = None) -> FastAPI:
    """The FastAPI app serving `config.large` (loaded now unless `engine` is given).

    `engine` is anything with `check(spec)`, `run(spec, *, on_step, checked)` and a `model`
    bundle, normally a `CloudEngine`; tests pass wrappers that block or fail.
    """
    config = config or ServiceConfig()
    limits = config.limits
    if engine is None:
        from obclip.engine.cloud import CloudEngine
        from obclip.engine.models import load_model

        engine = CloudEngine(load_model(config.large))
    bundle = engine.model
    cost_model = _cost_model(bundle.unet)
    if limits.throughput_gmacs:
        speed = SpeedEstimate([limits.throughput_gmacs * 1e9], fixed=True)
    else:
        latent = bundle.default_size // bundle.vae_scale_factor
        speed = SpeedEstimate(measure_speeds(bundle.unet, cost_model, latent))
    app = FastAPI(
        redirect_slashes=False,  # a redirect would name the Host the client sent, forged or not
        title="obclip cloud",
        version=obclip.__version__,
        description="The cloud half of ObCLIP: denoises N candidate prompts and never learns which is the user's.",
        lifespan=_lifespan,
        docs_url=None,  # the interactive pages load their scripts from a public CDN; the schema stays
        redoc_url=None,
    )
    state = app.state
    state.engine = engine
    state.model_id = bundle.model_id
    state.limits = limits
    entries = [t if isinstance(t, TokenEntry) else TokenEntry(t) for t in config.tokens]
    state.tokens = tuple((e.token.encode("utf-8", "surrogateescape"), e.label) for e in entries)
    state.log_prompts = config.log_prompts
    state.cost_model = cost_model
    metrics = Metrics(lambda: state.jobs.depth, lambda: state.jobs.queued_cost, lambda: state.jobs.by_tenant())
    state.metrics = metrics
    state.jobs = JobQueue(engine, limits, speed, record=metrics.job_ended, batching=config.batching)
    state.keyed = KeyedJobs()
    default = Share.from_limits(limits)
    for e in entries:
        state.jobs.set_share(
            e.label,
            Share(
                e.max_jobs or default.max_jobs,
                (e.max_queued_tmacs or limits.token_max_queued_tmacs) * 1e12,
                e.requests_per_minute or default.requests_per_minute,
                e.weight,
            ),
        )
    app.include_router(router)
    for exc_class, handler in EXCEPTION_HANDLERS.items():
        app.add_exception_handler(exc_class, handler)  # type: ignore[arg-type]  # Starlette types it loosely
    app.add_middleware(MetricsMiddleware, metrics=metrics, routes=ROUTES)
    app.add_middleware(RequestLimit, limit=limits.max_connections)
    return app


class RequestLimit:
    """At most `limit` requests in progress at once; beyond it a JSON 503 with `Retry-After`, except
    for `/healthz`, which always answers (it does no work). Replaces uvicorn's `limit_concurrency`,
    whose plain-text 503 counted idle connections too and refused the health check with the rest."""

    def __init__(self, app: Callable[..., Any], limit: int) -> None:
        self.app = app
        self.limit = limit
        self.active = 0

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http" or scope.get("path") == "/healthz":
            await self.app(scope, receive, send)
            return
        if self.active >= self.limit:
            body = json.dumps(error_body("overloaded", "too many requests at once; retry later")).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", b"1"),
                (b"connection", b"close"),
            ]
            await send({"type": "http.response.start", "status": 503, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        self.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    state = app.state
    state.jobs.start()
    log.info(
        "serving %s (throughput %.3g GMAC/s; limits %s)", state.model_id, state.jobs.throughput / 1e9, state.limits
    )
    try:
        yield
    finally:
        state.jobs.stop()


def _cost_model(unet: Any) -> CostModel:
    try:
        return CostModel.for_unet(unet)
    except Exception as exc:  # a UNet the MAC counter cannot build: assume SD-1.5's cost
        from obclip.engine.flops import SD15_UNET_CONFIG, build_meta_unet

        log.warning("cannot count this UNet's MACs (%s); costing requests as SD-1.5", type(exc).__name__)
        return CostModel.for_unet(build_meta_unet(SD15_UNET_CONFIG))


# --- serving -------------------------------------------------------------------------------------


class DeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a header deadline and a per-address cap on idle connections.

    A connection that has not sent a whole request head within `header_timeout_s` of connecting
    (or of its last answer) is closed: uvicorn closes idle kept-alive connections after
    `timeout_keep_alive`, but one that never sends a byte, or trickles its headers, would stay
    open for ever. One client address holds at most `max_idle_per_address` such connections
    (no request head yet); a new one beyond that closes that address's oldest, so idle sockets
    cost no valid client its connection. uvicorn's own 400 (an unparsable request) is JSON.
    """

    header_timeout_s: float = 10.0
    max_idle_per_address: int = 32
    #: Connections without a request head, by client address, oldest first (one map per server).
    idle: dict[str, collections.OrderedDict[DeadlineH11Protocol, None]]

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timer: asyncio.TimerHandle | None = None
        self._address = str((self.client or ("?",))[0])
        self._arm_header_timer()
        self._mark_idle()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm_header_timer()  # the request head is complete
            self._unmark_idle()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_header_timer()
            self._mark_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        self._unmark_idle()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        body = json.dumps(error_body("bad_http_request", msg)).encode()
        headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
        self.transport.write(self.conn.send(h11.Response(status_code=400, headers=headers, reason=b"Bad Request")))
        self.transport.write(self.conn.send(h11.Data(data=body)))
        self.transport.write(self.conn.send(h11.EndOfMessage()))
        self.transport.close()

    def _mark_idle(self) -> None:
        mine = self.idle.setdefault(self._address, collections.OrderedDict())
        mine[self] = None
        while len(mine) > self.max_idle_per_address:
            oldest, _ = mine.popitem(last=False)
            log.info("closing an idle connection from %s: over %d without a request", self._address, len(mine))
            oldest.transport.close()

    def _unmark_idle(self) -> None:
        mine = self.idle.get(self._address)
        if mine is not None:
            mine.pop(self, None)
            if not mine:
                del self.idle[self._address]

    def _arm_header_timer(self) -> None:
        self._disarm_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._header_timeout)

    def _disarm_header_timer(self) -> None:
        timer = getattr(self, "_header_timer", None)
        if timer is not None:
            timer.cancel()
            self._header_timer = None

    def _header_timeout(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            log.info("closing a connection that sent no complete request head in %g s", self.header_timeout_s)
            self.transport.close()


def uvicorn_config(app: ASGIApp, limits: Limits, log_level: str = "info") -> Any:
    """The uvicorn settings that enforce `limits` on connections, for `app` (the service's FastAPI
    app, or `front.front_app`'s)."""
    import uvicorn

    protocol = type(
        "ObclipH11Protocol",
        (DeadlineH11Protocol,),
        {
            "header_timeout_s": limits.header_timeout_s,
            "max_idle_per_address": limits.max_idle_per_address,
            "idle": {},
        },
    )
    return uvicorn.Config(
        app,
        http=protocol,
        log_level=log_level,
        timeout_keep_alive=limits.keep_alive_s,  # type: ignore[arg-type]  # a float works; typed int
        limit_concurrency=None,  # `RequestLimit` in the app: JSON 503, /healthz always answered
        h11_max_incomplete_event_size=16 * 1024,  # request line and headers
        timeout_graceful_shutdown=5,
    )


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


def auth_warning(host: str, tokens: tuple[object, ...]) -> str | None:
    """What to tell an operator who serves a non-loopback address without tokens, else None."""
    if tokens or is_loopback(host):
        return None
    return f"serving on {host} without a --token-file: anyone who can reach this address can use the model"


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
    warning = auth_warning(host, config.tokens)
    if warning:
        log.warning(warning)
    try:
        app = create_app(config)
        bound = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        print(f"obclip: serving {app.state.model_id} on http://{shown}:{bound}", file=sys.stderr, flush=True)
        server = uvicorn.Server(uvicorn_config(app, config.limits, log_level))
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0
