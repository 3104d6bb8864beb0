"""Fuzzing POST /v1/denoise: over a thousand generated and malformed requests, never a 5xx.

Most go through the in-process app (fast); a smaller run hits the real server process. The
in-process server's limits are tiny (N <= 3, T <= 2, 64 px), so requests that pass validation
cost a few milliseconds of model time each.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from obclip.engine import DenoiseState
from obclip.service.limits import Limits
from obclip.service.protocol import DenoiseRequest
from obclip.service.server import ServiceConfig, create_app

from .conftest import TINY, TOKEN

FIELDS = list(DenoiseRequest.model_fields)  # every field of the request, the public options' included
VALID = {
    "candidates": ["a cat", "a dog"],
    "steps": 2,
    "switch_step": 1,
    "scheduler": "ddim",
    "guidance": 3.0,
    "seed": 4,
}
LIMITS = Limits(max_candidates=3, max_steps=2, max_size=64, max_prompt_chars=200, max_body_bytes=8192, queue_size=4)
SETTINGS = {
    "deadline": None,
    "database": None,
    "derandomize": True,
    "suppress_health_check": list(HealthCheck),
    "print_blob": True,
}

numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, -1, 7, 8, 64, 2**31, 2**63 - 1, 2**63, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.5, 1e308, -1e308, 5e-324, math.nan, math.inf]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=30))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)
prompts = st.one_of(
    st.sampled_from(["a cat", "a dog", "a fox", "portrait of a woman", "", " ", "a\x00b", "\ud800", "x" * 250]),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20),
)
accel_options = st.one_of(
    st.none(),
    st.just({}),
    st.fixed_dictionaries(
        {},
        optional={
            "batch_reuse": st.one_of(st.none(), st.just({}), st.fixed_dictionaries({"attention": st.text(max_size=6)})),
            "attention_cache": st.one_of(
                st.none(), st.fixed_dictionaries({"cache_step": st.integers(-2, 4), "cache_interval": numbers})
            ),
            "block_skip": st.one_of(
                st.none(), st.fixed_dictionaries({"skip_step": st.integers(-1, 3), "mode": st.text(max_size=12)})
            ),
            "shared_uncond": st.one_of(st.none(), st.just({}), json_values),
            "turbo": json_values,
        },
    ),
    json_values,
)


@st.composite
def mutated_requests(draw) -> dict:
    """A valid request with a few fields changed, dropped or added."""
    request = dict(VALID)
    if draw(st.booleans()):
        request["candidates"] = draw(st.lists(prompts, min_size=0, max_size=4))
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["set", "drop", "extra", "number", "accel"]))
        key = draw(st.sampled_from(FIELDS))
        if action == "set":
            request[key] = draw(json_values)
        elif action == "drop":
            request.pop(key, None)
        elif action == "extra":
            request[draw(st.text(min_size=1, max_size=10))] = draw(json_values)
        elif action == "number":
            request[key] = draw(numbers)
        else:
            request["accel"] = draw(accel_options)
    return request


def encode(value) -> bytes:
    return json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")


raw_bodies = st.one_of(
    st.binary(max_size=64),
    st.builds(lambda r, cut: encode(r)[:cut], mutated_requests(), st.integers(0, 60)),  # truncated bodies
    st.builds(encode, json_values),
    st.builds(lambda d: encode(d), st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=5), json_values)),
    st.just(b"[" * 5000),
    st.just(b"x" * 9000),  # over the body limit
    st.just(encode({**VALID, "candidates": ["z" * 100] * 100})),  # over the body limit as well
)
bad_content_types = st.sampled_from(["text/plain", "", "application/x", "application/jsonx", "json"])
# Header values an HTTP client can send at all: visible ASCII, no surrounding blanks.
header_tokens = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=20)
bad_auth = st.one_of(
    st.none(),
    st.just("Bearer"),
    header_tokens.filter(bool).map(lambda t: "Bearer " + t),
    st.just(f"Basic {TOKEN}"),
)


@st.composite
def headers(draw) -> dict[str, str]:
    """Mostly the right headers; one request in five has a bad Content-Type or token."""
    chosen = {"Content-Type": draw(st.sampled_from(["application/json", "application/json; charset=utf-8"]))}
    chosen["Authorization"] = f"Bearer {TOKEN}"
    mode = draw(st.sampled_from(["ok"] * 8 + ["type", "auth"]))
    if mode == "type":
        chosen["Content-Type"] = draw(bad_content_types)
    elif mode == "auth":
        value = draw(bad_auth)
        if value is None:
            del chosen["Authorization"]
        else:
            chosen["Authorization"] = value
    return chosen


def check(response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if response.status_code == 200:
        DenoiseState.from_bytes(response.content)
    else:
        error = response.json()["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str) and error["message"]


@pytest.fixture(scope="module")
def app_client(tiny_engine):
    app = create_app(ServiceConfig(large=TINY, tokens=(TOKEN,), limits=LIMITS), engine=tiny_engine)
    with TestClient(app) as client:
        yield client


def run_fuzz(send: Callable[[bytes, dict], object], max_examples: int) -> int:
    count = [0]

    @settings(max_examples=max_examples, **SETTINGS)
    @given(body=st.one_of(mutated_requests().map(encode), mutated_requests().map(encode), raw_bodies), head=headers())
    def one(body: bytes, head: dict[str, str]) -> None:
        check(send(body, head))
        count[0] += 1

    one()
    return count[0]


def test_fuzz_in_process(app_client):
    def send(body: bytes, headers: dict):
        try:
            return app_client.post("/v1/denoise", content=body, headers=headers)
        except UnicodeEncodeError:  # a header httpx cannot even encode never reaches the server
            return httpx.Response(400, json={"error": {"code": "client", "message": "unsendable header"}})

    sent = run_fuzz(send, max_examples=1100)
    assert sent >= 1000
    assert app_client.get("/healthz").json()["status"] == "ok"
    text = app_client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert 'status="5' not in text


def test_fuzz_real_process(live):
    with httpx.Client(base_url=live.url, timeout=30) as client:

        def send(body: bytes, headers: dict):
            try:
                return client.post("/v1/denoise", content=body, headers=headers)
            except UnicodeEncodeError:
                return httpx.Response(400, json={"error": {"code": "client", "message": "unsendable header"}})

        assert run_fuzz(send, max_examples=120) >= 100
        assert client.get("/healthz").json()["status"] == "ok"
        metrics = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
        assert 'status="5' not in metrics
