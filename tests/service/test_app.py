"""The FastAPI app in-process: endpoints, limits, auth, the cost-bounded queue (503), worker failures
(500), and hostile clients: mid-upload disconnects, clients that leave while their job waits or runs."""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
import torch
from fastapi.testclient import TestClient

from obclip.engine import DenoiseState
from obclip.errors import StateError
from obclip.service.limits import Limits
from obclip.service.protocol import MODEL_SECONDS_HEADER
from obclip.service.server import ServiceConfig, create_app

from .conftest import TINY, TOKEN

GOOD = {"candidates": ["a cat", "a dog"], "steps": 3, "switch_step": 2, "scheduler": "ddim", "guidance": 7.5, "seed": 1}
# A fixed model speed (1 GMAC/s) keeps estimates and Retry-After deterministic: GOOD costs 4 rows x
# 2 steps x 33.3 MMAC (one row's forward at 8x8 latents) = 0.27 GMAC, about 0.27 s.
SMALL = Limits(
    max_candidates=4,
    max_steps=4,
    max_size=64,
    max_prompt_chars=300,
    max_body_bytes=4096,
    queue_size=1,
    token_max_jobs=8,  # one client here: the per-token share is tested in test_fairness.py
    throughput_gmacs=1.0,
)


class Switchable:
    """Wraps the real engine; `gate` makes a job wait (stepping, so it can be stopped), `hold` makes the
    first job wait inside one long step (it cannot be stopped meanwhile), `fail` makes it raise."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.model = engine.model
        self.fail: Exception | None = None
        self.gate: threading.Event | None = None
        self.hold: threading.Event | None = None
        self.entered = threading.Event()
        self.runs = 0
        self.unchecked_runs = 0
        self.checks = 0

    def check(self, spec) -> None:
        self.checks += 1
        self.engine.check(spec)

    def run(self, spec, *, on_step=None, checked=False) -> DenoiseState:
        self.runs += 1
        self.unchecked_runs += not checked  # the engine would check again: twice per job
        self.entered.set()
        if self.hold is not None and self.runs == 1:
            assert self.hold.wait(300), "the test never released the held job"
        if self.gate is not None:
            deadline = time.monotonic() + 300  # only a safety net: every test opens its gate
            while not self.gate.wait(0.01) and time.monotonic() < deadline:
                if on_step is not None:
                    on_step(0)  # a step boundary: the job may be stopped here
        if self.fail is not None:
            raise self.fail
        return self.engine.run(spec, on_step=on_step, checked=checked)


@pytest.fixture
def engine(tiny_engine) -> Switchable:
    return Switchable(tiny_engine)


@pytest.fixture
def client(engine) -> Iterator[TestClient]:
    app = create_app(ServiceConfig(large=TINY, limits=SMALL), engine=engine)
    with TestClient(app) as c:
        yield c


def post(client: TestClient, payload, **headers):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post("/v1/denoise", content=body, headers={"Content-Type": "application/json", **headers})


def assert_error(response, status: int, code: str, fragment: str = "") -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert fragment in error["message"]


def test_denoise_answers_a_state(client):
    response = post(client, GOOD)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert float(response.headers[MODEL_SECONDS_HEADER]) > 0
    state = DenoiseState.from_bytes(response.content)
    assert state.num_candidates == 2 and state.step_index == 2
    meta = state.metadata
    assert meta["model"] == TINY and meta["num_candidates"] == 2 and (meta["height"], meta["width"]) == (64, 64)


def test_health_models_openapi_metrics(client, engine):
    health = client.get("/healthz").json()
    assert health == {"status": "ok", "model": TINY, "queue_depth": 0, "idempotency_keys": True}
    models = client.get("/v1/models").json()
    assert models["data"][0]["id"] == TINY and models["limits"]["max_candidates"] == 4
    assert models["data"][0]["macs_per_row_step"] == 33_345_536  # the MAC counter's figure at 8x8 latents
    schema = client.get("/openapi.json").json()
    body = schema["paths"]["/v1/denoise"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["additionalProperties"] is False and "candidates" in body["required"]
    for _ in range(20):  # the job leaves the books before its client hears back: never a stale 1
        assert post(client, GOOD).status_code == 200
        assert client.app.state.jobs.depth == 0 and client.app.state.jobs.queued_cost == 0
    post(client, {**GOOD, "steps": 99})
    text = client.get("/metrics").text
    assert 'obclip_requests_total{endpoint="/v1/denoise",status="200"} 20.0' in text
    assert 'obclip_errors_total{code="limit_exceeded"} 1.0' in text
    assert "obclip_request_seconds_bucket" in text and "obclip_model_seconds_count 20.0" in text
    assert "obclip_queue_depth 0.0" in text and "obclip_queued_tmacs 0.0" in text
    assert 'obclip_jobs_total{outcome="done"} 20.0' in text
    assert engine.checks == engine.runs == 20 and engine.unchecked_runs == 0  # CloudEngine.check once per job


def test_docs_pages_are_off(client):
    """The interactive pages load scripts from a public CDN (blank offline): off; the schema stays."""
    assert_error(client.get("/docs"), 404, "not_found")
    assert_error(client.get("/redoc"), 404, "not_found")
    assert client.get("/openapi.json").status_code == 200


@pytest.mark.parametrize(
    ("payload", "status", "code", "fragment"),
    [
        ({**GOOD, "candidates": ["a", "b", "c", "d", "e"]}, 400, "limit_exceeded", "at most 4"),
        ({**GOOD, "steps": 5, "switch_step": 1}, 400, "limit_exceeded", "at most 4"),
        ({**GOOD, "switch_step": 4}, 400, "invalid_input", "larger than steps"),
        ({**GOOD, "candidates": ["a\x1bb"]}, 400, "invalid_input", "control character"),
        ({**GOOD, "height": 72}, 400, "limit_exceeded", "at most 64"),
        ({**GOOD, "width": 20}, 400, "invalid_input", "multiple of 8"),
        ({**GOOD, "candidates": ["x" * 301]}, 400, "limit_exceeded", "301 characters"),
        ({**GOOD, "steps": 3.0}, 422, "invalid_request", "steps"),
        ({**GOOD, "surprise": True}, 422, "invalid_request", "surprise"),
        ({**GOOD, "model": "embedded:tiny-random-small"}, 404, "model_not_found", "serves embedded:tiny-random"),
        (b'{"candidates": ["a"], "guidance": NaN}', 422, "invalid_request", "NaN"),
        (b"{", 422, "invalid_request", "not valid JSON"),
        (b"x" * 5000, 413, "body_too_large", "at most 4096"),
    ],
)
def test_bad_requests_are_4xx_json(client, payload, status, code, fragment):
    assert_error(post(client, payload), status, code, fragment)


def test_body_limit_holds_without_content_length(client):
    def chunks():
        for _ in range(10):
            yield b" " * 1000

    response = client.post("/v1/denoise", content=chunks(), headers={"Content-Type": "application/json"})
    assert_error(response, 413, "body_too_large")


def test_content_type_and_methods(client):
    response = client.post("/v1/denoise", content=json.dumps(GOOD), headers={"Content-Type": "text/plain"})
    assert_error(response, 415, "unsupported_media_type")
    assert_error(client.get("/v1/denoise"), 405, "method_not_allowed")
    assert_error(client.get("/v2/nothing"), 404, "not_found")


def test_auth(tiny_engine):
    app = create_app(ServiceConfig(large=TINY, tokens=(TOKEN, "other"), limits=SMALL), engine=tiny_engine)
    with TestClient(app) as c:
        assert c.get("/healthz").status_code == 200
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
            response = post(c, GOOD, **headers)
            assert_error(response, 401, "unauthorized")
            assert response.headers["www-authenticate"] == "Bearer"
            assert_error(c.get("/v1/models", headers=headers), 401, "unauthorized")
        assert post(c, GOOD, Authorization=f"Bearer {TOKEN}").status_code == 200
        assert c.get("/metrics", headers={"Authorization": "Bearer other"}).status_code == 200


def test_full_queue_is_503_with_retry_after_from_queued_cost_and_health_stays_up(engine, caplog):
    slow = Limits(**{**SMALL.to_dict(), "throughput_gmacs": 0.05})  # 0.27 GMAC jobs take ~5 s each here
    app = create_app(ServiceConfig(large=TINY, limits=slow), engine=engine)
    engine.gate = threading.Event()
    answers: list[int] = []
    with TestClient(app) as client, caplog.at_level("INFO", logger="obclip.service"):
        threads = [threading.Thread(target=lambda: answers.append(post(client, GOOD).status_code)) for _ in range(2)]
        threads[0].start()
        assert engine.entered.wait(120)  # job 1 runs (blocked inside the model call)
        threads[1].start()
        deadline = time.monotonic() + 120
        while app.state.jobs.depth < 2:  # job 2 waits in the queue (queue_size 1)
            assert time.monotonic() < deadline, "the second job never reached the queue"
            time.sleep(0.01)
        try:
            response = post(client, GOOD)
            assert_error(response, 503, "overloaded", "retry later")
            queued = app.state.jobs.queued_cost
            assert queued == 2 * 4 * 2 * 33_345_536
            assert response.headers["retry-after"] == str(math.ceil(queued / 0.05e9)) == "11"
            health = client.get("/healthz")
            assert health.status_code == 200 and health.json()["queue_depth"] == 2
            text = client.get("/metrics").text
            assert "obclip_queue_depth 2.0" in text and "obclip_overloaded_total 1.0" in text
            assert "obclip_server_errors_total 0.0" in text
        finally:
            engine.gate.set()
            for thread in threads:
                thread.join(30)
    assert answers == [200, 200]
    overload_logs = [r for r in caplog.records if "overloaded" in r.getMessage()]
    assert overload_logs and all(r.levelname == "INFO" for r in overload_logs)


def test_queue_is_bounded_by_queued_cost(engine):
    """Two jobs fit the count bound but not the cost bound: the second is a 503."""
    budget = 4 * 2 * 33_345_536 * 1.5 / 1e12  # one GOOD job and a half
    limits = Limits(**{**SMALL.to_dict(), "queue_size": 8, "max_request_tmacs": budget, "max_queued_tmacs": budget})
    app = create_app(ServiceConfig(large=TINY, limits=limits), engine=engine)
    engine.gate = threading.Event()
    with TestClient(app) as client:
        thread = threading.Thread(target=lambda: post(client, GOOD))
        thread.start()
        try:
            assert engine.entered.wait(120)
            assert_error(post(client, GOOD), 503, "overloaded", "budget")
        finally:
            engine.gate.set()
            thread.join(30)


def test_cost_budget_and_deadline_refuse_before_queueing(engine):
    """Over the per-request budget, or estimated to outrun the deadline per job: a 400 naming the cost."""
    limits = Limits(**{**SMALL.to_dict(), "max_request_tmacs": 0.0002, "job_deadline_s": 5.0})
    app = create_app(ServiceConfig(large=TINY, limits=limits), engine=engine)
    with TestClient(app) as client:
        big = {**GOOD, "candidates": ["a", "b", "c", "d"], "steps": 4, "switch_step": 4}  # 8 x 4 x 33 MMAC
        assert_error(post(client, big), 400, "limit_exceeded", "TMAC per request")
        # At 0.01 GMAC/s with the estimate's margin of 2: 0.8 GMAC is 160 s, GOOD's 0.27 GMAC 53 s (and
        # GOOD then runs for real within that deadline, however loaded the machine).
        slow = {**GOOD, "candidates": ["a", "b", "c"], "steps": 4, "switch_step": 4}
        app.state.limits = Limits(**{**SMALL.to_dict(), "throughput_gmacs": 0.01, "job_deadline_s": 60.0})
        app.state.jobs.throughput = 0.01e9
        assert_error(post(client, slow), 400, "limit_exceeded", "deadline per job is 60 s")
        assert post(client, GOOD).status_code == 200
    assert engine.runs == 1


def test_job_past_its_deadline_is_stopped_between_steps(engine):
    limits = Limits(**{**SMALL.to_dict(), "job_deadline_s": 0.3, "throughput_gmacs": 1e6})
    app = create_app(ServiceConfig(large=TINY, limits=limits), engine=engine)
    engine.gate = threading.Event()  # never opened: only the deadline ends the job
    with TestClient(app) as client:
        assert_error(post(client, GOOD), 504, "deadline_exceeded", "deadline per job")
        text = client.get("/metrics").text
    assert 'obclip_jobs_total{outcome="deadline"} 1.0' in text and "obclip_server_errors_total 0.0" in text


def test_checks_on_the_loop_do_not_disturb_the_running_job(tiny_engine):
    """Request checks tokenize on the event loop while the worker encodes: they must not share a tokenizer."""
    # long enough to be tokenized by the check and refused past the chunk limit (not by a size limit)
    limits = replace(SMALL, max_prompt_chars=6000, max_body_bytes=16384)
    app = create_app(ServiceConfig(large=TINY, limits=limits), engine=tiny_engine)
    stop = threading.Event()
    failures: list[BaseException] = []
    with TestClient(app) as c:

        def hammer() -> None:
            try:
                while not stop.is_set():
                    refused = post(c, {**GOOD, "candidates": ["x " * 2600]})
                    assert_error(refused, 400, "invalid_input", "at most 10 chunks")
            except BaseException as exc:  # seen by the test thread below, not only as a warning
                failures.append(exc)

        thread = threading.Thread(target=hammer)
        thread.start()
        try:
            statuses = [post(c, {**GOOD, "candidates": [f"a cat {i}", "a dog"]}).status_code for i in range(25)]
        finally:
            stop.set()
            thread.join(30)
    assert statuses == [200] * 25
    assert not failures, failures


@pytest.mark.parametrize(
    "failure",
    [RuntimeError("CUDA out of memory"), StateError("latents contain NaN"), ValueError("a batch-size invariant")],
)
def test_worker_failure_is_500_and_the_server_goes_on(client, engine, failure):
    engine.fail = failure
    assert_error(post(client, GOOD), 500, "internal_error", "failed to run the request")
    engine.fail = None
    assert post(client, GOOD).status_code == 200
    assert client.get("/healthz").status_code == 200
    assert "obclip_server_errors_total 1.0" in client.get("/metrics").text


def test_prompts_are_not_logged_unless_asked(tiny_engine, caplog):
    secret = "a portrait of zebulon the secret"
    payload = {**GOOD, "candidates": [secret, "a dog"]}
    for log_prompts in (False, True):
        caplog.clear()
        app = create_app(ServiceConfig(large=TINY, limits=SMALL, log_prompts=log_prompts), engine=tiny_engine)
        with caplog.at_level("INFO", logger="obclip.service"), TestClient(app) as c:
            assert post(c, payload).status_code == 200
        assert (secret in caplog.text) is log_prompts
        assert "denoise N=2" in caplog.text


# --- hostile clients, driven through the ASGI interface so the disconnect comes exactly when wanted --


class Peer:
    """One HTTP client as the ASGI app sees it: sends `body` in `parts`, then disconnects when told."""

    def __init__(self, body: bytes, *, parts: int = 1, send_all: bool = True, headers=()) -> None:
        self.body = body
        self.chunks = [body[i * len(body) // parts : (i + 1) * len(body) // parts] for i in range(parts)]
        self.send_all = send_all
        self.headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        self.headers += list(headers)
        self.leave = asyncio.Event()
        self.sent: list[dict] = []

    def scope(self) -> dict:
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/v1/denoise",
            "raw_path": b"/v1/denoise",
            "query_string": b"",
            "root_path": "",
            "headers": self.headers,
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
        }

    async def receive(self) -> dict:
        if self.chunks:
            chunk = self.chunks.pop(0)
            if self.chunks or self.send_all:
                return {"type": "http.request", "body": chunk, "more_body": bool(self.chunks)}
            self.chunks = []
            return {"type": "http.request", "body": chunk, "more_body": True}  # then nothing: it hangs up
        await self.leave.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int | None:
        return next((m["status"] for m in self.sent if m["type"] == "http.response.start"), None)


def _metrics(app) -> str:
    from prometheus_client import generate_latest

    return generate_latest(app.state.metrics.registry).decode()


def test_client_closing_mid_upload_is_a_client_abort_not_a_server_error(tiny_engine, caplog):
    """Issue 10.1: Content-Length N, N/2 bytes sent, connection closed: INFO, counted as a client abort."""
    app = create_app(ServiceConfig(large=TINY, limits=SMALL), engine=tiny_engine)
    body = json.dumps(GOOD).encode()

    async def main() -> None:
        for _ in range(20):
            peer = Peer(body, parts=2, send_all=False)
            peer.leave.set()
            await app(peer.scope(), peer.receive, peer.send)
            assert peer.status == 499

    with caplog.at_level("INFO"):
        asyncio.run(main())
    text = _metrics(app)
    assert 'obclip_client_aborts_total{stage="upload"} 20.0' in text
    assert "obclip_server_errors_total 0.0" in text and "internal_error" not in text
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert any("client went away" in r.getMessage() and r.levelname == "INFO" for r in caplog.records)


def test_jobs_whose_clients_left_are_cancelled_queued_and_running(engine):
    """Issue 10.3: a queued job whose client left never runs; a running one stops at the next step."""
    limits = Limits(**{**SMALL.to_dict(), "queue_size": 4})
    app = create_app(ServiceConfig(large=TINY, limits=limits), engine=engine)
    engine.gate = threading.Event()  # never opened: the running job only ends by cancellation
    body = json.dumps(GOOD).encode()

    async def main() -> None:
        first, second = Peer(body), Peer(json.dumps({**GOOD, "seed": 2}).encode())
        tasks = [asyncio.ensure_future(app(p.scope(), p.receive, p.send)) for p in (first, second)]
        deadline = time.monotonic() + 120
        while app.state.jobs.depth < 2 or not engine.entered.is_set():  # one runs, one waits
            assert time.monotonic() < deadline, "the two jobs never reached the worker and the queue"
            await asyncio.sleep(0.01)
        second.leave.set()  # queued behind the running one
        first.leave.set()  # running
        await asyncio.wait_for(asyncio.gather(*tasks), 120)
        assert first.status == second.status == 499

    app.state.jobs.start()
    try:
        asyncio.run(main())
        deadline = time.monotonic() + 120
        while app.state.jobs.depth and time.monotonic() < deadline:
            time.sleep(0.01)
        assert app.state.jobs.depth == 0 and app.state.jobs.queued_cost == 0
    finally:
        app.state.jobs.stop()
    assert engine.runs == 1  # the queued job never reached the model
    text = _metrics(app)
    assert 'obclip_jobs_total{outcome="cancelled_queued"} 1.0' in text
    assert 'obclip_jobs_total{outcome="cancelled_running"} 1.0' in text
    assert 'obclip_client_aborts_total{stage="queued"} 1.0' in text
    assert 'obclip_client_aborts_total{stage="running"} 1.0' in text
    assert "obclip_server_errors_total 0.0" in text


def test_a_slow_body_is_a_408_within_the_body_deadline(tiny_engine):
    limits = Limits(**{**SMALL.to_dict(), "body_timeout_s": 0.2})
    app = create_app(ServiceConfig(large=TINY, limits=limits), engine=tiny_engine)
    peer = Peer(json.dumps(GOOD).encode(), parts=2, send_all=False)  # half the body, then silence

    async def main() -> None:
        await asyncio.wait_for(app(peer.scope(), peer.receive, peer.send), 30)

    asyncio.run(main())
    assert peer.status == 408
    start = next(m for m in peer.sent if m["type"] == "http.response.start")
    assert (b"connection", b"close") in start["headers"]


def test_a_running_job_can_be_stopped_inside_a_step(tiny_engine):
    """One step on a huge latent can outlast the deadline: the UNet's blocks check between them."""
    from obclip.engine.flops import unet_inputs
    from obclip.errors import JobCancelledError
    from obclip.service.jobs import interruptible

    unet = tiny_engine.model.unet
    hooks_before = sum(len(m._forward_pre_hooks) for m in unet.modules())
    meta_sample, t, meta_context = unet_inputs(unet, 1)
    sample, context = torch.randn(meta_sample.shape), torch.randn(meta_context.shape)
    stock = unet(sample, t, encoder_hidden_states=context, return_dict=False)[0]
    calls: list[int] = []

    def check(step: int) -> None:
        calls.append(step)
        if len(calls) == 3:
            raise JobCancelledError("the client went away; stopped inside a step", "running")

    with pytest.raises(JobCancelledError, match="inside a step"), interruptible(unet, check):
        unet(sample, t, encoder_hidden_states=context, return_dict=False)
    assert calls == [-1, -1, -1]
    assert sum(len(m._forward_pre_hooks) for m in unet.modules()) == hooks_before
    with interruptible(unet, lambda step: None):  # hooks that do not stop change nothing
        assert torch.equal(unet(sample, t, encoder_hidden_states=context, return_dict=False)[0], stock)
