"""Bounded load run of `obclip serve` on loopback: throughput, latency and the server's overhead.

Starts its own server on 127.0.0.1 (a free port), sends a fixed number of requests from a few
concurrent clients, stops the server and prints a summary. It never touches another host and
stops by itself (a hard deadline bounds the whole run).

    .venv/bin/python bench/load.py                      # 16 clients, 500 requests, tiny model
    .venv/bin/python bench/load.py --requests 100 --clients 4 --steps 8 --switch-step 4

Overhead per request = client latency - queue wait - model time (both reported by the server in
`X-Obclip-Queue-Seconds` / `X-Obclip-Model-Seconds`): HTTP on both sides, validation, the
prompt-length check and safetensors serialisation, given as a fraction of the model time.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

HOST = "127.0.0.1"
_SERVING = re.compile(r"serving \S+ on (http://127\.0\.0\.1:\d+)")


@dataclass
class Sample:
    status: int
    latency_s: float
    model_s: float = 0.0
    queue_s: float = 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--candidates", type=int, default=6, help="N per request")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--switch-step", type=int, default=2)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--large", default="embedded:tiny-random")
    parser.add_argument("--threads", type=int, default=1, help="server's torch threads")
    parser.add_argument("--deadline", type=float, default=170.0, help="seconds; the run stops here whatever happens")
    args = parser.parse_args()
    if not (1 <= args.clients <= 64 and 1 <= args.requests <= 100_000):
        parser.error("--clients must be in [1, 64] and --requests in [1, 100000]")
    hard_stop = time.monotonic() + args.deadline

    from obclip.engine import DenoiseSpec
    from obclip.service.protocol import MODEL_SECONDS_HEADER, QUEUE_SECONDS_HEADER, encode_request

    spec = DenoiseSpec(
        tuple(f"portrait of person number {i} with dark hair" for i in range(args.candidates)),
        steps=args.steps,
        switch_step=args.switch_step,
        scheduler="dpmsolver++",
        height=args.size,
        width=args.size,
        seed=0,
    )
    body = encode_request(spec, args.large)
    headers = {"Content-Type": "application/json"}

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        server, url = start_server(args, log, hard_stop)
        try:
            with httpx.Client(base_url=url, timeout=30) as warm:
                for _ in range(3):
                    warm.post("/v1/denoise", content=body, headers=headers).raise_for_status()
            samples = run_load(url, body, headers, args, hard_stop, MODEL_SECONDS_HEADER, QUEUE_SECONDS_HEADER)
            with httpx.Client(base_url=url, timeout=10) as probe:
                metrics = probe.get("/metrics").text
        finally:
            lines = log.read_text(errors="replace").splitlines()
            failures = [line for line in lines if "ERROR" in line or "Error" in line or "  File" in line]
            for line in failures[:40]:
                print(f"  server log: {line}", file=sys.stderr)
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(10)
    report(samples, args, len(body), metrics)
    return 0


def start_server(args: argparse.Namespace, log: Path, hard_stop: float) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, "-m", "obclip.cli", "serve", "--host", HOST, "--port", "0", "--large", args.large]
    command += ["--threads", str(args.threads), "--queue-size", str(max(args.clients * 2, 8))]
    command += ["--log-level", "warning"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    with log.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    url = ""
    while time.monotonic() < hard_stop:
        if server.poll() is not None:
            raise SystemExit(f"server exited:\n{log.read_text()[-2000:]}")
        found = _SERVING.search(log.read_text(errors="replace"))
        if found:
            url = found.group(1)
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    return server, url
            except httpx.TransportError:
                pass
        time.sleep(0.1)
    server.kill()
    raise SystemExit("server did not start before the deadline")


def run_load(url, body, headers, args, hard_stop, model_header, queue_header) -> tuple[list[Sample], float]:
    samples: list[Sample] = []
    lock = threading.Lock()
    remaining = [args.requests]

    def client() -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            while time.monotonic() < hard_stop:
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                started = time.perf_counter()
                try:
                    response = http.post("/v1/denoise", content=body, headers=headers)
                    sample = Sample(response.status_code, time.perf_counter() - started)
                    if response.status_code == 200:
                        sample.model_s = float(response.headers[model_header])
                        sample.queue_s = float(response.headers[queue_header])
                except httpx.HTTPError:
                    sample = Sample(0, time.perf_counter() - started)
                with lock:
                    samples.append(sample)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(hard_stop - time.monotonic(), 0.1))
    return samples, time.perf_counter() - started


def report(result: tuple[list[Sample], float], args: argparse.Namespace, body_bytes: int, metrics: str) -> None:
    samples, wall = result
    ok = [s for s in samples if s.status == 200]
    errors = len(samples) - len(ok)

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(int(q * len(ordered)), len(ordered) - 1)] if ordered else float("nan")

    latency = [s.latency_s for s in ok]
    model = [s.model_s for s in ok]
    overhead = [s.latency_s - s.queue_s - s.model_s for s in ok]
    print(
        f"load: {args.clients} clients, {len(samples)}/{args.requests} requests, N={args.candidates}, "
        f"T={args.steps}, k={args.switch_step}, {args.size}px, {args.large}, server threads={args.threads}"
    )
    print(f"  request body {body_bytes} B; wall {wall:.1f} s; throughput {len(ok) / wall:.1f} req/s")
    print(
        f"  latency  p50 {pct(latency, 0.5) * 1e3:.1f} ms  p99 {pct(latency, 0.99) * 1e3:.1f} ms  "
        f"max {max(latency, default=float('nan')) * 1e3:.1f} ms"
    )
    print(
        f"  errors   {errors}"
        + (f" (statuses {sorted({s.status for s in samples if s.status != 200})})" if errors else "")
    )
    if ok:
        mean_model = statistics.fmean(model)
        mean_over = statistics.fmean(overhead)
        print(f"  model    mean {mean_model * 1e3:.1f} ms  p50 {pct(model, 0.5) * 1e3:.1f} ms per job (worker thread)")
        print(f"  queue    mean {statistics.fmean(s.queue_s for s in ok) * 1e3:.1f} ms waiting for the worker")
        print(
            f"  overhead mean {mean_over * 1e3:.1f} ms  p50 {pct(overhead, 0.5) * 1e3:.1f} ms per request = "
            f"{mean_over / mean_model:.2f} x model time (HTTP both sides, validation, serialisation)"
        )
    served = sum(
        float(m) for m in re.findall(r'obclip_requests_total\{endpoint="/v1/denoise",status="200"\} (\S+)', metrics)
    )
    print(f"  server /metrics: {served:.0f} denoise answers with status 200 (3 warm-up included)")


if __name__ == "__main__":
    sys.exit(main())
