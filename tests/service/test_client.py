"""HttpCloud against scripted answers: retries, Retry-After, error mapping, refusing bad answers."""

from __future__ import annotations

import httpx
import pytest
import torch

from obclip.engine import DenoiseSpec
from obclip.errors import InvalidInputError, ModelNotFoundError, ServiceError, StateError
from obclip.service.client import HttpCloud

SPEC = DenoiseSpec(("a woman", "a man"), steps=4, switch_step=2, seed=3)
URL = "http://127.0.0.1:9"


@pytest.fixture(scope="module")
def good_body(tiny_engine) -> bytes:
    return tiny_engine.run(SPEC).to_bytes()


def _cloud(answers, waits=None, **options) -> HttpCloud:
    answers = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return HttpCloud(
        URL,
        transport=httpx.MockTransport(handler),
        sleep=waits.append if waits is not None else (lambda s: None),
        **options,
    )


def _state(body: bytes) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"content-type": "application/octet-stream"})


def _error(status: int, code: str, message: str, **headers) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}}, headers=headers)


def test_503_is_retried_honouring_retry_after_capped(good_body):
    waits: list[float] = []
    cloud = _cloud(
        [
            _error(503, "overloaded", "full", **{"Retry-After": "2"}),
            _error(503, "overloaded", "full", **{"Retry-After": "999"}),
            _state(good_body),
        ],
        waits,
        max_retry_after_s=5,
    )
    state = cloud.denoise(SPEC)
    assert state.num_candidates == 2
    assert waits == [2.0, 5.0]


def test_503_after_every_retry_is_a_service_error():
    waits: list[float] = []
    cloud = _cloud([_error(503, "overloaded", "queue full")] * 3, waits, retries=2, backoff_s=0.25)
    with pytest.raises(ServiceError, match=r"overloaded \(503\) after 3 tries: queue full"):
        cloud.denoise(SPEC)
    assert waits == [0.25, 0.5]


def test_refused_connection_is_retried_then_reported(good_body):
    waits: list[float] = []
    refused = httpx.ConnectError("connection refused")
    assert _cloud([refused, _state(good_body)], waits).denoise(SPEC).num_candidates == 2
    with pytest.raises(ServiceError, match=r"cannot reach the cloud .* after 2 tries"):
        _cloud([refused, refused], retries=1).denoise(SPEC)


def test_broken_connection_is_retried_and_timeout_is_not(good_body):
    broken = httpx.RemoteProtocolError("Server disconnected without sending a response")
    assert _cloud([broken, _state(good_body)], []).denoise(SPEC).num_candidates == 2
    with pytest.raises(ServiceError, match=r"broke before it answered, after 1 try \(the server may have stopped\)"):
        _cloud([broken], retries=0).denoise(SPEC)
    with pytest.raises(ServiceError, match="did not answer in time"):
        _cloud([httpx.ReadTimeout("slow")]).denoise(SPEC)
    with pytest.raises(ServiceError, match="did not accept a connection in time"):
        _cloud([httpx.ConnectTimeout("slow")] * 2, [], retries=1).denoise(SPEC)


@pytest.mark.parametrize(
    ("answer", "error", "fragment"),
    [
        (_error(400, "invalid_input", "prompt would be truncated"), InvalidInputError, "would be truncated"),
        (_error(413, "body_too_large", "too big"), InvalidInputError, "too big"),
        (_error(422, "invalid_request", "steps: bad"), InvalidInputError, "steps: bad"),
        (_error(401, "unauthorized", "missing bearer token"), ServiceError, "bearer token"),
        (_error(404, "model_not_found", "serves X"), ModelNotFoundError, "serves X"),
        (_error(500, "internal_error", "boom"), ServiceError, r"500 \(internal_error\): boom"),
        (httpx.Response(502, text="<html>bad gateway</html>"), ServiceError, "bad gateway"),
        (httpx.Response(200, json={"not": "a state"}), ServiceError, "not a denoise state"),
        (_state(b"garbage"), StateError, "truncated"),
    ],
)
def test_error_answers_become_clear_errors(answer, error, fragment):
    with pytest.raises(error, match=fragment):
        _cloud([answer]).denoise(SPEC)


def test_an_answer_for_another_request_is_refused(tiny_engine, good_body):
    other = tiny_engine.run(DenoiseSpec(("a man", "a woman"), steps=4, switch_step=2, seed=3)).to_bytes()
    with pytest.raises(StateError, match="order"):
        _cloud([_state(other)]).denoise(SPEC)
    with pytest.raises(StateError, match="model"):
        _cloud([_state(good_body)], model="embedded:tiny-random-small").denoise(SPEC)


def test_non_finite_latents_are_refused(tiny_engine):
    state = tiny_engine.run(SPEC)
    state.latents = state.latents.clone()
    body = bytearray(state.to_bytes())
    nan = torch.tensor([float("nan")], dtype=torch.float32).numpy().tobytes()
    body[-len(nan) :] = nan  # the last tensor in the file is the latents' last element or a history entry
    with pytest.raises(StateError, match="NaN"):
        _cloud([_state(bytes(body))]).denoise(SPEC)


def test_oversized_answer_is_refused(good_body):
    with pytest.raises(ServiceError, match="larger than"):
        _cloud([_state(good_body)], max_response_bytes=100).denoise(SPEC)


def test_bad_url_is_refused():
    with pytest.raises(InvalidInputError, match="http"):
        HttpCloud("ftp://127.0.0.1")
