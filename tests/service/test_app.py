"""The FastAPI app in-process: endpoints, limits, auth, the bounded queue (503), worker failures (500)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from obclip.engine import DenoiseState
from obclip.errors import StateError
from obclip.service.limits import Limits
from obclip.service.protocol import MODEL_SECONDS_HEADER
from obclip.service.server import ServiceConfig, create_app

from .conftest import TINY, TOKEN

GOOD = {"candidates": ["a cat", "a dog"], "steps": 3, "switch_step": 2, "scheduler": "ddim", "guidance": 7.5, "seed": 1}
SMALL = Limits(max_candidates=4, max_steps=4, max_size=64, max_prompt_chars=300, max_body_bytes=4096, queue_size=1)


class Switchable:
    """Wraps the real engine; `gate` makes a job wait, `fail` makes it raise."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.model = engine.model
        self.fail: Exception | None = None
        self.gate: threading.Event | None = None
        self.entered = threading.Event()

    def check(self, spec) -> None:
        self.engine.check(spec)

    def run(self, spec) -> DenoiseState:
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(30)
        if self.fail is not None:
            raise self.fail
        return self.engine.run(spec)


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


def test_health_models_openapi_metrics(client):
    assert client.get("/healthz").json() == {"status": "ok", "model": TINY, "queue_depth": 0}
    models = client.get("/v1/models").json()
    assert models["data"][0]["id"] == TINY and models["limits"]["max_candidates"] == 4
    schema = client.get("/openapi.json").json()
    body = schema["paths"]["/v1/denoise"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["additionalProperties"] is False and "candidates" in body["required"]
    post(client, GOOD)
    post(client, {**GOOD, "steps": 99})
    text = client.get("/metrics").text
    assert 'obclip_requests_total{endpoint="/v1/denoise",status="200"} 1.0' in text
    assert 'obclip_errors_total{code="limit_exceeded"} 1.0' in text
    assert "obclip_request_seconds_bucket" in text and "obclip_model_seconds_count 1.0" in text
    assert "obclip_queue_depth 0.0" in text


@pytest.mark.parametrize(
    ("payload", "status", "code", "fragment"),
    [
        ({**GOOD, "candidates": ["a", "b", "c", "d", "e"]}, 400, "limit_exceeded", "at most 4"),
        ({**GOOD, "steps": 5, "switch_step": 1}, 400, "limit_exceeded", "at most 4"),
        ({**GOOD, "switch_step": 4}, 400, "invalid_input", "larger than steps"),
        ({**GOOD, "height": 72}, 400, "limit_exceeded", "at most 64"),
        ({**GOOD, "width": 20}, 400, "invalid_input", "multiple of 8"),
        ({**GOOD, "candidates": ["x" * 301]}, 400, "limit_exceeded", "301 characters"),
        ({**GOOD, "candidates": ["x" * 290]}, 400, "invalid_input", "would be truncated"),
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


def test_full_queue_is_503_with_retry_after_and_health_stays_up(client, engine):
    engine.gate = threading.Event()
    answers: list[int] = []
    threads = [threading.Thread(target=lambda: answers.append(post(client, GOOD).status_code)) for _ in range(2)]
    threads[0].start()
    assert engine.entered.wait(10)  # job 1 runs (blocked inside the model call)
    threads[1].start()
    deadline = time.monotonic() + 10
    while client.app.state.worker.depth < 2 and time.monotonic() < deadline:
        time.sleep(0.01)  # job 2 waits in the queue (queue_size 1)
    try:
        response = post(client, GOOD)
        assert_error(response, 503, "overloaded", "retry later")
        assert response.headers["retry-after"] == "1"
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json()["queue_depth"] == 2
        assert "obclip_queue_depth 2.0" in client.get("/metrics").text
    finally:
        engine.gate.set()
        for thread in threads:
            thread.join(30)
    assert answers == [200, 200]


def test_checks_on_the_loop_do_not_disturb_the_running_job(tiny_engine):
    """Request checks tokenize on the event loop while the worker encodes: they must not share a tokenizer."""
    app = create_app(ServiceConfig(large=TINY, limits=SMALL), engine=tiny_engine)
    stop = threading.Event()
    with TestClient(app) as c:

        def hammer() -> None:
            while not stop.is_set():
                assert_error(post(c, {**GOOD, "candidates": ["y" * 290]}), 400, "invalid_input", "truncated")

        thread = threading.Thread(target=hammer)
        thread.start()
        try:
            statuses = [post(c, {**GOOD, "candidates": [f"a cat {i}", "a dog"]}).status_code for i in range(25)]
        finally:
            stop.set()
            thread.join(30)
    assert statuses == [200] * 25


@pytest.mark.parametrize("failure", [RuntimeError("CUDA out of memory"), StateError("latents contain NaN")])
def test_worker_failure_is_500_and_the_server_goes_on(client, engine, failure):
    engine.fail = failure
    assert_error(post(client, GOOD), 500, "internal_error", "failed to run the request")
    engine.fail = None
    assert post(client, GOOD).status_code == 200
    assert client.get("/healthz").status_code == 200


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
