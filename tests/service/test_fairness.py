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


TENANTS = "ABC"  # three: a job's own and two others (more make a property run find less)


# A schedule: each step either a job arrives from a tenant (with a cost) or the worker takes the next job.
def _schedules(costs: st.SearchStrategy[float]) -> st.SearchStrategy[list]:
    return st.lists(st.one_of(st.tuples(st.sampled_from(TENANTS), costs), st.just("run")), min_size=1, max_size=60)


def _run(steps: list) -> tuple[list[_J], list[tuple[_J, int, int]]]:
    """Play a schedule: the run order, and per job (job, len(order) when it arrived, its tenant's
    jobs waiting then). Checks on the way that iterating the queue gives the order pops take."""
    queue = FairQueue(lambda job: job.tenant, lambda job: job.cost)
    order: list[_J] = []
    arrivals: list[tuple[_J, int, int]] = []
    waiting = dict.fromkeys(TENANTS, 0)
    for n, step in enumerate(steps):
        if step == "run":
            if len(queue):
                ahead = list(queue)
                order.append(queue.pop())
                assert order[-1] is ahead[0] and list(queue) == ahead[1:]
                waiting[order[-1].tenant] -= 1
            continue
        job = _J(step[0], step[1], n)
        arrivals.append((job, len(order), waiting[job.tenant]))
        waiting[job.tenant] += 1
        queue.push(job)
    ahead = list(queue)
    while len(queue):
        order.append(queue.pop())
    assert order[len(order) - len(ahead) :] == ahead
    for tenant in TENANTS:  # each tenant's jobs run in their arrival order
        assert [job.n for job in order if job.tenant == tenant] == sorted(
            j.n for j, _, _ in arrivals if j.tenant == tenant
        )
    return order, arrivals


def _behind(job: _J, arrived: int, order: list[_J]) -> list[_J]:
    """The jobs `job` waits behind: those that start after it arrived and before it starts."""
    return order[arrived : order.index(job)]


@settings(max_examples=1000, deadline=None)  # start-time fair queueing fails it in 1000, not always in 300
@given(st.sampled_from([1.0, 3.5, 2e12]).flatmap(lambda cost: _schedules(st.just(cost))))
def test_no_token_waits_behind_more_than_one_of_anothers_jobs_of_the_same_cost(steps):
    """Jobs of one cost: a job waits behind at most one job of each other token, plus one more of
    each for each of its own token's jobs waiting when it arrived (one turn each). So a job whose
    token has nothing waiting runs after at most one of each other token's jobs, whatever they have
    queued."""
    order, arrivals = _run(steps)
    for job, arrived, mine_waiting in arrivals:
        behind = _behind(job, arrived, order)
        assert sum(other.tenant == job.tenant for other in behind) == mine_waiting
        for tenant in set(TENANTS) - {job.tenant}:
            assert sum(other.tenant == tenant for other in behind) <= mine_waiting + 1, (job, order)


def test_a_token_that_joins_later_does_not_overtake_a_waiting_job_twice():
    """The schedule on which start-time fair queueing let B run three jobs while A3 waited behind
    one of A's own (B9, sent after A3, ran first): A0 runs; A2, A3, B4, B5 arrive; three run; B9
    arrives. A's turn was taken by A0, so B goes first, then the turns alternate."""
    steps = [("A", 1.0), "run", ("A", 1.0), ("A", 1.0), ("B", 1.0), ("B", 1.0), "run", "run", "run", ("B", 1.0)]
    order, _ = _run(steps)
    assert [repr(job) for job in order] == ["A0", "B4", "A2", "B5", "A3", "B9"]


@settings(max_examples=300, deadline=None)
@given(_schedules(st.sampled_from([1.0, 2.5, 4.0])))
def test_with_mixed_costs_a_job_waits_behind_less_than_one_quantum_per_turn_of_each_other_token(steps):
    """Mixed costs: the quantum Q is at most the largest cost; a job whose token had m jobs waiting
    runs within m + 1 of its token's turns, and in that time each other token runs less than
    (m + 1) * Q plus one job of cost."""
    order, arrivals = _run(steps)
    largest = max((step[1] for step in steps if step != "run"), default=1.0)
    for job, arrived, mine_waiting in arrivals:
        behind = _behind(job, arrived, order)
        for tenant in set(TENANTS) - {job.tenant}:
            cost = sum(other.cost for other in behind if other.tenant == tenant)
            assert cost < (mine_waiting + 1) * largest + largest, (job, order)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("AB"), st.sampled_from([1.0, 4.0])), min_size=2, max_size=40),
    st.sampled_from([(1.0, 1.0), (2.0, 1.0), (1.0, 0.5)]),
)
def test_two_busy_tenants_get_model_time_by_weight_within_one_quantum_and_one_job(jobs, weights):
    """All queued at once, mixed costs: whenever both still have work, the cost each has run,
    divided by its weight, differs by less than the quantum plus the largest job over the smaller
    weight (deficit round robin's bound; the quantum is the largest cost queued)."""
    weight = dict(zip("AB", weights, strict=True))
    queue = FairQueue(lambda job: job.tenant, lambda job: job.cost, weight.__getitem__)
    for n, (tenant, cost) in enumerate(jobs):
        queue.push(_J(tenant, cost, n))
    largest = max(cost for _, cost in jobs)
    left = {t: sum(c for tt, c in jobs if tt == t) for t in "AB"}
    ran = {"A": 0.0, "B": 0.0}
    while len(queue):
        job = queue.pop()
        if left["A"] > 0 and left["B"] > 0:
            assert abs(ran["A"] / weight["A"] - ran["B"] / weight["B"]) < largest + largest / min(weights)
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


