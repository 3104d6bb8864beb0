"""Hostile peers against a server with the default limits: slow and idle connections, mid-upload
disconnects, and the largest request the limits admit.

Starts `obclip serve` on 127.0.0.1 (a free port, default limits, a token file so the body-trickling
connections are authenticated), then:

1. `--slow` connections (default 50), a third each: idle (send nothing), trickle the request head
   (one byte every `--trickle` s), trickle an authenticated body. Each waits for the server to close
   it; reported: how many were closed, within the documented timeouts (head `header_timeout_s`,
   body `header_timeout_s + body_timeout_s`, plus 1 s of slack), and the slowest close.
2. `--aborts` uploads (default 200) that declare `Content-Length: N`, send N/2 bytes and close;
   reported: how /metrics counted them (server errors vs client aborts) and ERROR lines in the log.
3. The largest requests the limits admit: N = max_candidates with guidance and T = k = 1, the issue's
   1024 px case, then the largest square size the admission estimate lets through (computed from the
   server's `/v1/models` throughput and the same MAC-count cost model), sent and timed against the
   deadline per job; and N = max, T = k = max_steps at the model's size.

    .venv/bin/python bench/hostile.py                        # embedded:default, 50 slow, 200 aborts
    .venv/bin/python bench/hostile.py --large embedded:tiny-random --skip-largest

Prints one JSON object (also written to `--out`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

HOST = "127.0.0.1"
TOKEN = "hostile-bench-token-0123456789"
_SERVING = re.compile(r"serving \S+ on (http://127\.0\.0\.1:\d+)")


def start_server(large: str, log: Path, token_file: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    argv = [sys.executable, "-m", "obclip.cli", "serve", "--host", HOST, "--port", "0", "--large", large]
    with log.open("wb") as out:
        proc = subprocess.Popen([*argv, "--token-file", str(token_file)], stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(log.read_text()[-2000:])
        found = _SERVING.search(log.read_text(errors="replace"))
        if found:
            try:
                if httpx.get(found.group(1) + "/healthz", timeout=2).status_code == 200:
                    return proc, found.group(1)
            except httpx.TransportError:
                pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server not ready")


def _wait_closed(sock: socket.socket, started: float, limit_s: float) -> tuple[float | None, bytes]:
    """Seconds from `started` until the server closed `sock` (None: still open after limit_s)."""
    sock.settimeout(0.5)
    received = b""
    while time.monotonic() - started < limit_s:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            return time.monotonic() - started, received
        if not chunk:
            return time.monotonic() - started, received
        received += chunk
    return None, received


def slow_connections(url: str, count: int, trickle_s: float, limit_s: float) -> list[dict]:
    host, port = url.removeprefix("http://").split(":")
    results: list[dict] = []
    lock = threading.Lock()

    def one(kind: str) -> None:
        started = time.monotonic()
        with socket.create_connection((host, int(port))) as sock:
            stop = threading.Event()

            def trickle(data_head: bytes, byte: bytes) -> None:
                try:
                    sock.sendall(data_head)
                    while not stop.is_set() and time.monotonic() - started < limit_s:
                        sock.sendall(byte)
                        time.sleep(trickle_s)
                except OSError:
                    pass

            if kind == "head":
                threading.Thread(
                    target=trickle, args=(b"POST /v1/denoise HTTP/1.1\r\nHost: x\r\nX-Slow: ", b"a")
                ).start()
            elif kind == "body":
                head = (
                    f"POST /v1/denoise HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                    "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
                ).encode()
                threading.Thread(target=trickle, args=(head, b" ")).start()
            closed, received = _wait_closed(sock, started, limit_s)
            stop.set()
        status = received.split(b" ", 2)[1].decode() if received.startswith(b"HTTP/1.1 ") else None
        with lock:
            results.append({"kind": kind, "closed_after_s": closed, "status": status})

    kinds = [("idle", "head", "body")[i % 3] for i in range(count)]
    threads = [threading.Thread(target=one, args=(kind,)) for kind in kinds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(limit_s + 30)
    return results


def mid_upload_aborts(url: str, count: int) -> None:
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps(
        {
            "candidates": ["a cat", "a dog"],
            "steps": 2,
            "switch_step": 1,
            "scheduler": "ddim",
            "guidance": 3.0,
            "seed": 1,
        }
    ).encode()
    head = (
        f"POST /v1/denoise HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    for _ in range(count):
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(head + body[: len(body) // 2])
    time.sleep(1.0)  # let the server notice the last ones


def metric(text: str, name: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def largest_requests(url: str, large: str) -> list[dict]:
    """Send the largest requests the limits admit (and the issue's 1024 px case) and time them."""
    from obclip.engine import load_model
    from obclip.service.cost import CostModel
    from obclip.service.jobs import ESTIMATE_MARGIN

    auth = {"Authorization": f"Bearer {TOKEN}"}
    warm = {"candidates": [f"a portrait number {i}" for i in range(8)], "steps": 10, "switch_step": 10}
    for seed in range(3):  # a few ordinary jobs first: the server's speed estimate follows what jobs achieve
        options = {"scheduler": "ddim", "guidance": 7.5, "seed": seed}
        httpx.post(url + "/v1/denoise", json={**warm, **options}, headers=auth, timeout=600)
    info = httpx.get(url + "/v1/models", headers=auth, timeout=30).json()
    model, limits = info["data"][0], info["limits"]
    cost = CostModel.for_unet(load_model(large).unet)
    n, factor = limits["max_candidates"], model["vae_scale_factor"]

    speed = model["throughput_gmacs"] * 1e9

    def estimate(side: int, k: int) -> tuple[float, float]:
        macs = 2 * n * k * cost.row_forward(side // factor, side // factor)
        return macs, ESTIMATE_MARGIN * macs / speed

    def admitted(side: int, k: int) -> bool:
        macs, seconds = estimate(side, k)
        return macs <= limits["max_request_tmacs"] * 1e12 and seconds <= limits["job_deadline_s"]

    sides = [s for s in range(8, limits["max_size"] + 1, 8) if admitted(s, 1)]
    cases = [("issue case: N=max, 1024 px, T=k=1", limits["max_size"], 1)]
    if sides:
        cases.append(("largest admitted size, N=max, T=k=1", sides[-1], 1))
    steps = limits["max_steps"]
    cases.append((f"N=max, model size, T=k={steps}", model["default_size"], steps))
    out = []
    for name, side, k in cases:
        request = {
            "candidates": [f"a portrait number {i}" for i in range(n)],
            "steps": k,
            "switch_step": k,
            "scheduler": "ddim",
            "guidance": 7.5,
            "seed": 1,
            "height": side,
            "width": side,
        }
        started = time.monotonic()
        answer = httpx.post(url + "/v1/denoise", json=request, headers=auth, timeout=limits["job_deadline_s"] + 120)
        elapsed = time.monotonic() - started
        error = None if answer.status_code == 200 else answer.json()["error"]
        out.append(
            {
                "case": name,
                "size": side,
                "k": k,
                "tmacs": round(estimate(side, k)[0] / 1e12, 3),
                "estimated_s": round(estimate(side, k)[1], 1),
                "throughput_gmacs": model["throughput_gmacs"],
                "status": answer.status_code,
                "seconds": round(elapsed, 2),
                "deadline_s": limits["job_deadline_s"],
                "error": error,
            }
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--large", default="embedded:default")
    parser.add_argument("--slow", type=int, default=50)
    parser.add_argument("--aborts", type=int, default=200)
    parser.add_argument("--trickle", type=float, default=1.0, help="seconds between trickled bytes")
    parser.add_argument("--limit", type=float, default=60.0, help="give up waiting for a close after this")
    parser.add_argument("--skip-largest", action="store_true")
    parser.add_argument("--out", default="out/hostile.json")
    args = parser.parse_args()

    from obclip.service.limits import Limits

    defaults = Limits()
    report: dict = {"large": args.large, "limits": defaults.to_dict()}
    with tempfile.TemporaryDirectory() as tmp:
        token_file = Path(tmp) / "tokens.txt"
        token_file.write_text(f"# bench\n{TOKEN}\n")
        log = Path(tmp) / "server.log"
        proc, url = start_server(args.large, log, token_file)
        try:
            slow = slow_connections(url, args.slow, args.trickle, args.limit)
            allowed = {
                "idle": defaults.header_timeout_s + 1,
                "head": defaults.header_timeout_s + 1,
                "body": defaults.header_timeout_s + defaults.body_timeout_s + 1,
            }
            closed = [r for r in slow if r["closed_after_s"] is not None]
            within = [r for r in closed if r["closed_after_s"] <= allowed[r["kind"]]]
            report["slow_connections"] = {
                "count": len(slow),
                "closed": len(closed),
                "closed_within_documented_timeouts": len(within),
                "still_open_after_s": {"limit": args.limit, "count": len(slow) - len(closed)},
                "slowest_close_s": {
                    kind: max((r["closed_after_s"] or float("inf") for r in slow if r["kind"] == kind), default=None)
                    for kind in allowed
                },
                "answers": sorted({str(r["status"]) for r in slow}),
            }
            before = httpx.get(url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30).text
            mid_upload_aborts(url, args.aborts)
            after = httpx.get(url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30).text
            report["mid_upload_disconnects"] = {
                "count": args.aborts,
                "counted_as_server_errors": metric(after, "obclip_server_errors_total")
                - metric(before, "obclip_server_errors_total"),
                "counted_as_client_aborts": metric(after, 'obclip_client_aborts_total{stage="upload"}')
                - metric(before, 'obclip_client_aborts_total{stage="upload"}'),
                "error_log_lines": sum(" ERROR " in line for line in log.read_text(errors="replace").splitlines()),
            }
            if not args.skip_largest:
                report["largest_requests"] = largest_requests(url, args.large)
            report["server_alive"] = httpx.get(url + "/healthz", timeout=30).status_code == 200
        finally:
            proc.terminate()
            proc.wait(30)
    text = json.dumps(report, indent=2)
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
