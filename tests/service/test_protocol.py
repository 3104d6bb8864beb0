"""The wire request: canonical bytes, obliviousness, strict parsing; the answer's checks."""

from __future__ import annotations

import json

import httpx
import pytest

from obclip.accel import AccelConfig
from obclip.engine import DenoiseSpec
from obclip.errors import InvalidInputError, StateError
from obclip.privacy import build_candidate_set
from obclip.service.client import HttpCloud
from obclip.service.limits import Limits
from obclip.service.protocol import (
    DenoiseRequest,
    LimitExceededError,
    RequestSchemaError,
    decode_state,
    encode_request,
    parse_request,
    spec_from_request,
)

from .conftest import PROMPT, TINY

SHUFFLE_SEED = 1234


def _spec(candidates, **options) -> DenoiseSpec:
    base = {"steps": 6, "switch_step": 3, "seed": 7, "accel": AccelConfig.paper(cache_step=2)}
    return DenoiseSpec(candidates=tuple(candidates), **{**base, **options})


def test_request_bytes_do_not_depend_on_which_candidate_is_true():
    """Invariant 1 on the wire: every member of the set, as the true prompt, sends identical bytes."""
    cset = build_candidate_set(PROMPT, seed=SHUFFLE_SEED)
    assert len(cset.candidates) > 1
    bodies = set()
    for member in cset.candidates:
        other = build_candidate_set(member, seed=SHUFFLE_SEED)
        assert other.candidates == cset.candidates
        bodies.add(encode_request(_spec(other.candidates), TINY))
    assert len(bodies) == 1
    body = json.loads(bodies.pop())
    assert set(body) == set(DenoiseRequest.model_fields)
    assert "true_index" not in json.dumps(body)


def test_client_sends_one_identical_request_per_member_and_nothing_else():
    """Through HttpCloud itself: exactly one call per generation, same bytes and headers for every member
    (the Idempotency-Key aside: fresh random bytes for every call, whichever member sends it)."""
    seen: list[tuple[str, bytes, tuple]] = []
    keys: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["idempotency-key"])
        headers = tuple(sorted((k, v) for k, v in request.headers.items() if k != "idempotency-key"))
        seen.append((str(request.url), request.content, headers))
        return httpx.Response(400, json={"error": {"code": "invalid_input", "message": "recorded"}})

    cset = build_candidate_set(PROMPT, seed=SHUFFLE_SEED)
    for member in cset.candidates:
        other = build_candidate_set(member, seed=SHUFFLE_SEED)
        cloud = HttpCloud("http://127.0.0.1:9", token="t", model=TINY, transport=httpx.MockTransport(handler))
        with pytest.raises(InvalidInputError, match="recorded"):
            cloud.denoise(_spec(other.candidates))
    assert len(seen) == len(cset.candidates)
    assert len(set(seen)) == 1
    assert seen[0][0] == "http://127.0.0.1:9/v1/denoise"
    assert len(set(keys)) == len(keys) and all(len(key) == 32 and int(key, 16) >= 0 for key in keys)


def test_encode_is_canonical_and_parses_back():
    spec = _spec(["a woman", "a man"], height=64, width=64)
    body = encode_request(spec, TINY)
    assert b" " not in body.replace(b"a woman", b"").replace(b"a man", b"")
    back = spec_from_request(parse_request(body), Limits())
    assert back == spec
    assert back.accel.to_dict() == spec.accel.to_dict()


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"", "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"candidates": ["a"], "steps": NaN}', "NaN is not a JSON number"),
        (b'{"candidates": ["a"], "steps": Infinity}', "Infinity"),
        (b"[" * 100_000, "nested too deeply"),
        (b'{"candidates": ["a"], "steps": 1' + b"0" * 5000 + b"}", "not valid JSON"),
    ],
)
def test_parse_refuses_what_is_not_json(body, fragment):
    with pytest.raises(RequestSchemaError, match=fragment):
        parse_request(body)


GOOD = {"candidates": ["a cat"], "steps": 4, "switch_step": 2, "scheduler": "ddim", "guidance": 7.5, "seed": 1}


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"steps": "4"}, "steps"),
        ({"steps": True}, "steps"),
        ({"steps": 4.0}, "steps"),
        ({"guidance": "7"}, "guidance"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**63}, "seed"),
        ({"candidates": []}, "candidates"),
        ({"candidates": "a cat"}, "candidates"),
        ({"candidates": [1]}, "candidates"),
        ({"extra": 1}, "extra"),
        ({"accel": []}, "accel"),
        ({"height": 0}, "height"),
    ],
)
def test_parse_is_strict(change, fragment):
    with pytest.raises(RequestSchemaError, match=fragment):
        parse_request(json.dumps({**GOOD, **change}).encode())


def test_missing_field_is_named():
    with pytest.raises(RequestSchemaError, match="seed"):
        parse_request(json.dumps({k: v for k, v in GOOD.items() if k != "seed"}).encode())


LIMITS = Limits(max_candidates=2, max_steps=10, max_size=128, max_prompt_chars=20, max_guidance=10)


@pytest.mark.parametrize(
    ("change", "error", "fragment"),
    [
        ({"candidates": ["a", "b", "c"]}, LimitExceededError, "at most 2"),
        ({"candidates": ["x" * 21]}, LimitExceededError, "21 characters"),
        ({"candidates": ["a\x00b"]}, InvalidInputError, "control character"),
        ({"candidates": ["a\ud800"]}, InvalidInputError, "surrogate"),
        ({"candidates": ["a", "a"]}, InvalidInputError, "distinct"),
        ({"candidates": ["  "]}, InvalidInputError, "non-empty"),
        ({"steps": 11}, LimitExceededError, "at most 10"),
        ({"switch_step": 5}, InvalidInputError, "larger than steps"),
        ({"height": 136}, LimitExceededError, "at most 128"),
        ({"width": 60}, InvalidInputError, "multiple of 8"),
        ({"guidance": 10.5}, LimitExceededError, "guidance"),
        ({"scheduler": "pndm"}, InvalidInputError, "scheduler"),
        ({"accel": {"warp_drive": {}}}, InvalidInputError, "warp_drive"),
        ({"accel": {"block_skip": {"skip_step": "x"}}}, InvalidInputError, "skip_step"),
    ],
)
def test_limits_and_spec_checks(change, error, fragment):
    with pytest.raises(error, match=fragment):
        spec_from_request(DenoiseRequest.model_validate({**GOOD, **change}), LIMITS)


def test_limits_refuse_nonsense():
    with pytest.raises(InvalidInputError):
        Limits(max_steps=0)
    with pytest.raises(InvalidInputError):
        Limits(max_size=100)


def test_decode_state_checks_the_answer_against_the_request(tiny_engine):
    spec = _spec(["a woman", "a man"], accel=None)
    body = tiny_engine.run(spec).to_bytes()
    assert decode_state(body, spec, TINY).num_candidates == 2
    with pytest.raises(StateError, match="different candidate set or order"):
        decode_state(body, _spec(["a man", "a woman"], accel=None))
    with pytest.raises(StateError, match="seed"):
        decode_state(body, _spec(["a woman", "a man"], accel=None, seed=8))
    with pytest.raises(StateError, match="model"):
        decode_state(body, spec, "embedded:tiny-random-small")
    with pytest.raises(StateError):
        decode_state(body[: len(body) // 2], spec)
    with pytest.raises(StateError):
        decode_state(b"not a state at all", spec)