def _turn_by_turn(jobs: list[_J], weight: dict[str, float]) -> list[_J]:
    """Deficit round robin as written down, one turn at a time, for jobs all queued at once."""
    quantum = max(job.cost for job in jobs)
    lines = {tenant: [job for job in jobs if job.tenant == tenant] for tenant in dict.fromkeys(j.tenant for j in jobs)}
    ring, credit, order = list(lines), dict.fromkeys(lines, 0.0), []
    while ring:
        tenant = ring.pop(0)
        credit[tenant] += quantum * weight[tenant]
        while lines[tenant] and credit[tenant] >= lines[tenant][0].cost:
            credit[tenant] -= lines[tenant][0].cost
            order.append(lines[tenant].pop(0))
        if lines[tenant]:
            ring.append(tenant)
    return order


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("ABC"), st.sampled_from([1.0, 2.0, 3.0])), min_size=1, max_size=30),
    st.fixed_dictionaries({t: st.sampled_from([0.25, 0.5, 1.0, 2.0]) for t in "ABC"}),
)
def test_the_order_is_deficit_round_robin_turn_by_turn(jobs, weight):
    """Rounds in which no token's credit reaches its next job are added at once, not turned one by
    one; the order is the one turning them gives."""
    queue = FairQueue(lambda job: job.tenant, lambda job: job.cost, weight.__getitem__)
    queued = [_J(tenant, cost, n) for n, (tenant, cost) in enumerate(jobs)]
    for job in queued:
        queue.push(job)
    assert list(queue) == _turn_by_turn(queued, weight)


def test_a_tiny_weight_runs_without_a_million_empty_turns():
    """Weights 2e and e with e = 2**-20: about a million turns pass before any credit reaches a job;
    each token's next job runs when its credit, growing at its weight's rate, reaches its cost (A
    first on a tie: it is ahead in the ring)."""
    weights = {"A": 2.0**-19, "B": 2.0**-20}
    queue = FairQueue(lambda job: job.tenant, lambda job: job.cost, weights.__getitem__)
    for tenant, costs in {"A": [1.0, 3.0, 1.0, 2.0, 1.0], "B": [2.0, 2.0, 1.0, 3.0]}.items():
        for n, cost in enumerate(costs):
            queue.push(_J(tenant, cost, n))
    # Credit needed, in A's units: A 1, 4, 5, 7, 8; B (half as fast) 4, 8, 10, 16.
    assert [repr(queue.pop()) for _ in range(len(queue))] == ["A0", "A1", "B0", "A2", "A3", "A4", "B1", "B2", "B3"]


def test_a_cancelled_job_leaves_the_order_and_an_emptied_tenant_rejoins_at_the_back():
    queue = FairQueue(lambda job: job.tenant, lambda job: job.cost)
    a0, a1, b0, c0 = _J("A", 1.0, 0), _J("A", 1.0, 1), _J("B", 1.0, 0), _J("C", 1.0, 0)
    for job in (a0, b0, c0):
        queue.push(job)
    assert queue.remove(b0) and not queue.remove(b0) and list(queue) == [a0, c0]
    queue.push(b0)  # B has nothing waiting: it joins behind C
    queue.push(a1)
    assert list(queue) == [a0, c0, b0, a1] and len(queue) == 4
    assert [queue.pop(), queue.pop(), queue.pop()] == [a0, c0, b0]
    # A's turn is the one just taken (a1): A's next job waits for its next turn, behind a tenant
    # that joins before the next job is chosen, though the queue was empty in between.
    a2 = _J("A", 1.0, 2)
    assert queue.pop() is a1 and not len(queue)
    queue.push(a2)
    queue.push(c0)
    assert list(queue) == [c0, a2]


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


def test_a_job_that_joins_another_tokens_batch_is_charged_to_its_own_turns(tiny_engine):
    """B's job that rode in A's batch counts as B's turn: A's next job runs before B's next, and a
    B that then had nothing waiting keeps the debt for its next job."""
    from obclip.engine.spec import DenoiseSpec

    spec = DenoiseSpec(("a cat", "a dog"), steps=3, switch_step=2, seed=1)
    policy = BatchPolicy(max_rows=8)  # two jobs of 4 rows

    def batch(queue: FairQueue) -> list[_J]:
        return queue.pop_batch(lambda job: spec, tiny_engine.model, policy, lambda jobs: True)

    queue = FairQueue(lambda job: job.tenant, lambda job: job.cost)
    a = [_J("A", 1.0, i) for i in range(3)]
    b = [_J("B", 1.0, i) for i in range(3)]
    for job in [*a[:2], *b]:
        queue.push(job)
    assert list(queue) == [a[0], b[0], a[1], b[1], b[2]]
    assert batch(queue) == [a[0], b[0]]
    assert list(queue) == [a[1], b[1], b[2]]  # not b[1] first: b[0] used B's turn

    queue = FairQueue(lambda job: job.tenant, lambda job: job.cost)
    for job in [*a, b[0]]:
        queue.push(job)
    assert batch(queue) == [a[0], b[0]]
    queue.push(b[1])  # B had nothing waiting, and owes one job
    assert list(queue) == [a[1], b[1], a[2]]


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
