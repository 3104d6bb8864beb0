"""The app under real use: cancel (local cloud between steps, remote cloud by closing the request),
places in the queue, a wrong cloud address and an unknown hub id said at once, a load that hangs
not blocking the next job, a token for any address but loopback, the cost line and the model's
blind spots. Every wait is on a condition (an event seen, a connection closed), never a sleep."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient

from obclip.app.server import create_app

TINY = {"large": "embedded:tiny-random"}
# Long enough that a cancel sent after the first step always lands before the last one.
SLOW = {**TINY, "steps": 1000, "switch_step": 1000, "seed": 0}


@pytest.fixture
def app(tmp_path):
    with TestClient(create_app(tmp_path / "history"), base_url="http://127.0.0.1") as client:
        client.history = tmp_path / "history"
        yield client


def wait_for(client, job_id: str, predicate, limit_s: float = 120.0) -> list[dict]:
    """The job's events once one satisfies `predicate` (or the job finished); fails after limit_s."""
    deadline = time.monotonic() + limit_s
    while True:
        state = client.get(f"/api/jobs/{job_id}").json()
        if any(predicate(e) for e in state["events"]) or state["finished"]:
            return state["events"]
        assert time.monotonic() < deadline, f"no such event in {limit_s} s: {state['events'][-3:]}"
        time.sleep(0.02)


def finished(client, job_id: str) -> list[dict]:
    return wait_for(client, job_id, lambda e: e["type"] in ("done", "error", "cancelled"))


def test_cancel_stops_a_local_job_between_steps_and_frees_the_queue(app):
    first = app.post("/api/jobs", json={"prompt": "an old woman", **SLOW}).json()
    second = app.post("/api/jobs", json={"prompt": "a young man", **SLOW}).json()
    assert app.get(f"/api/jobs/{second['id']}").json()["events"][0] == {
        **app.get(f"/api/jobs/{second['id']}").json()["events"][0],
        "type": "queued",
        "ahead": 1,
    }
    wait_for(app, first["id"], lambda e: e["type"] == "step")
    assert app.post(first["cancel"]).json() == {"id": first["id"], "cancelled": True}
    events = finished(app, first["id"])
    assert events[-1]["type"] == "cancelled" and not any(e["type"] == "image" for e in events)
    steps = [e["done"] for e in events if e["type"] == "step"]
    assert steps and max(steps) < 1000
    # the second job moves up and runs
    wait_for(app, second["id"], lambda e: e["type"] == "step")
    assert [e["ahead"] for e in app.get(f"/api/jobs/{second['id']}").json()["events"] if e["type"] == "queued"][-1] == 0
    app.post(second["cancel"])
    assert finished(app, second["id"])[-1]["type"] == "cancelled"
    assert app.post(second["cancel"]).json()["cancelled"] is False  # already over
    assert not app.history.exists() or not any(app.history.iterdir())


def test_a_cancel_while_the_image_is_being_kept_leaves_nothing(app, monkeypatch):
    """The job is cancelled after its last step, while its image is written: it reports
    "cancelled", and neither the history nor the disk keeps the image."""
    import obclip.app.jobs as jobs

    job = {}
    written = jobs.image_metadata

    def cancel_then_write(report):
        app.post(job["cancel"])
        return written(report)

    monkeypatch.setattr(jobs, "image_metadata", cancel_then_write)
    job.update(
        app.post(
            "/api/jobs", json={"prompt": "an old woman", **TINY, "steps": 2, "switch_step": 1, "keep_history": True}
        ).json()
    )
    events = finished(app, job["id"])
    for thread in threading.enumerate():  # the job's own thread winds down after "cancelled"
        if thread.name == f"obclip-job-{job['id']}":
            thread.join(120)
    assert events[-1]["type"] == "cancelled" and not any(e["type"] == "image" for e in events)
    assert app.get("/api/history").json()["entries"] == []
    assert not any(app.history.glob("*.png"))


