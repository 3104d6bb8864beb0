"""Service test set-up: the tiny embedded model in-process, and real `obclip serve` processes on loopback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import torch

from obclip.engine import CloudEngine, load_model

TINY = "embedded:tiny-random"
TOKEN = "test-token-0123456789"
PROMPT = "portrait of an old man with dark skin wearing glasses"
SERVE = [sys.executable, "-m", "obclip.cli", "serve"]
_SERVING = re.compile(r"serving \S+ on (http://127\.0\.0\.1:\d+)")


@pytest.fixture(scope="session", autouse=True)
def _threads():
    # One intra-op thread: on 2 shared cores a worker thread with a 2-thread OpenMP team spins
    # against the event loop and other jobs (20-40x slower per tiny job, measured).
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_engine() -> CloudEngine:
    return CloudEngine(load_model(TINY))


@dataclass
class ServerProcess:
    """A real `obclip serve` subprocess on 127.0.0.1."""

    proc: subprocess.Popen
    log: Path
    url: str = ""

    def wait_ready(self, timeout: float = 180.0) -> ServerProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            if not self.url:
                found = _SERVING.search(self.log.read_text(errors="replace"))
                self.url = found.group(1) if found else ""
            if self.url:
                try:
                    if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server not ready in {timeout} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def launch(tmp: Path, name: str, *args: str) -> ServerProcess:
    """Start `obclip serve` on a free loopback port (port 0; the server prints the one it got)."""
    log = tmp / f"{name}.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*SERVE, "--host", "127.0.0.1", "--port", "0", "--large", TINY, "--threads", "1", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    return ServerProcess(proc, log)


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ServerProcess]]:
    """Real servers started together (their start-up overlaps): `main` with auth, `victim` to kill,
    `idle` with the default connection limits."""
    tmp = tmp_path_factory.mktemp("servers")
    token_file = tmp / "tokens.txt"
    token_file.write_text(f"\ufeff# test tokens\n\n{TOKEN}\nsecond-token\n", encoding="utf-8")
    started = {
        "main": launch(
            tmp,
            "main",
            *("--token-file", str(token_file), "--max-steps", "200", "--max-size", "256"),
            *("--header-timeout", "1", "--body-timeout", "1", "--keep-alive", "1"),
        ),
        "victim": launch(tmp, "victim", "--max-size", "256", "--job-deadline", "600", "--throughput-gmacs", "100"),
        # Default connection limits but few requests at once: idle sockets must not take it down
        # (a fixed speed: the proxy test's long job is admitted however loaded the machine is).
        "idle": launch(tmp, "idle", "--max-connections", "64", "--throughput-gmacs", "100"),
    }
    try:
        for server in started.values():
            server.wait_ready()
        yield started
    finally:
        for server in started.values():
            server.stop()


@pytest.fixture(scope="session")
def live(servers: dict[str, ServerProcess]) -> ServerProcess:
    return servers["main"]


@pytest.fixture(scope="session")
def token_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("token") / "token.txt"
    path.write_text(TOKEN + "\n")
    return path
