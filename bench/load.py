"""Load on loopback with the real client: no batching vs batching vs Ray Serve replicas, side by side.

For each server setting it starts `obclip serve` on 127.0.0.1 (a free port), runs closed-loop
cells of 1, 8 and 64 concurrent clients, each an `HttpCloud` sending one request after another
for `--seconds`, then stops the server; everything goes into one JSON file and one table.

    .venv/bin/python bench/load.py                                  # embedded:default, 30 s cells
    .venv/bin/python bench/load.py --large embedded:tiny-random --seconds 10 --modes none,batch

Settings: `none` (one request per UNet call, `--max-batch-rows 0`), `batch` (the server's
defaults), `ray-1` / `ray-2` (`--ray` with 1 or 2 replicas, batching inside each, one CPU each).
Per cell: completed calls, throughput, p50/p99 latency of completed calls, failed calls (the
client gave up or got an error), 503s the client rode out, and UNet rows per call (from the
`X-Obclip-Batch-Rows` / `X-Obclip-Batch-Requests` answer headers, averaged over calls).
A hard deadline bounds the whole run.

`--scenario two-tenant` (issue 22) instead serves two tokens: `flood` keeps `--flood-clients`
clients sending the largest requests (`--flood-candidates`, honouring Retry-After) while `quiet`
sends small requests one after another, each through `HttpCloud` with its default retries, for
`--seconds`. It prints both tenants' latency percentiles side by side, the flood's 429s and 503s,
and every answer that was a 504 (an admitted job stopped at the deadline):

    nice .venv/bin/python bench/load.py --scenario two-tenant --modes batch --seconds 150
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

HOST = "127.0.0.1"
_SERVING = re.compile(r"serving \S+ on (http://127\.0\.0\.1:\d+)")
ROWS_HEADER = "x-obclip-batch-rows"
REQUESTS_HEADER = "x-obclip-batch-requests"
MODES = ("none", "batch", "ray-1", "ray-2")


@dataclass
class Cell:
    mode: str
    clients: int
    seconds: float = 0.0
    completed: int = 0
    failed: int = 0
    overloaded_503: int = 0
    throughput_rps: float = 0.0
    p50_s: float | None = None
    p99_s: float | None = None
    rows_per_unet_call: float | None = None
    errors: list[str] = field(default_factory=list)


class RecordingTransport(httpx.HTTPTransport):
    """An httpx transport that notes each answer's status and batch headers (the client stays as is)."""

    def __init__(self, sink: list[tuple[int, float | None, float | None]], lock: threading.Lock) -> None:
        super().__init__()
        self.sink = sink
        self.lock = lock

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        rows = response.headers.get(ROWS_HEADER)
        requests = response.headers.get(REQUESTS_HEADER)
        with self.lock:
            self.sink.append(
                (response.status_code, float(rows) if rows else None, float(requests) if requests else None)
            )
        return response


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--large", default="embedded:default")
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, from {', '.join(MODES)}")
    parser.add_argument("--clients", default="1,8,64", help="comma-separated client counts (each <= 64)")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of one cell")
    parser.add_argument("--candidates", type=int, default=6, help="N per request")
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--switch-step", type=int, default=10)
    parser.add_argument("--threads", type=int, help="server's torch threads (default: the server's own)")
    parser.add_argument("--out", default="bench/load.json", help="JSON file written at the end")
    parser.add_argument("--deadline", type=float, default=1500.0, help="seconds; the run stops here whatever happens")
    parser.add_argument("--scenario", choices=["cells", "two-tenant"], default="cells")
    parser.add_argument("--flood-clients", type=int, default=12, help="two-tenant: the flooding token's clients")
    parser.add_argument("--flood-candidates", type=int, default=64, help="two-tenant: N of the flood's requests")
    parser.add_argument("--quiet-candidates", type=int, default=2, help="two-tenant: N of the quiet token's requests")
    parser.add_argument(
        "--flood-switch-step", type=int, help="two-tenant: k of the flood's requests (default --switch-step)"
    )
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    clients = [int(c) for c in args.clients.split(",") if c]
    if any(m not in MODES for m in modes) or not all(1 <= c <= 64 for c in clients):
        parser.error(f"--modes from {', '.join(MODES)}; --clients each in [1, 64]")
    hard_stop = time.monotonic() + args.deadline

    from obclip.engine import DenoiseSpec

    def spec_for(client: int, call: int) -> DenoiseSpec:
        people = ("young woman", "young man", "old woman", "old man", "girl", "boy", "woman", "man")
        candidates = (
            f"portrait of a {people[i % len(people)]} number {i}, client {client}" for i in range(args.candidates)
        )
        return DenoiseSpec(
            tuple(candidates),
            steps=args.steps,
            switch_step=args.switch_step,
            seed=client * 100_000 + call,
        )

    if args.scenario == "two-tenant":
        return two_tenant(args, modes, hard_stop)
    cells: list[Cell] = []
    started = time.time()
    for mode in modes:
        with tempfile.TemporaryDirectory() as tmp:
            log = Path(tmp) / "server.log"
            server, url = start_server(mode, args, log, hard_stop)
            try:
                run_cell(url, mode, 1, 3.0, spec_for, args.large, hard_stop)  # warm-up, not reported
                for count in clients:
                    if time.monotonic() + args.seconds + 30 > hard_stop:
                        print(f"  deadline: skipping {mode} x {count}", file=sys.stderr)
                        continue
                    cell = run_cell(url, mode, count, args.seconds, spec_for, args.large, hard_stop)
                    cells.append(cell)
                    print(format_row(cell), flush=True)
            finally:
                stop_server(server)
                tail = [line for line in log.read_text(errors="replace").splitlines() if "Traceback" in line]
                if tail:
                    print(f"  server log of {mode} holds {len(tail)} tracebacks", file=sys.stderr)

    result = {
        "settings": {
            "large": args.large,
            "candidates": args.candidates,
            "steps": args.steps,
            "switch_step": args.switch_step,
            "seconds_per_cell": args.seconds,
            "server_threads": args.threads,
            "cpus": os.cpu_count(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        },
        "cells": [asdict(cell) for cell in cells],
        "ratios": ratios(cells),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print()
    print(table(cells))
    for name, value in result["ratios"].items():
        print(f"{name}: {value}")
    print(f"written to {args.out}")
    return 0


def run_cell(url, mode, clients, seconds, spec_for, large, hard_stop) -> Cell:
    from obclip.service.client import HttpCloud, HttpOptions

    answers: list[tuple[int, float | None, float | None]] = []
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = min(time.monotonic() + seconds, hard_stop)

    def client(index: int) -> None:
        transport = RecordingTransport(answers, lock)
        with HttpCloud(url, model=large, options=HttpOptions.of(timeout=300.0), transport=transport) as cloud:
            call = 0
            while time.monotonic() < stop_at:
                spec = spec_for(index, call)
                call += 1
                begun = time.perf_counter()
                try:
                    cloud.denoise(spec)
                except Exception as exc:  # the client's error after its own retries: a failed call
                    with lock:
                        errors.append(f"{type(exc).__name__}: {str(exc)[:160]}")
                    continue
                with lock:
                    latencies.append(time.perf_counter() - begun)

    begun = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(hard_stop - time.monotonic(), 0.1))
    wall = time.perf_counter() - begun
    ok = [a for a in answers if a[0] == 200]
    weighted = [(rows / requests, 1 / requests) for _, rows, requests in ok if rows and requests]
    ordered = sorted(latencies)
    return Cell(
        mode=mode,
        clients=clients,
        seconds=round(wall, 2),
        completed=len(latencies),
        failed=len(errors),
        overloaded_503=sum(1 for a in answers if a[0] == 503),
        throughput_rps=round(len(latencies) / wall, 3),
        p50_s=round(percentile(ordered, 0.50), 3) if ordered else None,
        p99_s=round(percentile(ordered, 0.99), 3) if ordered else None,
        rows_per_unet_call=round(sum(r for r, _ in weighted) / sum(w for _, w in weighted), 1) if weighted else None,
        errors=sorted(set(errors))[:5],
    )


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


@dataclass
class Tenant:
    name: str
    clients: int
    completed: int = 0
    failed: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    p50_s: float | None = None
    p90_s: float | None = None
    p99_s: float | None = None
    max_s: float | None = None
    errors: list[str] = field(default_factory=list)


def two_tenant(args: argparse.Namespace, modes: list[str], hard_stop: float) -> int:
    """Issue 22's scenario: a flooding token and a quiet one, both through `HttpCloud`."""
    from obclip.engine import DenoiseSpec

    people = ("young woman", "young man", "old woman", "old man", "girl", "boy", "woman", "man")

    def spec(n: int, tag: str, call: int) -> DenoiseSpec:
        prompts = tuple(f"portrait of a {people[i % len(people)]} number {i}, {tag}" for i in range(n))
        k = args.flood_switch_step if tag.startswith("flood") and args.flood_switch_step else args.switch_step
        return DenoiseSpec(prompts, steps=args.steps, switch_step=k, seed=call)

    results = {mode: _two_tenant_run(mode, args, hard_stop, spec) for mode in modes}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(
        json.dumps({"scenario": "two-tenant", "settings": vars(args), "modes": results}, indent=2) + "\n"
    )
    print(f"written to {args.out}")
    return 0


def _two_tenant_run(mode: str, args: argparse.Namespace, hard_stop: float, spec: Any) -> dict:
    from obclip.service.client import HttpCloud

    with tempfile.TemporaryDirectory() as tmp:
        tokens = Path(tmp) / "tokens.txt"
        tokens.write_text("flood-token-0123456789 label=flood\nquiet-token-0123456789 label=quiet\n")
        log = Path(tmp) / "server.log"
        server, url = start_server(mode, args, log, hard_stop, ["--token-file", str(tokens)])
        began = time.monotonic()
        stop_at = min(began + args.seconds, hard_stop)
        lock = threading.Lock()
        tenants = {"flood": Tenant("flood", args.flood_clients), "quiet": Tenant("quiet", 1)}
        latencies: dict[str, list[float]] = {"flood": [], "quiet": []}

        def client(name: str, index: int, n: int) -> None:
            answers: list[tuple[int, float | None, float | None]] = []
            tenant = tenants[name]
            transport = RecordingTransport(answers, lock)
            token = f"{name}-token-0123456789"
            with HttpCloud(url, token=token, model=args.large, transport=transport) as cloud:
                call = 0
                while time.monotonic() < stop_at:
                    call += 1
                    begun = time.perf_counter()
                    try:
                        cloud.denoise(spec(n, f"{name} {index}", index * 100_000 + call))
                    except Exception as exc:
                        with lock:
                            tenant.failed += 1
                            tenant.errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
                        continue
                    with lock:
                        latencies[name].append(time.perf_counter() - begun)
            with lock:
                for status, _, _ in answers:
                    tenant.statuses[str(status)] = tenant.statuses.get(str(status), 0) + 1

        threads = [
            threading.Thread(target=client, args=("flood", i, args.flood_candidates), daemon=True)
            for i in range(args.flood_clients)
        ]
        for thread in threads:
            thread.start()
        time.sleep(min(10.0, args.seconds / 10))  # the flood fills the queue first
        quiet = threading.Thread(target=client, args=("quiet", 0, args.quiet_candidates), daemon=True)
        quiet.start()
        for thread in [*threads, quiet]:
            thread.join(max(hard_stop - time.monotonic(), 0.1))
        wall = time.monotonic() - began
        metrics = httpx.get(
            url + "/metrics", headers={"Authorization": "Bearer quiet-token-0123456789"}, timeout=30
        ).text
        stop_server(server)
        for name, tenant in tenants.items():
            ordered = sorted(latencies[name])
            tenant.completed = len(ordered)
            if ordered:
                tenant.p50_s, tenant.p90_s = round(percentile(ordered, 0.5), 2), round(percentile(ordered, 0.9), 2)
                tenant.p99_s, tenant.max_s = round(percentile(ordered, 0.99), 2), round(ordered[-1], 2)
            tenant.errors = sorted(set(tenant.errors))[:5]
        deadline_jobs = sum(
            float(line.rsplit(" ", 1)[1])
            for line in metrics.splitlines()
            if line.startswith("obclip_jobs_total{") and 'outcome="deadline"' in line
        )
        result = {
            "seconds": round(wall, 1),
            "tenants": {name: asdict(t) for name, t in tenants.items()},
            "jobs_ended_at_deadline": deadline_jobs,
        }
        print(
            f"\n{mode}: two tenants for {wall:.0f} s (flood {args.flood_clients} clients "
            f"x N={args.flood_candidates} k={args.flood_switch_step or args.switch_step}, "
            f"quiet 1 client x N={args.quiet_candidates} k={args.switch_step}, T={args.steps})"
        )
        print("| tenant | calls | failed | p50 s | p90 s | p99 s | max s | answers by status |")
        print("|---|---|---|---|---|---|---|---|")
        for t in tenants.values():
            statuses = ", ".join(f"{k}: {v}" for k, v in sorted(t.statuses.items()))
            print(
                f"| {t.name} | {t.completed} | {t.failed} | {t.p50_s} | {t.p90_s} | {t.p99_s} | {t.max_s} "
                f"| {statuses} |"
            )
        print(f"jobs stopped at the deadline (504): {deadline_jobs:g}")
        for t in tenants.values():
            for error in t.errors:
                print(f"  {t.name} error: {error}")
    return result


def start_server(
    mode: str, args: argparse.Namespace, log: Path, hard_stop: float, extra: list[str] | None = None
) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, "-m", "obclip.cli", "serve", "--host", HOST, "--large", args.large, *(extra or [])]
    command += ["--log-level", "warning"]
    if args.threads is not None:
        command += ["--threads", str(args.threads)]
    if mode == "none":
        command += ["--port", "0", "--max-batch-rows", "0"]
    elif mode == "batch":
        command += ["--port", "0"]
    else:
        replicas = mode.split("-")[1]
        command += ["--port", str(free_port()), "--ray", "--ray-replicas", replicas, "--ray-cpus", "1"]
        if args.threads is None:
            command += ["--threads", "1"]  # one CPU per replica
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    with log.open("wb") as out:
        server = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    while time.monotonic() < hard_stop:
        if server.poll() is not None:
            raise SystemExit(f"server exited:\n{log.read_text(errors='replace')[-3000:]}")
        found = _SERVING.search(log.read_text(errors="replace"))
        if found:
            url = found.group(1)
            try:
                if httpx.get(url + "/healthz", timeout=5).status_code == 200:
                    return server, url
            except httpx.TransportError:
                pass
        time.sleep(0.2)
    stop_server(server)
    raise SystemExit("server did not start before the deadline")