def test_a_queued_job_cancelled_never_runs(app):
    first = app.post("/api/jobs", json={"prompt": "an old woman", **SLOW}).json()
    second = app.post("/api/jobs", json={"prompt": "a young man", **SLOW}).json()
    app.post(second["cancel"])
    assert [e["type"] for e in app.get(f"/api/jobs/{second['id']}").json()["events"]] == ["queued", "cancelled"]
    app.post(first["cancel"])
    finished(app, first["id"])
    third = app.post("/api/jobs", json={"prompt": "a man", **TINY, "steps": 2, "switch_step": 1}).json()
    assert finished(app, third["id"])[-1]["type"] == "done"
    assert [e["type"] for e in app.get(f"/api/jobs/{second['id']}").json()["events"]] == ["queued", "cancelled"]


def test_an_uncached_hub_id_is_refused_beside_the_model_setting(app, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # as on a machine without the hub: no retries to wait out
    job = app.post(
        "/api/jobs", json={"prompt": "a man", "large": "nobody/no-such-model", "steps": 2, "switch_step": 1}
    ).json()
    error = finished(app, job["id"])[-1]
    assert error["type"] == "error" and error["code"] == "model_not_found" and error["field"] == "large"
    assert "nobody/no-such-model" in error["message"]


def test_a_load_that_hangs_does_not_block_the_next_job(app, monkeypatch):
    """A model load that never returns (a hub client retrying for minutes) is cancelled, and the
    next job runs at once; the stuck thread is released at the end."""
    release = threading.Event()
    entered = threading.Event()
    real = __import__("obclip.app.jobs", fromlist=["check_hub_access"]).check_hub_access

    def hanging(specs):
        if "slow/hub-model" in specs:
            entered.set()
            release.wait(120)
        return real(specs)

    monkeypatch.setattr("obclip.app.jobs.check_hub_access", hanging)
    try:
        stuck = app.post(
            "/api/jobs", json={"prompt": "a man", "large": "slow/hub-model", "steps": 2, "switch_step": 1}
        ).json()
        assert entered.wait(60)
        app.post(stuck["cancel"])
        assert finished(app, stuck["id"])[-1]["type"] == "cancelled"
        after = app.post("/api/jobs", json={"prompt": "a man", **TINY, "steps": 2, "switch_step": 1}).json()
        assert finished(app, after["id"])[-1]["type"] == "done"
    finally:
        release.set()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_wrong_cloud_address_is_said_beside_the_cloud_setting(app):
    url = f"http://127.0.0.1:{_free_port()}"  # nobody listens: the connection is refused
    job = app.post("/api/jobs", json={"prompt": "a man", **TINY, "steps": 2, "switch_step": 1, "cloud": url}).json()
    events = finished(app, job["id"])
    assert {"type": "phase", "phase": "connecting", "where": url}.items() <= events[-2].items()
    error = events[-1]
    assert error["type"] == "error" and error["field"] == "cloud" and "cannot reach the cloud" in error["message"]


class _StuckCloud(BaseHTTPRequestHandler):
    """A cloud that answers /healthz and takes a denoise request it never answers; it notes when
    the client closes the connection (what makes an obclip server drop the job)."""

    protocol_version = "HTTP/1.1"
    taken = threading.Event()
    closed = threading.Event()

    def do_GET(self) -> None:
        body = json.dumps({"status": "ok", "queue_depth": 0}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).taken.set()
        self.connection.settimeout(120)
        if self.connection.recv(1) == b"":
            type(self).closed.set()
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


def test_cancel_closes_the_request_to_a_remote_cloud(app):
    _StuckCloud.taken.clear()
    _StuckCloud.closed.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StuckCloud)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        job = app.post(
            "/api/jobs", json={"prompt": "an old woman", **TINY, "steps": 2, "switch_step": 1, "cloud": url}
        ).json()
        wait_for(app, job["id"], lambda e: e.get("phase") == "cloud")
        assert _StuckCloud.taken.wait(60)
        app.post(job["cancel"])
        assert finished(app, job["id"])[-1]["type"] == "cancelled"
        assert _StuckCloud.closed.wait(30), "the request to the cloud was left open"
    finally:
        server.shutdown()
        server.server_close()


