"""`HttpCloud`: the device's client of a remote obclip server, a `CloudBackend` over HTTP.

Obliviousness on the wire: `denoise(spec)` sends ONE request whose bytes are a function of the
candidate set, the public options and the model name only (`encode_request`), never of which
candidate is the user's; it makes no follow-up call. A retry (503 or a broken connection)
resends the identical bytes, and when it happens depends only on the server and the network.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx

import obclip
from obclip.engine.spec import DenoiseSpec
from obclip.engine.state import DenoiseState
from obclip.errors import InvalidInputError, ModelNotFoundError, ServiceError
from obclip.service.protocol import API_PREFIX, JSON_MEDIA_TYPE, STATE_MEDIA_TYPE, decode_state, encode_request


class HttpCloud:
    """The cloud half at `url` (e.g. `http://10.0.0.5:8000`), with timeouts and bounded retries.

    Args:
        url: base URL of an `obclip serve` server.
        token: bearer token, if the server asks for one.
        model: the cloud model to ask for (the server refuses another); None takes the server's.
        timeout: seconds to wait for the answer (the server sends nothing until the job is done).
        connect_timeout: seconds to wait for a connection.
        retries: extra tries after a 503 or a refused, reset or dropped connection; a timeout or an
            error answer is not retried.
        backoff_s: first wait between tries, doubled each time (a 503's Retry-After wins).
        max_retry_after_s: cap on any wait between tries.
        max_response_bytes: a larger answer is refused.
        transport: an httpx transport (tests).
        sleep: the wait function (tests).
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        model: str | None = None,
        timeout: float = 300.0,
        connect_timeout: float = 10.0,
        retries: int = 3,
        backoff_s: float = 0.5,
        max_retry_after_s: float = 30.0,
        max_response_bytes: int = 1 << 30,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise InvalidInputError(f"cloud URL must start with http:// or https://, got {url!r}")
        if retries < 0 or timeout <= 0 or connect_timeout <= 0:
            raise InvalidInputError("retries must be >= 0 and timeouts > 0")
        self.url = url.rstrip("/")
        self.model = model
        self.retries = retries
        self.backoff_s = backoff_s
        self.max_retry_after_s = max_retry_after_s
        self.max_response_bytes = max_response_bytes
        self._sleep = sleep
        headers = {"User-Agent": f"obclip/{obclip.__version__}", "Accept": f"{STATE_MEDIA_TYPE}, {JSON_MEDIA_TYPE}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            transport=transport,
            follow_redirects=False,
        )

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
        response = self._post(f"{API_PREFIX}/denoise", body)
        return decode_state(response, spec, self.model)

    def models(self) -> dict[str, Any]:
        """The server's `GET /v1/models` answer (model id, sizes, limits)."""
        return self._get_json(f"{API_PREFIX}/models")

    def health(self) -> dict[str, Any]:
        return self._get_json("/healthz")

    # -- transport --

    def _post(self, path: str, body: bytes) -> bytes:
        url = self.url + path
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                with self._client.stream(
                    "POST", url, content=body, headers={"Content-Type": JSON_MEDIA_TYPE}
                ) as response:
                    if response.status_code == 503 and not last:
                        wait = self._retry_after(response, attempt)
                        response.close()
                        self._sleep(wait)
                        continue
                    if response.status_code != 200:
                        self._raise_for(response, self._read(response, 1 << 20))
                    media = response.headers.get("content-type", "")
                    if not media.startswith(STATE_MEDIA_TYPE):
                        shown = media or "no content type"
                        raise ServiceError(f"the cloud at {self.url} answered {shown!r}, not a denoise state")
                    return self._read(response, self.max_response_bytes)
            except httpx.TimeoutException as exc:
                if isinstance(exc, httpx.ConnectTimeout) and not last:
                    self._sleep(min(self.backoff_s * 2**attempt, self.max_retry_after_s))
                    continue
                what = "accept a connection" if isinstance(exc, httpx.ConnectTimeout) else "answer"
                raise ServiceError(f"the cloud at {self.url} did not {what} in time") from None
            except httpx.TransportError as exc:
                # Refused, reset or dropped (a restarted server, a stale pooled connection): the
                # request is deterministic and carries nothing private, so it is safe to resend.
                if last:
                    tries = f"{attempt + 1} {'try' if attempt == 0 else 'tries'}"
                    if isinstance(exc, httpx.ConnectError):
                        raise ServiceError(
                            f"cannot reach the cloud at {self.url} after {tries}: {_reason(exc)}"
                        ) from None
                    raise ServiceError(
                        f"the connection to the cloud at {self.url} broke before it answered, after {tries} "
                        f"(the server may have stopped): {_reason(exc)}"
                    ) from None
                self._sleep(min(self.backoff_s * 2**attempt, self.max_retry_after_s))
        raise ServiceError(f"the cloud at {self.url} gave no answer")  # pragma: no cover - loop always returns

    def _get_json(self, path: str) -> dict[str, Any]:
        try:
            response = self._client.get(self.url + path)
        except httpx.TimeoutException:
            raise ServiceError(f"the cloud at {self.url} did not answer in time") from None
        except httpx.TransportError as exc:
            raise ServiceError(f"cannot reach the cloud at {self.url}: {_reason(exc)}") from None
        if response.status_code != 200:
            self._raise_for(response, response.content)
        try:
            return dict(response.json())
        except (ValueError, TypeError):
            raise ServiceError(f"the cloud at {self.url} answered {path} with something that is not JSON") from None

    def _read(self, response: httpx.Response, limit: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise ServiceError(f"the cloud's answer is larger than {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _retry_after(self, response: httpx.Response, attempt: int) -> float:
        value = response.headers.get("retry-after", "")
        try:
            wait = float(value)
        except ValueError:
            wait = self.backoff_s * 2**attempt
        if not wait >= 0:  # NaN or negative
            wait = self.backoff_s * 2**attempt
        return min(wait, self.max_retry_after_s)

    def _raise_for(self, response: httpx.Response, body: bytes) -> None:
        status = response.status_code
        code, message = _error_of(body)
        where = f"the cloud at {self.url}"
        if status in (400, 413, 415, 422):
            raise InvalidInputError(f"{where} refused the request ({code}): {message}")
        if status == 401:
            raise ServiceError(f"{where} refused the bearer token (401): {message}; pass the right --token-file")
        if status == 404 and code == "model_not_found":
            raise ModelNotFoundError(f"{where}: {message}")
        if status == 503:
            raise ServiceError(f"{where} is overloaded (503) after {self.retries + 1} tries: {message}")
        raise ServiceError(f"{where} answered {status} ({code}): {message}")


def _error_of(body: bytes) -> tuple[str, str]:
    try:
        error = json.loads(body)["error"]
        return str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        text = body[:200].decode("utf-8", "replace").strip()
        return "unknown", text or "no message"


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__