def stop_server(server: subprocess.Popen) -> None:
    """SIGINT first (a Ray server shuts Serve and its local Ray down), then harder."""
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def ratios(cells: list[Cell]) -> dict[str, float | None]:
    by = {(c.mode, c.clients): c.throughput_rps for c in cells}
    out: dict[str, float | None] = {}
    for count in sorted({c.clients for c in cells}):
        pairs = {
            f"batch/none @{count}": (by.get(("batch", count)), by.get(("none", count))),
            f"ray-2/ray-1 @{count}": (by.get(("ray-2", count)), by.get(("ray-1", count))),
            f"ray-2/batch @{count}": (by.get(("ray-2", count)), by.get(("batch", count))),
        }
        for name, (a, b) in pairs.items():
            if a is not None and b:
                out[name] = round(a / b, 2)
    return out


def format_row(cell: Cell) -> str:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value * 1e3:.0f}"

    rows = "-" if cell.rows_per_unet_call is None else f"{cell.rows_per_unet_call:.1f}"
    return (
        f"| {cell.mode} | {cell.clients} | {cell.completed} | {cell.throughput_rps:.2f} | {ms(cell.p50_s)} | "
        f"{ms(cell.p99_s)} | {cell.failed} | {cell.overloaded_503} | {rows} |"
    )


def table(cells: list[Cell]) -> str:
    head = "| setting | clients | calls | calls/s | p50 ms | p99 ms | failed | 503s ridden out | UNet rows/call |"
    rule = "|---|---|---|---|---|---|---|---|---|"
    return "\n".join([head, rule, *(format_row(cell) for cell in cells)])


if __name__ == "__main__":
    sys.exit(main())
