"""Issue 23 in process: admission that does not lie (speed from a window of measurements, a busy
moment is a 503 not a 400, the deadline counts running only), no redirect to a forged Host, the
negative prompt's invisible characters, and the JSON 503 beyond the requests at once."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient

from obclip.service.cost import SpeedEstimate
from obclip.service.limits import Limits
from obclip.service.server import ServiceConfig, create_app

from .test_app import GOOD, SMALL, Switchable, assert_error, post


@pytest.fixture
def engine(tiny_engine) -> Switchable:
    return Switchable(tiny_engine)


@pytest.fixture
def client(engine):
    with TestClient(create_app(ServiceConfig(limits=SMALL), engine=engine)) as c:
        yield c


def test_speed_estimate_is_a_median_with_a_floor_and_ignores_accelerated_and_tiny_work():
    speed = SpeedEstimate([1e9, 8e9, 9e9], window=4, min_cost=1e6)
    assert speed.current == 8e9  # one slow start-up forward does not decide
    speed.observe(100e9, 1.0, accelerated=True)  # skips work its cost counts: would inflate
    speed.observe(1e3, 1e-9, accelerated=False)  # tiny: mostly overhead
    assert speed.current == 8e9 and speed.best == 9e9
    for _ in range(4):
        speed.observe(1e9, 1.0, accelerated=False)  # a busy minute: 1 GMAC/s
    assert speed.current == 0.25 * 9e9  # the floor: a quarter of the best seen
    speed.set(3e9)
    speed.observe(1e12, 1.0, accelerated=False)
    assert speed.current == speed.best == 3e9  # a fixed speed is not followed


def test_a_busy_moment_is_a_503_to_retry_and_only_a_hopeless_request_is_a_400(engine):
    limits = Limits(**{**SMALL.to_dict(), "job_deadline_s": 1.0, "token_max_jobs": 8})
    app = create_app(ServiceConfig(limits=limits), engine=engine)
    with TestClient(app) as client:
        jobs = app.state.jobs
        # GOOD costs 0.27 GMAC; with the 2x margin it needs 0.54 GMAC/s to fit in 1 s.
        jobs.speed = SpeedEstimate([2e9], window=4, floor_ratio=0.1)
        for _ in range(4):
            jobs.speed.observe(3e9, 10.0, accelerated=False)  # now 0.3 GMAC/s, best seen 2
        refused = post(client, GOOD)
        assert_error(refused, 503, "overloaded", "slower than usual")
        assert int(refused.headers["Retry-After"]) >= 10
        jobs.speed = SpeedEstimate([0.3e9], window=4)  # a busy start-up alone: retry, not refuse
        assert_error(post(client, GOOD), 503, "overloaded", "slower than usual")
        for _ in range(4):
            jobs.speed.observe(3e9, 10.0, accelerated=False)  # measured work, never faster: it cannot fit
        assert jobs.speed.settled
        assert_error(post(client, GOOD), 400, "limit_exceeded", "would run about")


def test_the_deadline_counts_running_not_waiting(engine):
    """Issue 23.4: a job that waited longer than the deadline behind another still runs to its answer."""
    limits = Limits(**{**SMALL.to_dict(), "job_deadline_s": 4.0, "queue_size": 4, "token_max_jobs": 8})
    app = create_app(ServiceConfig(limits=limits), engine=engine)
    engine.hold = threading.Event()  # the first job holds the worker inside one step, past its deadline
    results = {}
    with TestClient(app) as client:
        first = threading.Thread(target=lambda: results.setdefault("first", post(client, GOOD)))
        first.start()
        assert engine.entered.wait(120)
        second = threading.Thread(target=lambda: results.setdefault("second", post(client, {**GOOD, "seed": 2})))
        second.start()
        deadline = time.monotonic() + 120
        while app.state.jobs.depth < 2:
            assert time.monotonic() < deadline, "the second job never reached the queue"
            time.sleep(0.01)
        queued = time.monotonic()
        while time.monotonic() - queued <= limits.job_deadline_s + 0.5:  # the second waits past its deadline
            time.sleep(0.05)
        engine.hold.set()  # the first is stopped at its next step (it ran past its deadline); the second runs
        first.join(120)
        second.join(120)
    assert results["first"].status_code == 504
    assert results["second"].status_code == 200, results["second"].text


def test_no_redirect_to_a_forged_host(client):
    answer = client.get("/v1/denoise/", headers={"Host": "evil.example"}, follow_redirects=False)
    assert answer.status_code == 404 and "location" not in answer.headers
    assert answer.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("negative", "fragment"),
    [
        ("blurry\u202e", "the negative prompt contains an invisible format character (U+202E"),
        ("blur\u200bry", "the negative prompt contains an invisible format character (U+200B"),
        ("ugly\x07", "the negative prompt contains a control character (U+0007)"),
    ],
)
def test_negative_prompt_invisible_and_control_characters_are_refused_by_name(client, negative, fragment):
    answer = post(client, {**GOOD, "negative_prompt": negative})
    assert_error(answer, 400, "invalid_input", fragment)
    assert "candidate" not in answer.json()["error"]["message"]


def test_requests_beyond_the_limit_at_once_are_json_503_and_health_still_answers(engine):
    limits = Limits(**{**SMALL.to_dict(), "max_connections": 1})
    app = create_app(ServiceConfig(limits=limits), engine=engine)
    engine.gate = threading.Event()
    results = {}
    with TestClient(app) as client:
        running = threading.Thread(target=lambda: results.setdefault("job", post(client, GOOD)))
        running.start()
        assert engine.entered.wait(120)
        busy = client.get("/v1/models")
        assert_error(busy, 503, "overloaded", "too many requests at once")
        assert busy.headers["Retry-After"] == "1"
        assert client.get("/healthz").status_code == 200
        engine.gate.set()
        running.join(120)
    assert results["job"].status_code == 200