def test_a_failure_the_cancel_itself_causes_is_not_reported_over_it():
    """Closing the cloud's connection on cancel makes the job's thread fail at once, sometimes
    before the cancel returns: the job still ends "cancelled", and the failure is not recorded."""
    from obclip.app.jobs import Job, Settings

    job = Job("j", Settings(prompt="a man"))
    job.on_cancel(lambda: job.emit({"type": "error", "code": "internal", "message": "connection closed"}))
    assert job.cancel()
    assert [e["type"] for e in job.events] == ["cancelled"]
    assert job.settled.is_set() and not job.cancel()


def test_the_token_guards_every_call(tmp_path):
    app = create_app(tmp_path / "h", allowed_hosts=["*"], token="s3cret-token")
    with TestClient(app, base_url="http://192.168.1.5") as client:
        assert client.get("/").status_code == 401 and "?token=" in client.get("/").text
        for path in ("/api/options", "/api/history", "/files/x.png", "/static/app.js"):
            assert client.get(path).status_code == 401, path
        assert client.get("/?token=wrong", follow_redirects=False).status_code == 401
        assert client.get("/api/history", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
        opened = client.get("/?token=s3cret-token", follow_redirects=False)
        assert opened.status_code == 303 and opened.headers["location"] == "/"
        assert "httponly" in opened.headers["set-cookie"].lower()
        assert client.get("/api/history").status_code == 200  # the cookie the page now holds
        assert "What the cloud will see" in client.get("/").text


def test_ui_on_another_address_without_a_token_is_refused(tmp_path, capsys):
    from obclip.cli import main

    code = main(["ui", "--host", "0.0.0.0", "--port", "0", "--history", str(tmp_path / "h")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "--new-token" in err and "history" in err
    assert not (tmp_path / "h").exists()


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
def test_loopback_names_need_no_token(host):
    from obclip.app.server import is_loopback

    assert is_loopback(host)
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("::")


def test_the_cost_line_counts_macs(app):
    # plain steps: N rows for k steps against one row for T steps, exactly
    plain = app.post("/api/cost", json={**TINY, "n": 6, "steps": 3, "switch_step": 1, "accel": "none"}).json()
    assert plain["ratio"] == pytest.approx(2.0) and plain["text"] == "6 candidates ≈ 2× the cloud work of one image"
    both = {**TINY, "n": 6, "steps": 25, "switch_step": 10}
    faster = app.post("/api/cost", json={**both, "accel": "recommended"}).json()
    slower = app.post("/api/cost", json={**both, "accel": "none"}).json()
    assert faster["ratio"] < slower["ratio"] == pytest.approx(6 * 10 / 25)
    assert faster["text"].endswith("with `recommended`") and faster["assumed"] is None


def test_a_varied_attribute_the_model_cannot_draw_is_named(app):
    from obclip.engine.embedded import REGISTRY

    if not REGISTRY["portrait-large"].available:
        pytest.skip("the trained portrait model is not installed")
    seen = app.post("/api/candidates", json={"prompt": "a young African woman", "large": "embedded:portrait-large"})
    (missing,) = seen.json()["cannot_draw"]
    assert missing["attribute"] == "ethnicity" and missing["words"] == "African"
    plain = app.post(
        "/api/candidates", json={"prompt": "a young woman with dark skin", "large": "embedded:portrait-large"}
    )
    assert plain.json()["cannot_draw"] == []
    assert app.post("/api/candidates", json={"prompt": "a young African woman", **TINY}).json()["cannot_draw"] == []


def test_ui_on_every_address_with_a_new_token(tmp_path):
    import os
    import re
    import signal
    import subprocess
    import sys

    import httpx

    argv = ["ui", "--host", "0.0.0.0", "--port", "0", "--new-token", "--quiet", "--history", str(tmp_path)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "obclip", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        first, second = proc.stdout.readline(), proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", first).group(0)
        token = re.search(r"\?token=([\w-]+)", second).group(1)
        assert "plain HTTP" in second
        with httpx.Client(base_url=url, timeout=30, follow_redirects=True) as client:
            assert client.get("/api/history").status_code == 401
            opened = client.get(f"/?token={token}")  # follows the redirect with the cookie set
            assert opened.status_code == 200 and "What the cloud will see" in opened.text
            assert client.get("/api/history").json()["entries"] == []
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
