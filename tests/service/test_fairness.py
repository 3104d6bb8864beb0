"""Issue 22: one token's flood must not starve another. The fair order (a property test), the
per-token share (429 + Retry-After, distinct from the full server's 503), the token file's
settings, and `/metrics` by tenant without the token."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from obclip.engine.batching import BatchPolicy
from obclip.errors import InvalidInputError
from obclip.service.fair import FairQueue
from obclip.service.limits import Limits
from obclip.service.server import ServiceConfig, create_app
from obclip.service.tokens import TokenEntry, parse_token_entries, token_label

from .test_app import GOOD, Switchable


class _J:
    def __init__(self, tenant: str, cost: float, n: int) -> None:
        self.tenant, self.cost, self.n = tenant, cost, n

    def __repr__(self) -> str:
        return f"{self.tenant}{self.n}"


# A schedule: each step either a job arrives from a tenant or the worker takes the next job.
_steps = st.lists(st.one_of(st.sampled_from("ABCD"), st.just("run")), min_size=1, max_size=80)


@settings(max_examples=300, deadline=None)
@given(_steps, st.sampled_from([1.0, 3.5, 2e12]))
def test_no_token_waits_behind_more_than_one_of_anothers_jobs_of_the_same_cost(steps, cost):
    """Jobs of one cost: from a job's arrival until it runs, each other token gets at most two jobs
    run, plus one for each of the job's own token's jobs ahead of it (waiting, or running when it
    arrived): start-time fair queueing's bound (one is not: see `FairQueue`'s docstring). So a job
    whose token has nothing queued or running runs after at most two of each other token's jobs,
    whatever they have queued."""
    queue = FairQueue(lambda job: job.tenant, lambda job: job.cost)
    order: list[_J] = []
    arrivals: list[tuple[_J, int, bool]] = []  # job, len(order) when it arrived, its tenant's job running then
    for n, step in enumerate(steps):
        if step == "run":
            if len(queue):
                order.append(queue.pop())
            continue
        job = _J(step, cost, n)
        arrivals.append((job, len(order), bool(order) and order[-1].tenant == step))
        queue.push(job)
    while len(queue):
        order.append(queue.pop())
    position = {id(job): index for index, job in enumerate(order)}
    for job, arrived, running_mine in arrivals:
        between = order[arrived : position[id(job)]]
        mine_ahead = sum(1 for other in between if other.tenant == job.tenant) + running_mine
        for tenant in set("ABCD") - {job.tenant}:
            assert sum(1 for other in between if other.tenant == tenant) <= mine_ahead + 2, (job, order)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("AB"), st.sampled_from([1.0, 4.0])), min_size=2, max_size=40))
def test_two_busy_tenants_get_model_time_within_one_job_of_each_other(jobs):
    """All queued at once, mixed costs: whenever both still have work, the cost each has run
    differs by at most the largest job's cost (weighted fair queueing by estimated cost)."""
    queue = FairQueue(lambda job: job.tenant, lambda job: job.cost)
    for n, (tenant, cost) in enumerate(jobs):
        queue.push(_J(tenant, cost, n))
    left = {t: sum(c for tt, c in jobs if tt == t) for t in "AB"}
    ran = {"A": 0.0, "B": 0.0}
    while len(queue):
        job = queue.pop()
        if left["A"] > 0 and left["B"] > 0:
            assert abs(ran["A"] - ran["B"]) <= 4.0
        ran[job.tenant] += job.cost
        left[job.tenant] -= job.cost


def test_each_tenant_keeps_its_own_arrival_order_and_weights_share_the_time():
    queue = FairQueue(lambda job: job.tenant, lambda job: job.cost, lambda t: 2.0 if t == "A" else 1.0)
    jobs = [_J("A", 1.0, i) for i in range(6)] + [_J("B", 1.0, i) for i in range(3)]
    for job in jobs:
        queue.push(job)
    order = [queue.pop() for _ in range(len(jobs))]
    assert [j.n for j in order if j.tenant == "A"] == list(range(6))
    # Weight 2 against 1: A runs two jobs for each of B's while both have work.
    assert [j.tenant for j in order[:6]].count("A") == 4 and [j.tenant for j in order[:9]].count("A") == 6


