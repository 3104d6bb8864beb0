"""`front_app`: obclip's own HTTP layer in front of Ray Serve's proxy, so `serve --ray` keeps the
connection limits of a plain server (header and body deadlines, keep-alive, idle sockets per
address, requests at once) and Ray Serve's proxy listens on loopback only.

An ASGI app run by the same uvicorn settings as `obclip serve` (`server.uvicorn_config`): it
reads a request (within the body limits), sends it to the upstream proxy, and streams the answer
back; when its client goes away it drops the upstream request, so the replica cancels the job.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

import httpx

from obclip.service.limits import Limits

if TYPE_CHECKING:  # the ASGI interface's names only; the front needs no Starlette to run
    from starlette.types import ASGIApp, Receive, Scope, Send

#: Headers that belong to one connection, not to the request or answer they travel with.
_HOP = {
    b"connection",
    b"keep-alive",
    b"proxy-authenticate",
    b"proxy-authorization",
    b"te",
    b"trailer",
    b"transfer-encoding",
    b"upgrade",
    b"host",
    b"content-length",
}


def front_app(upstream: str, limits: Limits) -> ASGIApp:
    """The forwarding ASGI app for the proxy at `upstream` (e.g. `http://127.0.0.1:41234`)."""
    clients: dict[str, httpx.AsyncClient] = {}

    def client() -> httpx.AsyncClient:
        if "c" not in clients:
            clients["c"] = httpx.AsyncClient(
                base_url=upstream,
                timeout=httpx.Timeout(None, connect=10.0),
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=32),
                follow_redirects=False,
            )
        return clients["c"]

    async def answer(send: Send, status: int, text: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        # Not obclip's JSON envelope: the client may resend, since no replica holds the job.
        body = text.encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
                + (headers or []),
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def read_body(receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limits.max_body_bytes:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    if "c" in clients:
                        await clients.pop("c").aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        try:
            body = await asyncio.wait_for(read_body(receive), limits.body_timeout_s)
        except _TooLarge:
            await _json(send, 413, "body_too_large", f"request body over {limits.max_body_bytes} bytes")
            return
        except asyncio.TimeoutError:
            await _json(
                send, 408, "request_timeout", f"the request body did not arrive within {limits.body_timeout_s:g} s"
            )
            return
        if body is None:
            return  # the client left before sending its request
        path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        target = path.decode("latin-1") + (("?" + query.decode("latin-1")) if query else "")
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _HOP]
        request = client().build_request(scope["method"], target, headers=headers, content=body)
        sending = asyncio.ensure_future(client().send(request, stream=True))
        gone = asyncio.ensure_future(_disconnected(receive))
        await asyncio.wait({sending, gone}, return_when=asyncio.FIRST_COMPLETED)
        if not sending.done():  # the client left: drop the upstream request (the replica cancels the job)
            sending.cancel()
            return
        try:
            response = sending.result()
        except httpx.HTTPError:
            gone.cancel()
            await answer(send, 502, "obclip front: the Ray Serve proxy did not answer", [(b"retry-after", b"1")])
            return
        try:
            out = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()]
            out = [(k, v) for k, v in out if k.lower() not in _HOP - {b"content-length"}]
            await send({"type": "http.response.start", "status": response.status_code, "headers": out})
            async for chunk in response.aiter_raw():
                if gone.done():
                    return
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            gone.cancel()
            await response.aclose()

    return app


class _TooLarge(Exception):
    pass


async def _json(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": [*headers, (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
