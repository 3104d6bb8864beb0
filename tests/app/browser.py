"""Helpers for driving the app in headless Chromium: the app on a free loopback port, and a browser.

Chromium comes from the system's packages (`apt-get install chromium`, what `.ci/run` does);
Playwright only drives it, so nothing is downloaded at test time.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Reads the loaded image back through a canvas: [min, max] over its RGB channels.
PIXEL_RANGE_JS = """(img) => {
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let lo = 255, hi = 0;
  for (let i = 0; i < data.length; i += 4) {
    for (let c = 0; c < 3; c++) { lo = Math.min(lo, data[i + c]); hi = Math.max(hi, data[i + c]); }
  }
  return [lo, hi];
}"""


@contextlib.contextmanager
def running_app(history: Path, **options: Any) -> Iterator[str]:
    """The app (`create_app(history, **options)`) served by uvicorn in a thread on a free 127.0.0.1
    port; yields its URL."""
    import uvicorn

    from obclip.app.server import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(history, **options), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextlib.contextmanager
def chromium_page(profile: Path, viewport: tuple[int, int] = (1000, 1200), *, mobile: bool = False) -> Iterator:
    """A page in headless system Chromium with a fresh profile directory (`mobile`: a phone's touch and scaling).

    Every `expect` and page action waits up to 60 s unless it says otherwise: Playwright's 5 s default
    for `expect` is what a loaded 2-core machine can take to repaint (the waits are on what the page
    shows, so a fast machine never waits longer).
    """
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=60_000)
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": viewport[0], "height": viewport[1]},
            **({"is_mobile": True, "has_touch": True, "device_scale_factor": 2} if mobile else {}),
        )
        context.set_default_timeout(60_000)
        try:
            yield context.new_page()
        finally:
            context.close()
