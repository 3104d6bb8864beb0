"""Against real `obclip serve` processes on 127.0.0.1: same image as the local cloud, auth, limits,
the CLI end to end, and a server killed mid-request."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest
import torch

from obclip import cli
from obclip.api import generate
from obclip.engine import DenoiseSpec
from obclip.errors import InvalidInputError, ServiceError
from obclip.service.client import HttpCloud, HttpOptions

from .conftest import PROMPT, TINY, TOKEN


def test_remote_cloud_gives_the_local_image_bit_for_bit(live):
    options = {"large": TINY, "steps": 6, "switch_step": 3, "seed": 5, "shuffle_seed": 11, "quiet": True}
    remote = generate(PROMPT, cloud=live.url, token=TOKEN, **options)
    local = generate(PROMPT, cloud="local", **options)
    assert remote.report.cloud == live.url and local.report.cloud == "local"
    assert remote.report.candidates == local.report.candidates
    assert torch.equal(remote.latents, local.latents)
    assert remote.image.tobytes() == local.image.tobytes()


def test_cli_generate_over_http(live, token_file, tmp_path, capsys):
    out = tmp_path / "remote.png"
    argv = ["generate", PROMPT, "--large", TINY, "--steps", "4", "--switch-step", "2", "--seed", "1", "--quiet"]
    code = cli.main([*argv, "--out", str(out), "--cloud", live.url, "--token-file", str(token_file)])
    assert code == 0 and out.exists()
    assert f"image written to {out}" in capsys.readouterr().out
    assert cli.main([*argv, "--out", str(tmp_path / "denied.png"), "--cloud", live.url]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "refused the bearer token (401)" in err


def test_auth_limits_and_open_health_over_http(live):
    with httpx.Client(base_url=live.url, timeout=30) as client:
        assert client.get("/healthz").status_code == 200
        denied = client.post("/v1/denoise", json={"candidates": ["a"]})
        assert denied.status_code == 401 and denied.headers["www-authenticate"] == "Bearer"
        assert client.get("/metrics").status_code == 401
        auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

        def chunked():  # no Content-Length: the limit holds while reading
            for _ in range(2048):
                yield b" " * 1024

        big = client.post("/v1/denoise", content=chunked(), headers=auth)
        assert big.status_code == 413 and big.json()["error"]["code"] == "body_too_large"
        assert "openapi" in client.get("/openapi.json").json()
    cloud = HttpCloud(live.url, token=TOKEN, options=HttpOptions.of(retries=0))
    with pytest.raises(InvalidInputError, match="at most 10 chunks"):
        cloud.denoise(DenoiseSpec(("x " * 2600,), steps=2, switch_step=1))
    with pytest.raises(InvalidInputError, match="65 candidates, this server takes at most 64"):
        cloud.denoise(DenoiseSpec(tuple(f"a cat number {i}" for i in range(65)), steps=2, switch_step=1))
    assert cloud.models()["data"][0]["id"] == TINY


def test_server_killed_mid_request_is_a_clear_error(servers):
    victim = servers["victim"]
    slow = DenoiseSpec(tuple(f"a cat number {i}" for i in range(8)), steps=100, switch_step=100, height=256, width=256)
    cloud = HttpCloud(victim.url, options=HttpOptions.of(retries=1, backoff_s=0.05, timeout=60))
    # The queue is watched over a client of its own: `cloud`'s pool then holds no idle keep-alive
    # connection that a later call could pick up while the killed server is still closing it (that
    # call would be written into a dying socket and read a reset, not a refused connection).
    watcher = HttpCloud(victim.url, options=HttpOptions.of(retries=0))
    outcome: list[BaseException | object] = []

    def call() -> None:
        try:
            outcome.append(cloud.denoise(slow))
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    deadline = time.monotonic() + 120
    while watcher.health()["queue_depth"] < 1 and time.monotonic() < deadline and not outcome:
        time.sleep(0.05)
    assert watcher.health()["queue_depth"] == 1, f"the slow job never started: {outcome}"
    watcher.close()
    victim.proc.kill()
    victim.proc.wait(30)  # every socket of the server is closed once it is reaped
    thread.join(45)  # well within the client's 60 s timeout: the broken connection ended the call
    assert not thread.is_alive(), "the client still waits on a killed server"
    # The server had taken the job: the request is not resent (it might run twice).
    assert isinstance(outcome[0], ServiceError), outcome
    assert "broke before it answered" in str(outcome[0])
    # Nobody listens now: a refused connection is safe to retry, once here (retries=1).
    with pytest.raises(ServiceError, match=r"cannot reach the cloud .* after 2 tries"):
        cloud.denoise(slow)


def _closed_by_server(sock: socket.socket, limit_s: float = 15.0) -> bytes:
    """Everything the server sends until it closes the connection; fails if it is still open after limit_s."""
    sock.settimeout(limit_s)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        pytest.fail(f"the server kept the connection open for {limit_s} s (received {received[:80]!r})")
    except ConnectionResetError:
        pass
    return received


def test_slow_and_idle_connections_are_closed(live):
    """Issue 10.4: idle, header-trickling, body-trickling and kept-alive idle connections are all closed
    (this server: 1 s for the head, 1 s for the body, 1 s idle between requests)."""
    host, port = live.url.removeprefix("http://").split(":")
    address = (host, int(port))
    outcomes: dict[str, bytes] = {}

    def idle() -> None:
        with socket.create_connection(address) as sock:
            outcomes["idle"] = _closed_by_server(sock)

    def trickle_head() -> None:
        with socket.create_connection(address) as sock:
            sock.sendall(b"POST /v1/denoise HTTP/1.1\r\nHost: x\r\n")
            try:
                for _ in range(300):  # 30 s of one header byte every 0.1 s
                    sock.sendall(b"a")
                    time.sleep(0.1)
            except OSError:
                pass
            outcomes["head"] = _closed_by_server(sock)

    def trickle_body() -> None:
        with socket.create_connection(address) as sock:
            head = (
                f"POST /v1/denoise HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            )
            sock.sendall(head.encode())
            try:
                for _ in range(300):
                    sock.sendall(b" ")
                    time.sleep(0.1)
            except OSError:
                pass
            outcomes["body"] = _closed_by_server(sock)

    def kept_alive() -> None:
        with socket.create_connection(address) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            outcomes["keep-alive"] = _closed_by_server(sock)

    threads = [threading.Thread(target=f) for f in (idle, trickle_head, trickle_body, kept_alive)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcomes["idle"] == b"" and outcomes["head"] == b""
    assert outcomes["body"].startswith(b"HTTP/1.1 408 ") and b"request_timeout" in outcomes["body"]
    assert outcomes["keep-alive"].startswith(b"HTTP/1.1 200 ")
    metrics = httpx.get(live.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30).text
    assert "obclip_server_errors_total 0.0" in metrics


def test_serving_a_public_address_without_tokens_warns(monkeypatch, capsys):
    """Issue 10.6: a warning on stderr (and in the log) when anyone who can reach the port may use it."""
    from obclip.service import server

    monkeypatch.setattr(server, "serve", lambda config, **kwargs: 0)
    assert cli.main(["serve", "--large", TINY, "--host", "0.0.0.0"]) == 0
    assert "without a --token-file" in capsys.readouterr().err
    for host in ("127.0.0.1", "::1", "localhost"):
        assert cli.main(["serve", "--large", TINY, "--host", host]) == 0
        assert "warning" not in capsys.readouterr().err
    assert server.auth_warning("10.0.0.5", ("a-token",)) is None


def test_serve_refuses_bad_flags_with_one_line(capsys, tmp_path):
    assert cli.main(["serve", "--port", "eighty"]) == 2
    capsys.readouterr()
    busy = socket.create_server(("127.0.0.1", 0))
    try:
        cases = [
            (["--port", "70000"], "port must be in"),
            (["--max-size", "100"], "multiple of 8"),
            (["--max-steps", "0"], "max_steps must be at least 1"),
            (["--threads", "0"], "--threads"),
            (["--token-file", str(tmp_path / "missing")], "cannot read token file"),
            (["--port", str(busy.getsockname()[1])], "cannot listen on 127.0.0.1"),
        ]
        for flags, fragment in cases:
            assert cli.main(["serve", "--large", TINY, *flags]) == 2
            err = capsys.readouterr().err.strip()
            assert err.startswith("obclip: error:") and fragment in err and "\n" not in err, err
    finally:
        busy.close()


def test_listening_socket_gives_connections_tcp_nodelay():
    """asyncio sets TCP_NODELAY on accepted connections only for IPPROTO_TCP sockets (else ~40 ms per answer)."""
    from obclip.service.server import _listen

    sock = _listen("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def _was_closed(sock: socket.socket) -> bool:
    sock.settimeout(0.001)
    try:
        return sock.recv(1) == b""
    except (TimeoutError, BlockingIOError):
        return False
    except ConnectionResetError:
        return True


def test_300_idle_sockets_leave_health_and_a_valid_client_working(servers):
    """Issue 23.3: idle connections from one address are capped (the oldest closed), so they cost a
    valid client nothing; /healthz answers; an unparsable request is a JSON 400."""
    server = servers["idle"]
    host, port = server.url.removeprefix("http://").split(":")
    idle = [socket.create_connection((host, int(port))) for _ in range(300)]
    try:
        for _ in range(5):
            assert httpx.get(server.url + "/healthz", timeout=30).status_code == 200
        cloud = HttpCloud(server.url, options=HttpOptions.of(retries=0))
        state = cloud.denoise(DenoiseSpec(("a cat", "a dog"), steps=2, switch_step=1, seed=4))
        assert state.num_candidates == 2
        # --max-idle-per-address 32 (the default) stay open; the server closes the others as it
        # accepts them, which a loaded machine may still be doing
        closed: set[int] = set()
        deadline = time.monotonic() + 60
        while len(closed) < 300 - 32 and time.monotonic() < deadline:
            for index, sock in enumerate(idle):
                if index not in closed and _was_closed(sock):
                    closed.add(index)
            time.sleep(0.1)
        assert len(closed) >= 300 - 32, len(closed)
        with socket.create_connection((host, int(port))) as bad:
            bad.sendall(b"NOT HTTP AT ALL\r\n\r\n")
            answer = _closed_by_server(bad)
        assert answer.startswith(b"HTTP/1.1 400 ") and b"application/json" in answer
        assert b'"code":"bad_http_request"' in answer.replace(b" ", b"")
    finally:
        for sock in idle:
            sock.close()
