"""The server's job queue batches compatible waiting requests; each answer is the request's own."""

from __future__ import annotations

import json
import threading
import time

import pytest
from fastapi.testclient import TestClient

from obclip.engine import DenoiseSpec, DenoiseState
from obclip.engine.batching import BatchPolicy
from obclip.service.limits import Limits
from obclip.service.protocol import BATCH_REQUESTS_HEADER, BATCH_ROWS_HEADER
from obclip.service.server import ServiceConfig, create_app

from .conftest import TINY

LIMITS = Limits(max_candidates=4, max_steps=4, max_size=64, queue_size=8, token_max_jobs=9, throughput_gmacs=1.0)


def payload(seed: int, **change) -> dict:
    request = {"candidates": [f"a cat {seed}", f"a dog {seed}"], "steps": 4, "switch_step": 3, "seed": seed}
    return {"scheduler": "dpmsolver++", "guidance": 5.0, **request, **change}


class Gated:
    """The real engine behind a gate: the first batch waits (stepping) until `gate` opens,
    so the requests sent meanwhile queue up behind it. `fail_seed` makes any batch holding it raise."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.model = engine.model
        self.gate = threading.Event()
        self.batches: list[list[int]] = []
        self.fail_seed: int | None = None

    def check(self, spec) -> None:
        self.engine.check(spec)

    def run(self, spec, *, on_step=None, checked=False) -> DenoiseState:
        return self.run_batch([spec], on_step=on_step, checked=checked)[0]

    def run_batch(self, specs, *, on_step=None, checked=False) -> list[DenoiseState]:
        self.batches.append([spec.seed for spec in specs])
        deadline = time.monotonic() + 300  # only a safety net: every test opens the gate
        while not self.gate.wait(0.01) and time.monotonic() < deadline:
            if on_step is not None:
                on_step(0)
        if self.fail_seed in {spec.seed for spec in specs}:
            raise RuntimeError("a broken request")
        return self.engine.run_batch(specs, on_step=on_step, checked=checked)


@pytest.fixture
def gated(tiny_engine) -> Gated:
    return Gated(tiny_engine)


def serve(engine, batching: BatchPolicy | None = None) -> TestClient:
    config = ServiceConfig(large=TINY, limits=LIMITS, batching=batching or BatchPolicy())
    return TestClient(create_app(config, engine=engine))


def send_while_gated(client: TestClient, gated: Gated, payloads: list[dict]) -> list:
    """Send the payloads one by one, each once the one before has queued (the first runs and
    waits at the gate), then open the gate."""
    answers: list = [None] * len(payloads)

    def send(i: int) -> None:
        answers[i] = client.post(
            "/v1/denoise", content=json.dumps(payloads[i]).encode(), headers={"Content-Type": "application/json"}
        )

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(payloads))]
    for count, thread in enumerate(threads, 1):
        thread.start()
        deadline = time.monotonic() + 120
        while not (gated.batches and client.app.state.jobs.depth >= count):
            assert time.monotonic() < deadline, f"request {count} never reached the queue"
            time.sleep(0.01)
    gated.gate.set()
    for thread in threads:
        thread.join(120)
    return answers


def lone(tiny_engine, request: dict) -> DenoiseState:
    fields = {k: v for k, v in request.items() if k != "candidates"}
    return tiny_engine.run(DenoiseSpec(tuple(request["candidates"]), **fields))


def test_waiting_compatible_requests_run_as_one_batch_each_getting_its_own_answer(gated, tiny_engine):
    payloads = [payload(1), payload(2), payload(3), payload(4, switch_step=2), payload(5)]
    with serve(gated) as client:
        answers = send_while_gated(client, gated, payloads)
    # The running job alone; then the oldest waiting one with every compatible one; then the other.
    assert gated.batches == [[1], [2, 3, 5], [4]]
    assert [a.status_code for a in answers] == [200] * 5
    assert answers[1].headers[BATCH_REQUESTS_HEADER] == "3" and answers[1].headers[BATCH_ROWS_HEADER] == "12"
    assert answers[3].headers[BATCH_REQUESTS_HEADER] == "1" and answers[3].headers[BATCH_ROWS_HEADER] == "4"
    for request, answer in zip(payloads, answers, strict=True):
        state = DenoiseState.from_bytes(answer.content)
        want = lone(tiny_engine, request)
        assert state.metadata["seed"] == request["seed"] and state.num_candidates == 2
        assert float((state.latents - want.latents).norm() / want.latents.norm()) <= 1e-5
        for name, tensor in want.history.items():
            # relative to the whole tensor: a batched matmul may round one element of a
            # 43-sized map 5e-5 apart on another CPU (1.5e-4 of that element, 8e-7 of the norm),
            # while a row from another request would be off by the order of the norm itself
            assert float((state.history[name] - tensor).norm() / tensor.norm()) <= 1e-5, name


def test_a_failing_request_does_not_fail_the_others_in_its_batch(gated):
    gated.fail_seed = 3
    with serve(gated) as client:
        answers = send_while_gated(client, gated, [payload(1), payload(2), payload(3), payload(5)])
    assert [a.status_code for a in answers] == [200, 200, 500, 200]
    assert answers[2].json()["error"]["code"] == "internal_error"
    # The batch [2, 3, 5] failed, so each of its requests ran again alone.
    assert gated.batches == [[1], [2, 3, 5], [2], [3], [5]]


def test_batching_off_runs_one_request_per_unet_call(gated):
    with serve(gated, BatchPolicy(enabled=False)) as client:
        answers = send_while_gated(client, gated, [payload(1), payload(2), payload(3)])
    assert [a.status_code for a in answers] == [200] * 3
    assert gated.batches == [[1], [2], [3]]
    assert all(a.headers[BATCH_REQUESTS_HEADER] == "1" for a in answers)


def test_row_cap_splits_a_queue_of_compatible_requests(gated):
    with serve(gated, BatchPolicy(max_rows=8)) as client:  # two requests of 2 guided candidates
        answers = send_while_gated(client, gated, [payload(1), payload(2), payload(3), payload(5)])
    assert [a.status_code for a in answers] == [200] * 4
    assert gated.batches == [[1], [2, 3], [5]]


def spec_of(request: dict) -> DenoiseSpec:
    fields = {k: v for k, v in request.items() if k != "candidates"}
    return DenoiseSpec(tuple(request["candidates"]), **fields)


def test_a_job_stopped_inside_a_batch_leaves_the_others_their_answers(gated):
    """Cancelled (client gone) and late (past its deadline) jobs are answered with their errors;
    the batch runs on for the job still wanted, and stops early once none is."""
    from obclip.errors import DeadlineExceededError, JobCancelledError
    from obclip.service.jobs import JobQueue, JobResult

    queue = JobQueue(gated, LIMITS, throughput=1e9, batching=BatchPolicy())
    queue.start()
    try:
        first = queue.submit(spec_of(payload(1)), 1.0)
        deadline = time.monotonic() + 120
        while not gated.batches:
            assert time.monotonic() < deadline, "the first batch never started"
            time.sleep(0.01)
        kept, gone, late = (queue.submit(spec_of(payload(seed)), 1.0) for seed in (2, 3, 5))
        gone.cancel()
        late.deadline = time.monotonic() - 1
        gated.gate.set()
        assert isinstance(first.future.result(120), JobResult)
        assert isinstance(kept.future.result(120), JobResult)
        assert kept.future.result().batch_requests == 3
        with pytest.raises(JobCancelledError):
            gone.future.result(120)
        with pytest.raises(DeadlineExceededError):
            late.future.result(120)
        assert gated.batches == [[1], [2, 3, 5]]

        gated.gate.clear()
        a, b = (queue.submit(spec_of(payload(seed)), 1.0) for seed in (6, 7))
        deadline = time.monotonic() + 120
        while len(gated.batches) < 3:
            assert time.monotonic() < deadline, "the second batch never started"
            time.sleep(0.01)
        a.cancel()
        b.cancel()
        for job in (a, b):
            with pytest.raises(JobCancelledError):
                job.future.result(120)
        # The running batch stopped at its next step once none of its jobs was wanted (the gate
        # never opened); a job gone before its batch started never reached the engine.
        assert len(gated.batches) == 3 and queue.depth == 0
    finally:
        gated.gate.set()
        queue.stop()