def test_a_batch_takes_the_fair_head_then_merges_compatible_jobs(tiny_engine):
    from obclip.engine.spec import DenoiseSpec

    spec = DenoiseSpec(("a cat", "a dog"), steps=3, switch_step=2, seed=1)
    queue = FairQueue(lambda job: job.tenant, lambda job: job.cost)
    flood = [_J("A", 1.0, i) for i in range(4)]
    for job in flood:
        queue.push(job)
    queue.pop()  # A0 runs
    small = _J("B", 1.0, 9)
    queue.push(small)
    batch = queue.pop_batch(lambda job: spec, tiny_engine.model, BatchPolicy(max_rows=8), lambda jobs: True)
    assert batch[0] is small and batch[1:] == flood[1:2]  # 4 rows each: B's job first, one of A's joins
    assert list(queue) == flood[2:]
    assert queue.pop_batch(lambda job: spec, tiny_engine.model, BatchPolicy(), lambda jobs: len(jobs) < 2) == [flood[2]]


def test_token_file_settings_and_labels():
    entries = parse_token_entries("tok-a label=alice max_jobs=2 weight=0.5\ntok-b requests_per_minute=30\n")
    assert entries[0] == TokenEntry("tok-a", "alice", 0.5, max_jobs=2)
    assert entries[1].label == token_label("tok-b") and entries[1].requests_per_minute == 30
    assert "tok-a" not in repr(entries[0])
    for text, fragment in [
        ("tok label=a label=b", "once each"),
        ("tok colour=red", "keys label"),
        ("tok max_jobs=two", "max_jobs must be a number"),
        ("tok max_jobs=0", "positive"),
        ("tok label=bad/label", "a label is"),
        ("a label=x\nb label=x", "same label"),
    ]:
        with pytest.raises(InvalidInputError, match=fragment) as raised:
            parse_token_entries(text)
        assert "tok" not in str(raised.value).replace("token", "")


def _app(engine, limits: Limits, tokens=()):
    return create_app(ServiceConfig(tokens=tokens, limits=limits), engine=engine)


def _send(client: TestClient, token: str, seed: int, results: dict, key: str) -> None:
    response = client.post("/v1/denoise", json={**GOOD, "seed": seed}, headers={"Authorization": f"Bearer {token}"})
    results[key] = response


def _wait_depth(app, depth: int) -> None:
    """Until `depth` jobs wait or run (a loaded machine may take long to get a request there)."""
    deadline = time.monotonic() + 120
    while app.state.jobs.depth < depth:
        assert time.monotonic() < deadline, f"{depth} jobs never reached the queue (depth {app.state.jobs.depth})"
        time.sleep(0.01)


def test_a_token_over_its_share_gets_429_while_the_server_has_room_and_another_token_runs_next(tiny_engine):
    engine = Switchable(tiny_engine)
    engine.gate = threading.Event()
    limits = Limits(max_candidates=4, max_steps=4, max_size=64, queue_size=8, token_max_jobs=2, throughput_gmacs=1.0)
    tokens = (TokenEntry("flood-token", "flood"), TokenEntry("quiet-token", "quiet"))
    app = _app(engine, limits, tokens)
    results: dict[str, object] = {}
    with TestClient(app) as client:
        threads = [
            threading.Thread(target=_send, args=(client, "flood-token", seed, results, f"flood{seed}"))
            for seed in (1, 2)
        ]
        for thread in threads:
            thread.start()
            _wait_depth(app, threads.index(thread) + 1)
        assert app.state.jobs.depth == 2
        over = client.post("/v1/denoise", json={**GOOD, "seed": 3}, headers={"Authorization": "Bearer flood-token"})
        assert over.status_code == 429 and over.json()["error"]["code"] == "over_share"
        assert int(over.headers["Retry-After"]) >= 1 and "its share is 2" in over.json()["error"]["message"]
        quiet = threading.Thread(target=_send, args=(client, "quiet-token", 4, results, "quiet"))
        quiet.start()
        _wait_depth(app, 3)
        # The quiet token's job waits ahead of the flood's second one: it runs next.
        assert [job.tenant for job in app.state.jobs._pending] == ["quiet", "flood"]
        metrics = client.get("/metrics", headers={"Authorization": "Bearer quiet-token"}).text
        assert 'obclip_tenant_queue_jobs{tenant="flood"} 2.0' in metrics
        assert 'obclip_tenant_requests_total{status="429",tenant="flood"} 1.0' in metrics
        assert "flood-token" not in metrics and "quiet-token" not in metrics
        engine.gate.set()
        for thread in [*threads, quiet]:
            thread.join(60)
    assert all(results[key].status_code == 200 for key in ("flood1", "flood2", "quiet"))


