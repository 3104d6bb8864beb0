"""obclip's front (the layer `serve --ray` puts before Ray Serve's proxy), here in front of a real
server on loopback: it forwards, keeps the connection limits, and behind a proxy that times out a
resent job with its idempotency key runs once (issue 23.2, 23.5)."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from obclip.engine import DenoiseSpec
from obclip.service.client import HttpCloud, HttpOptions
from obclip.service.front import front_app
from obclip.service.limits import Limits
from obclip.service.server import _listen, uvicorn_config

from .test_live import _closed_by_server


def _timing_out(app, seconds: float):
    """A proxy with a short upstream timeout: a plain-text 504 once `seconds` pass without an answer."""

    async def proxy(scope, receive, send):
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = asyncio.Event()

        async def watched(message):
            if message["type"] == "http.response.start":
                started.set()
            await send(message)

        inner = asyncio.ensure_future(app(scope, receive, watched))
        try:
            await asyncio.wait_for(asyncio.shield(started.wait()), seconds)
            await inner
        except asyncio.TimeoutError:
            inner.cancel()
            body = b"upstream request timeout"
            headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 504, "headers": headers})
            await send({"type": "http.response.body", "body": body})

    return proxy


def _run(app, limits: Limits) -> Iterator[str]:
    sock = _listen("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn_config(app, limits, "warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the front did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


@pytest.fixture
def front(servers) -> Iterator[str]:
    limits = Limits(header_timeout_s=1.0, keep_alive_s=1.0)
    yield from _run(front_app(servers["idle"].url, limits), limits)


@pytest.fixture
def impatient(servers) -> Iterator[str]:
    limits = Limits()
    yield from _run(_timing_out(front_app(servers["idle"].url, limits), 1.0), limits)


def _done_jobs(url: str) -> dict[str, float]:
    text = httpx.get(url + "/metrics", timeout=30).text
    return {m[0]: float(m[1]) for m in re.findall(r'^obclip_jobs_total\{outcome="(\w+)"\} (\S+)$', text, re.M)}


def test_the_front_forwards_and_keeps_the_connection_limits(front):
    cloud = HttpCloud(front, options=HttpOptions.of(retries=0))
    assert cloud.health()["status"] == "ok"
    assert cloud.denoise(DenoiseSpec(("a cat", "a dog"), steps=2, switch_step=1, seed=8)).num_candidates == 2
    host, port = front.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        # idle: closed at the 1 s header deadline (Ray Serve's own proxy kept it 75 s)
        assert _closed_by_server(sock, 30) == b""


def test_behind_a_proxy_that_times_out_a_long_job_runs_once(servers, impatient):
    before = _done_jobs(servers["idle"].url)
    long = DenoiseSpec(tuple(f"a cat number {i}" for i in range(8)), steps=25, switch_step=25, height=128, width=128)
    cloud = HttpCloud(impatient, options=HttpOptions.of(backoff_s=0.2))
    started = time.monotonic()
    state = cloud.denoise(long)
    took = time.monotonic() - started
    after = _done_jobs(servers["idle"].url)
    assert state.num_candidates == 8
    assert took > 1.0, "the job was shorter than the proxy's timeout: nothing was tested"
    assert after.get("done", 0) - before.get("done", 0) == 1
    assert after.get("cancelled_running", 0) == before.get("cancelled_running", 0)
