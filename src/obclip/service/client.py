"""`HttpCloud`: the device's client of a remote obclip server, a `CloudBackend` over HTTP.

Obliviousness on the wire: `denoise(spec)` sends ONE request whose bytes are a function of the
candidate set, the public options and the model name only (`encode_request`), never of which
candidate is the user's, with a random `Idempotency-Key` drawn for the call; it makes no
follow-up call. A retry resends the identical bytes and key, and when it happens depends only on
the server and the network. It resends when no obclip server holds the job: a 503 or 429
(refused before queueing), no connection at all (within the connect timeout: a wrong URL fails in
about that long), or a 500/502/503 whose body is not obclip's JSON error envelope
`{"error": {"code", "message"}}` (something in front of obclip, such as Ray Serve's proxy when
the replica running the job died). A proxy's 504 (its own timeout; obclip may still run the job)
is resent only to a server whose `/healthz` says it recognises idempotency keys: the same bytes
and key attach to the job already there, so it runs once. obclip's own 5xx (the envelope), a
timeout or a connection broken after sending is never resent.

Nothing from the server is trusted: each call has a total deadline (not a per-read timeout),
the answer's size is capped before it is read (and it is never decompressed), error text is
stripped of control characters and cut short, and the answer is checked against the request.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

import obclip
from obclip.engine.spec import DenoiseSpec
from obclip.engine.state import DenoiseState
from obclip.errors import InvalidInputError, ModelNotFoundError, ServiceError
from obclip.service.protocol import (
    API_PREFIX,
    IDEMPOTENCY_HEADER,
    JSON_MEDIA_TYPE,
    STATE_MEDIA_TYPE,
    decode_state,
    encode_request,
)

#: Longest server message shown to the user (characters, after sanitising).
MAX_MESSAGE_CHARS = 300
_MAX_ERROR_BODY = 1 << 20  # an error body is read up to this, then cut (its message is cut much shorter)
_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")


def sanitize(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Server text made safe for a terminal: escape sequences and control or format characters
    removed, whitespace runs (newlines too) collapsed to one space, at most `limit` characters."""
    text = _ESCAPES.sub("", text)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Overloaded(Exception):
    def __init__(self, message: str, retry_after: float | None, status: int = 503) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class _BackendGone(Exception):
    """A 5xx that obclip's app did not write: whatever held the job is gone, so it runs nowhere."""

    def __init__(self, status: int, message: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    """When a request no obclip server took is sent again (see the module's docstring for which).

    Args:
        deadline_s: total seconds spent on tries and waits before giving up on an overloaded
            (503) server, a token over its share (429), or a proxy's 5xx.
        retries: most extra tries (None: as many as `deadline_s` allows).
        backoff_s: first wait between tries, doubled each time, with jitter (a 503's
            `Retry-After` is waited at least).
        max_wait_s: cap on any one wait.
    """

    deadline_s: float = 180.0
    retries: int | None = None
    backoff_s: float = 0.5
    max_wait_s: float = 30.0


@dataclass(frozen=True)
class HttpOptions:
    """How `HttpCloud` talks to a server.

    Args:
        timeout: httpx's timeouts: `connect` is how long to wait for a connection, and to keep
            trying a server that refuses (a wrong URL or port fails in about this long); `read`
            bounds one whole try, from connecting to the answer's last byte (the server sends
            nothing until the job is done).
        retry: the `RetryPolicy`.
        max_response_bytes: a larger answer is refused before or while it is read.
    """

    timeout: httpx.Timeout = field(default_factory=lambda: httpx.Timeout(300.0, connect=2.0))
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_response_bytes: int = 1 << 30

    @classmethod
    def of(cls, *, timeout: float = 300.0, connect_timeout: float = 2.0, **retry: Any) -> HttpOptions:
        """Options from plain numbers: `timeout` per try, `connect_timeout`, and `RetryPolicy`'s
        fields (`retries=0`) or `max_response_bytes`."""
        size = retry.pop("max_response_bytes", 1 << 30)
        return cls(httpx.Timeout(timeout, connect=connect_timeout), RetryPolicy(**retry), size)

    @property
    def try_s(self) -> float:
        """Seconds one try may take in all."""
        return float(self.timeout.read if self.timeout.read is not None else 300.0)

    @property
    def connect_s(self) -> float:
        return float(self.timeout.connect if self.timeout.connect is not None else self.try_s)


class HttpCloud:
    """The cloud half at `url` (e.g. `http://10.0.0.5:8000`), with deadlines, caps and retries.

    Args:
        url: base URL of an `obclip serve` server.
        token: bearer token, if the server asks for one (`service.tokens.read_token` reads a file).
        model: the cloud model to ask for (the server refuses another); None takes the server's.
        options: timeouts, the retry policy and the answer's size cap (`HttpOptions`).
        transport: an httpx transport (tests).
        sleep, clock, jitter: the wait function, the monotonic clock and a [0, 1) random source (tests).
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        model: str | None = None,
        options: HttpOptions | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        options = options or HttpOptions()
        retry = options.retry
        timeout, connect_timeout = options.try_s, options.connect_s
        if not url.startswith(("http://", "https://")):
            raise InvalidInputError(f"cloud URL must start with http:// or https://, got {sanitize(url, 100)!r}")
        if (
            (retry.retries is not None and retry.retries < 0)
            or timeout <= 0
            or connect_timeout <= 0
            or retry.deadline_s < 0
        ):
            raise InvalidInputError("retries and the retry deadline must be >= 0 and timeouts > 0")
        if token is not None and not all(33 <= ord(ch) <= 126 for ch in token):
            raise InvalidInputError("the bearer token must be printable ASCII without spaces")
        self.url = url.rstrip("/")
        parsed = httpx.URL(self.url)
        self.shown_url = str(parsed.copy_with(username=None, password=None)) if parsed.userinfo else self.url
        self.model = model
        self.options = options
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.retry = retry
        self.max_response_bytes = options.max_response_bytes
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        headers = {
            "User-Agent": f"obclip/{obclip.__version__}",
            "Accept": f"{STATE_MEDIA_TYPE}, {JSON_MEDIA_TYPE}",
            "Accept-Encoding": "identity",  # the answer is read as sent: no inflating a gzip bomb
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._deadline = _DeadlineBackend()
        if transport is None:
            transport = httpx.HTTPTransport()
            pool = getattr(transport, "_pool", None)
            if pool is not None and hasattr(pool, "_network_backend"):  # every read sees the deadline
                pool._network_backend = self._deadline
        # No connection is kept between calls: a kept one the server has since closed (its keep-alive
        # ran out, or it restarted) would fail the next request after sending, which is never resent.
        if isinstance(transport, httpx.HTTPTransport):
            pool = getattr(transport, "_pool", None)
            if pool is not None and hasattr(pool, "_max_keepalive_connections"):
                pool._max_keepalive_connections = 0
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(connect_timeout, timeout)),
            transport=transport,
            follow_redirects=False,
            limits=httpx.Limits(max_keepalive_connections=0),
        )
        self._keys_recognised: bool | None = None

    def __enter__(self) -> HttpCloud:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def request_bytes(self, spec: DenoiseSpec) -> bytes:
        """The exact body `denoise(spec)` sends."""
        return encode_request(spec, self.model)

    def denoise(self, spec: DenoiseSpec) -> DenoiseState:
        """Run the cloud's steps remotely; the answer is checked before it is returned."""
        body = self.request_bytes(spec)
        response = self._post(f"{API_PREFIX}/denoise", body, uuid.uuid4().hex)
        return decode_state(response, spec, self.model)

    def models(self) -> dict[str, Any]:
        """The server's `GET /v1/models` answer (model id, sizes, limits)."""
        return self._get_json(f"{API_PREFIX}/models")

    def health(self) -> dict[str, Any]:
        return self._get_json("/healthz")

    # -- transport --

    def _post(self, path: str, body: bytes, key: str) -> bytes:
        url = self.url + path
        give_up_at = self._clock() + self.retry.deadline_s
        unreachable_since: float | None = None  # the first of the latest run of failed connections
        attempt = 0
        while True:
            limit = give_up_at
            connect_failed = False
            try:
                with self._deadline.within(self.timeout):
                    return self._post_once(url, body, key)
            except _Overloaded as exc:
                wait = self._wait(attempt, exc.retry_after)
                if exc.status == 429:
                    failure = (
                        f"the cloud at {self.shown_url} refused this token's request: over its share (429) "
                        f"after {_tries(attempt + 1)}: {exc}"
                    )
                else:
                    failure = f"the cloud at {self.shown_url} is overloaded (503) after {_tries(attempt + 1)}: {exc}"
            except _BackendGone as exc:
                wait = self._wait(attempt, exc.retry_after)
                if exc.status == 504:
                    # The proxy stopped waiting; obclip may still run the job. The same bytes and key
                    # attach to it on a server that recognises keys; anywhere else a resend could run it twice.
                    if not self._recognises_keys():
                        raise ServiceError(
                            f"the cloud at {self.shown_url}: a proxy in front of it timed out (504) while the job "
                            "may still run; not resent, since the server does not recognise idempotency keys "
                            "(raise the proxy's timeout)"
                        ) from None
                    failure = (
                        f"the cloud at {self.shown_url}: a proxy timed out (504) {_tries(attempt + 1)} while the "
                        f"server ran the job: {exc}"
                    )
                else:
                    # Not obclip's answer: a proxy in front of it says the backend holding the job is
                    # gone, so no server runs it; the same bytes again reveal nothing and cost no double work.
                    failure = (
                        f"the cloud at {self.shown_url}: a proxy answered {exc.status} after {_tries(attempt + 1)} "
                        f"(the job's server is gone): {exc}"
                    )
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # No connection: the server never saw the request, so sending it again is safe, for
                # `connect_timeout` seconds in all (a wrong URL must not keep the user for minutes).
                connect_failed = True
                if unreachable_since is None:
                    unreachable_since = self._clock()
                wait = min(self._wait(attempt, None), max(self.connect_timeout / 4, 0.05))
                limit = min(give_up_at, unreachable_since + self.connect_timeout)
                if isinstance(exc, httpx.ConnectTimeout):
                    failure = (
                        f"the cloud at {self.shown_url} did not accept a connection within "
                        f"{self.connect_timeout:g} s ({_tries(attempt + 1)})"
                    )
                else:
                    failure = (
                        f"cannot reach the cloud at {self.shown_url} after {_tries(attempt + 1)} "
                        f"in {self._clock() - unreachable_since:.1f} s: {_reason(exc)}"
                    )
            except httpx.TimeoutException:
                raise ServiceError(f"the cloud at {self.shown_url} did not answer within {self.timeout:g} s") from None
            except httpx.TransportError as exc:
                # The request was sent: the server may have taken the job, so it is not resent.
                raise ServiceError(
                    f"the connection to the cloud at {self.shown_url} broke before it answered "
                    f"(the server may have stopped): {_reason(exc)}"
                ) from None
            if not connect_failed:
                unreachable_since = None
            attempt += 1
            out_of_tries = self.retry.retries is not None and attempt > self.retry.retries
            if out_of_tries or self._clock() + wait > limit:
                raise ServiceError(failure)
            self._sleep(wait)

    def _recognises_keys(self) -> bool:
        """Whether the server says (in `/healthz`) that it runs a resent job with the same key once."""
        if self._keys_recognised is None:
            try:
                self._keys_recognised = self.health().get("idempotency_keys") is True
            except (ServiceError, InvalidInputError, ModelNotFoundError):
                return False
        return self._keys_recognised

    def _post_once(self, url: str, body: bytes, key: str) -> bytes:
        headers = {"Content-Type": JSON_MEDIA_TYPE, IDEMPOTENCY_HEADER: key}
        with self._client.stream("POST", url, content=body, headers=headers) as response:
            if response.status_code in (429, 503):  # refused before queueing: the server's load, or this token's
                _, message = _error_of(self._read(response, _MAX_ERROR_BODY, error=True))
                raise _Overloaded(message, _retry_after(response), response.status_code)
            if response.status_code != 200:
                content = self._read(response, _MAX_ERROR_BODY, error=True)
                if 500 <= response.status_code < 600 and not _is_obclip_error(content):
                    _, message = _error_of(content)
                    raise _BackendGone(response.status_code, message, _retry_after(response))
                self._raise_for(response, content)
            media = response.headers.get("content-type", "")
            if not media.startswith(STATE_MEDIA_TYPE):
                shown = sanitize(media, 80) or "no content type"
                raise ServiceError(f"the cloud at {self.shown_url} answered {shown!r}, not a denoise state")
            return self._read(response, self.max_response_bytes)

    def _wait(self, attempt: int, retry_after: float | None) -> float:
        """Seconds before try `attempt + 2`: at least Retry-After, else doubling backoff; jittered."""
        if retry_after is not None:
            base = min(retry_after, self.retry.max_wait_s)
            return min(base * (1 + 0.25 * self._jitter()), self.retry.max_wait_s)
        base = min(self.retry.backoff_s * 2**attempt, self.retry.max_wait_s)
        return base * (0.5 + 0.5 * self._jitter())

    def _get_json(self, path: str) -> dict[str, Any]:
        try:
            with (
                self._deadline.within(self.timeout),
                self._client.stream("GET", self.url + path) as response,
            ):
                content = self._read(response, _MAX_ERROR_BODY, error=response.status_code != 200)
                if response.status_code != 200:
                    self._raise_for(response, content)
        except httpx.TimeoutException:
            raise ServiceError(f"the cloud at {self.shown_url} did not answer within {self.timeout:g} s") from None
        except httpx.TransportError as exc:
            raise ServiceError(f"cannot reach the cloud at {self.shown_url}: {_reason(exc)}") from None
        try:
            return dict(json.loads(content))
        except (ValueError, TypeError):
            raise ServiceError(
                f"the cloud at {self.shown_url} answered {path} with something that is not JSON"
            ) from None

    def _read(self, response: httpx.Response, limit: int, *, error: bool = False) -> bytes:
        """The body as sent (never inflated), refused past `limit` bytes; an error body is cut at `limit`."""
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise ServiceError(
                f"the cloud at {self.shown_url} sent a {sanitize(encoding, 20)}-encoded answer; "
                "obclip asks for and reads only unencoded ones"
            )
        declared = response.headers.get("content-length", "")
        if not error and declared.isdigit() and int(declared) > limit:
            raise ServiceError(f"the cloud's answer is larger than {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        # A response built in memory (httpx.MockTransport) was read when it was made; a real one streams.
        stream = iter([response.content]) if response.is_stream_consumed else response.iter_raw()
        for chunk in stream:
            size += len(chunk)
            if size > limit:
                if error:
                    chunks.append(chunk[: len(chunk) - (size - limit)])
                    break
                raise ServiceError(f"the cloud's answer is larger than {limit} bytes")
            chunks.append(chunk)
            self._deadline.check()
        return b"".join(chunks)

    def _raise_for(self, response: httpx.Response, body: bytes) -> None:
        status = response.status_code
        code, message = _error_of(body)
        where = f"the cloud at {self.shown_url}"
        if status in (400, 408, 413, 415, 422):
            raise InvalidInputError(f"{where} refused the request ({code}): {message}")
        if status == 401:
            raise ServiceError(f"{where} refused the bearer token (401): {message}; pass the right --token-file")
        if status == 404 and code == "model_not_found":
            raise ModelNotFoundError(f"{where}: {message}")
        raise ServiceError(f"{where} answered {status} ({code}): {message}")


def _retry_after(response: httpx.Response) -> float | None:
    try:
        wait = float(response.headers.get("retry-after", ""))
    except ValueError:
        return None
    return wait if math.isfinite(wait) and wait >= 0 else None


def _error_of(body: bytes) -> tuple[str, str]:
    """(code, message) of an error body, both sanitised."""
    try:
        error = json.loads(body)["error"]
        return sanitize(str(error["code"]), 40), sanitize(str(error["message"])) or "no message"
    except (ValueError, KeyError, TypeError):
        return "unknown", sanitize(body[:2000].decode("utf-8", "replace")) or "no message"


def _is_obclip_error(body: bytes) -> bool:
    """Whether an error body is obclip's own envelope `{"error": {"code": ..., "message": ...}}`."""
    try:
        error = json.loads(body)["error"]
        return isinstance(error, dict) and "code" in error and "message" in error
    except (ValueError, KeyError, TypeError):
        return False


def _reason(exc: Exception) -> str:
    return sanitize(str(exc) or type(exc).__name__, 200)


def _tries(n: int) -> str:
    return f"{n} {'try' if n == 1 else 'tries'}"


# --- the total deadline ---------------------------------------------------------------------------


class _DeadlineBackend(httpcore.SyncBackend):
    """httpcore's socket backend with one deadline per call: every connect, read and write waits
    at most until it, so a server that sends one byte a second cannot stretch a call past it."""

    def __init__(self) -> None:
        self._local = threading.local()

    @contextlib.contextmanager
    def within(self, seconds: float) -> Iterator[None]:
        self._local.deadline = time.monotonic() + seconds
        try:
            yield
        finally:
            self._local.deadline = None

    def remaining(self) -> float | None:
        deadline = getattr(self._local, "deadline", None)
        if deadline is None:
            return None
        return deadline - time.monotonic()

    def check(self) -> None:
        remaining = self.remaining()
        if remaining is not None and remaining <= 0:
            raise httpx.ReadTimeout("the call's deadline passed")

    def clamp(self, timeout: float | None) -> float | None:
        remaining = self.remaining()
        if remaining is None:
            return timeout
        if remaining <= 0:
            raise httpcore.ReadTimeout("the call's deadline passed")
        return remaining if timeout is None else min(timeout, remaining)

    def connect_tcp(  # type: ignore[override]  # passes httpcore's other arguments on as they come
        self, host: str, port: int, timeout: float | None = None, **kwargs: Any
    ) -> httpcore.NetworkStream:
        remaining = self.remaining()
        if remaining is not None and remaining <= 0:
            raise httpcore.ConnectTimeout("the call's deadline passed")
        if remaining is not None:
            timeout = remaining if timeout is None else min(timeout, remaining)
        return _DeadlineStream(super().connect_tcp(host, port, timeout, **kwargs), self)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, backend: _DeadlineBackend) -> None:
        self._stream = stream
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._backend.clamp(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._backend.clamp(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(*args, **kwargs), self._backend)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)