def test_a_full_server_is_503_not_429(tiny_engine):
    """A token within its share that finds the server full gets 503 (the server's load), not 429."""
    engine = Switchable(tiny_engine)
    engine.gate = threading.Event()
    limits = Limits(max_candidates=4, max_steps=4, max_size=64, queue_size=1, token_max_jobs=1, throughput_gmacs=1.0)
    tokens = tuple(TokenEntry(f"token-{i}", f"user{i}") for i in range(4))
    app = _app(engine, limits, tokens)
    results: dict[str, object] = {}
    with TestClient(app) as client:
        threads = [threading.Thread(target=_send, args=(client, f"token-{i}", i, results, str(i))) for i in (0, 1)]
        for index, thread in enumerate(threads):
            thread.start()
            _wait_depth(app, index + 1)
        full = client.post("/v1/denoise", json={**GOOD, "seed": 9}, headers={"Authorization": "Bearer token-2"})
        assert full.status_code == 503 and full.json()["error"]["code"] == "overloaded"
        assert "Retry-After" in full.headers
        engine.gate.set()
        for thread in threads:
            thread.join(60)


def test_requests_per_minute_share(tiny_engine):
    limits = Limits(max_candidates=4, max_steps=4, max_size=64, token_requests_per_minute=2, throughput_gmacs=1.0)
    app = _app(
        tiny_engine, limits, (TokenEntry("rate-token", "rated"), TokenEntry("other", "other", requests_per_minute=5))
    )
    auth = {"Authorization": "Bearer rate-token"}
    with TestClient(app) as client:
        assert [client.post("/v1/denoise", json={**GOOD, "seed": s}, headers=auth).status_code for s in (1, 2)] == [
            200,
            200,
        ]
        third = client.post("/v1/denoise", json={**GOOD, "seed": 3}, headers=auth)
        assert third.status_code == 429 and 1 <= int(third.headers["Retry-After"]) <= 60
        assert "requests in the last minute" in third.json()["error"]["message"]
        other = {"Authorization": "Bearer other"}
        assert client.post("/v1/denoise", json={**GOOD, "seed": 3}, headers=other).status_code == 200


def _waiters(app) -> int:
    """Requests waiting on the one keyed job (read across threads: a snapshot is enough to poll)."""
    held = list(app.state.keyed._jobs.values())
    return held[0].waiters if held else 0


def test_the_same_key_and_bytes_run_once_and_other_bytes_are_422(tiny_engine):
    """Issue 23.5: a resend with the same Idempotency-Key waits for the job already there."""
    engine = Switchable(tiny_engine)
    engine.gate = threading.Event()
    limits = Limits(max_candidates=4, max_steps=4, max_size=64, throughput_gmacs=1.0)
    app = _app(engine, limits)
    headers = {"Idempotency-Key": "k" * 32}
    results: dict[str, object] = {}

    def send(name: str) -> None:
        results[name] = client.post("/v1/denoise", json=GOOD, headers=headers)

    with TestClient(app) as client:
        first = threading.Thread(target=send, args=("first",))
        first.start()
        assert engine.entered.wait(120)
        again = threading.Thread(target=send, args=("again",))
        again.start()
        deadline = time.monotonic() + 120
        while _waiters(app) < 2:  # the resend waits on the running job (the first request is the other)
            assert time.monotonic() < deadline, "the resend never attached to the running job"
            time.sleep(0.01)
        other = client.post("/v1/denoise", json={**GOOD, "seed": 2}, headers=headers)
        assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_mismatch"
        engine.gate.set()
        first.join(60)
        again.join(60)
        late = client.post("/v1/denoise", json=GOOD, headers=headers)  # finished: its answer again
        assert client.get("/healthz").json()["idempotency_keys"] is True
    assert engine.runs == 1
    assert results["first"].status_code == results["again"].status_code == late.status_code == 200
    assert results["first"].content == results["again"].content == late.content
