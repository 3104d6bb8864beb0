"""`JobQueue`: the server's model work, one batch at a time on a worker thread, admitted by cost
and ordered fairly across tokens.

The queue holds at most `queue_size` waiting jobs and at most `max_queued_tmacs` of cost waiting
or running; beyond either a new job is a 503 whose `Retry-After` is the queued cost over the
measured speed. Each token (tenant) has its own share on top: jobs at once, queued cost and
requests a minute; beyond its share a job is a 429, whatever room the server has. Jobs run in
deficit round robin over tenants (`service.fair`), so one token's backlog delays another token's
next job by at most one turn of the backlogged token (one job when costs are equal) and the batch
that runs. A job is stopped between denoising steps, and
before each UNet block inside a step, when its client has gone (`Job.cancel`) or it has run past
its deadline (counted from when it starts running); a cancelled job that has not started never runs.
This module is the one place that knows how jobs reach the engine.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch

from obclip.engine.batching import BatchPolicy, unet_rows
from obclip.engine.spec import DenoiseSpec
from obclip.errors import DeadlineExceededError, JobCancelledError, ObclipError, StateError
from obclip.service.cost import SpeedEstimate
from obclip.service.fair import FairQueue
from obclip.service.limits import Limits
from obclip.service.protocol import InternalError, OverloadedError, OverShareError

log = logging.getLogger("obclip.service")

#: Admission estimates assume the model runs this many times slower than measured.
ESTIMATE_MARGIN = 2.0

#: How a job ended, as counted in `/metrics` (`obclip_jobs_total{outcome}`).
OUTCOMES = ("done", "cancelled_queued", "cancelled_running", "deadline", "failed")


@dataclass(frozen=True)
class Share:
    """One tenant's share of the server: its limits (429 beyond) and its weight in the fair order.

    Args:
        max_jobs: jobs waiting or running at once.
        max_queued_macs: MACs waiting or running.
        requests_per_minute: admitted requests in any 60 s (0: no limit).
        weight: model time relative to other tenants' when all are busy.
    """

    max_jobs: int
    max_queued_macs: float
    requests_per_minute: int = 0
    weight: float = 1.0

    @classmethod
    def from_limits(cls, limits: Limits) -> Share:
        return cls(limits.token_max_jobs, limits.token_max_queued_tmacs * 1e12, limits.token_requests_per_minute)


@dataclass
class _Tenant:
    jobs: int = 0
    cost: float = 0.0
    admitted: collections.deque[float] = field(default_factory=collections.deque)  # admission times, last 60 s


@dataclass
class JobResult:
    """A finished job: the answer body and where its time went."""

    body: bytes
    model_s: float
    queue_s: float
    batch_rows: int = 0  # UNet rows per call of the batch the job ran in
    batch_requests: int = 1  # jobs in that batch


@dataclass
class Job:
    """One queued request. `cancel()` may be called from any thread at any time."""

    spec: DenoiseSpec
    cost: float
    deadline: float = math.inf  # set when the job starts running
    tenant: str = ""
    queued_at: float = field(default_factory=time.monotonic)
    future: concurrent.futures.Future[Any] = field(default_factory=concurrent.futures.Future)
    cancelled: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self.cancelled.set()

    def check(self, step: int = -1) -> None:
        """The engine's `on_step` (and the UNet blocks' pre-hook, step -1): stop here if the client
        has gone or the deadline has passed."""
        where = f"before step {step}" if step >= 0 else "inside a step"
        if self.cancelled.is_set():
            raise JobCancelledError(f"the client went away; stopped {where}")
        if time.monotonic() > self.deadline:
            raise DeadlineExceededError(f"the job ran past the server's deadline per job; stopped {where}")


#: UNet submodules before which a running job may be stopped (diffusers' block and layer classes).
#: One attention call itself cannot be interrupted: keeping single steps short is admission's job.
_STOP_POINTS = ("Block2D", "Transformer2DModel", "BasicTransformerBlock", "Attention")


@contextlib.contextmanager
def interruptible(unet: Any, check: Callable[[int], None]) -> Iterator[None]:
    """Call `check(-1)` before each block and transformer layer of `unet` while the context is open,
    so one long denoising step (a huge latent) can be stopped too, not only the gaps between steps.
    The hooks only read a flag and the clock; outputs are unchanged, and they are removed on exit."""
    if not isinstance(unet, torch.nn.Module):
        yield
        return
    handles = [
        module.register_forward_pre_hook(lambda module, args: check(-1))
        for module in unet.modules()
        if type(module).__name__.endswith(_STOP_POINTS)
    ]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


class JobQueue:
    """A worker thread running one batch at a time from a fair queue bounded by count and by cost.

    A batch is the next job in fair order (`service.fair.FairQueue`) and the waiting jobs that
    can share its UNet calls (`engine.batching.take_batch`) while the batch's estimated run time
    stays within the deadline; a job that arrives while a batch runs waits for the next.

    Args:
        engine: anything with `run(spec, *, on_step, checked)` returning an object with `to_bytes()`,
            and `run_batch(specs, *, on_step, checked)` for batches (without it, jobs run alone).
        limits: queue size, queued-cost budget, per-token shares, deadline per job, smallest Retry-After.
        throughput: MAC/s for estimates: a `SpeedEstimate`, or a number (a fixed speed when
            `limits.throughput_gmacs` is set, else the first sample of a moving estimate).
        record: called with each job's outcome (one of `OUTCOMES`), its model seconds and its tenant.
        batching: the caps on a batch (`BatchPolicy(enabled=False)`: one job at a time).
    """

    def __init__(
        self,
        engine: Any,
        limits: Limits,
        throughput: float | SpeedEstimate,
        record: Callable[..., None] = lambda outcome, seconds, tenant="": None,
        batching: BatchPolicy | None = None,
    ) -> None:
        self.engine = engine
        self.batching = batching or BatchPolicy()
        if not hasattr(engine, "run_batch"):
            self.batching = BatchPolicy(enabled=False)
        self.limits = limits
        if isinstance(throughput, SpeedEstimate):
            self.speed = throughput
        else:
            self.speed = SpeedEstimate([throughput], fixed=limits.throughput_gmacs > 0)
        self._record = record
        self._default_share = Share.from_limits(limits)
        self._shares: dict[str, Share] = {}
        self._tenants: dict[str, _Tenant] = {}
        self._pending = FairQueue(lambda job: job.tenant, lambda job: job.cost, self._weight)
        self._running: list[Job] = []  # the batch that runs
        self._cost = 0.0  # waiting and running
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    # -- what the app reads --

    @property
    def throughput(self) -> float:
        """MAC/s admission plans with now (`SpeedEstimate.current`)."""
        return self.speed.current

    @throughput.setter
    def throughput(self, value: float) -> None:
        self.speed.set(value)

    @property
    def depth(self) -> int:
        """Jobs waiting plus the ones running."""
        with self._cond:
            return len(self._pending) + len(self._running)

    @property
    def queued_cost(self) -> float:
        """MACs of the jobs waiting and running."""
        with self._cond:
            return self._cost

    def by_tenant(self) -> dict[str, tuple[int, float]]:
        """(jobs, MACs) waiting or running, per tenant that has any."""
        with self._cond:
            return {name: (t.jobs, t.cost) for name, t in self._tenants.items() if t.jobs}

    def is_running(self, job: Job) -> bool:
        with self._cond:
            return any(running is job for running in self._running)

    def estimate_s(self, cost: float, speed: float | None = None) -> float:
        """Seconds a job of `cost` MACs may run here: twice what the speed says (`speed`, default
        the current estimate), since large latents run slower per MAC than the small forward the
        speed is measured on (1.5-2x on CPU for the embedded models); the deadline stops what
        still runs over."""
        return ESTIMATE_MARGIN * cost / (speed or self.throughput)

    def retry_after(self, extra: float = 0.0) -> int:
        """Seconds until the queued cost (plus `extra`) should have drained, at least `retry_after_s`."""
        return self._seconds(self.queued_cost + extra)

    def _seconds(self, cost: float) -> int:
        wait = math.ceil(cost / self.throughput)
        return int(min(max(wait, self.limits.retry_after_s, 1), 3600))

    def set_share(self, tenant: str, share: Share) -> None:
        """Give `tenant` its own limits and weight (a token file's settings)."""
        self._shares[tenant] = share

    def _weight(self, tenant: Any) -> float:
        return self._shares.get(tenant, self._default_share).weight

    # -- lifecycle --

    def start(self) -> None:
        with self._cond:
            self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="obclip-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopping = True
            pending = list(self._pending)
            for job in pending:
                self._pending.remove(job)
                self._leave(job)
            running = list(self._running)
            self._cond.notify_all()
        for job in running:
            job.cancel()
        for job in pending:
            job.future.set_exception(JobCancelledError("the server is shutting down", "shutdown"))
        if self._thread is not None:
            self._thread.join(timeout)

    # -- admission and cancellation --

    def submit(self, spec: DenoiseSpec, cost: float, tenant: str = "") -> Job:
        """Queue a job or raise at once (never blocks): `OverShareError` (429) when `tenant` is
        over its share, `OverloadedError` (503) when the server is full."""
        limits = self.limits
        share = self._shares.get(tenant, self._default_share)
        job = Job(spec, cost, tenant=tenant)
        now = time.monotonic()
        with self._cond:
            mine = self._tenants.setdefault(tenant, _Tenant())
            while mine.admitted and mine.admitted[0] <= now - 60.0:
                mine.admitted.popleft()
            if mine.jobs and mine.jobs >= share.max_jobs:
                raise OverShareError(
                    f"this token has {mine.jobs} jobs waiting or running, its share is {share.max_jobs}; retry later",
                    self._seconds(mine.cost),
                )
            if mine.jobs and mine.cost + cost > share.max_queued_macs:
                raise OverShareError(
                    f"this token's queued work ({mine.cost / 1e12:.3g} TMAC) and this request's would pass its "
                    f"share of {share.max_queued_macs / 1e12:g} TMAC; retry later",
                    self._seconds(mine.cost),
                )
            if share.requests_per_minute and len(mine.admitted) >= share.requests_per_minute:
                wait = math.ceil(mine.admitted[0] + 60.0 - now)
                raise OverShareError(
                    f"this token has sent {len(mine.admitted)} requests in the last minute, "
                    f"its share is {share.requests_per_minute}; retry later",
                    int(min(max(wait, 1), 60)),
                )
            waiting = len(self._pending)
            busy = bool(self._running) or waiting > 0
            full = waiting >= limits.queue_size and busy
            over = busy and self._cost + cost > limits.max_queued_tmacs * 1e12
            if not full and not over:
                self._pending.push(job)
                self._cost += cost
                mine.jobs += 1
                mine.cost += cost
                if share.requests_per_minute:
                    mine.admitted.append(now)
                self._cond.notify_all()
                return job
        why = "the job queue is full" if full else "the queued work is over this server's budget"
        raise OverloadedError(f"{why}; retry later", self.retry_after())

    def _leave(self, job: Job) -> None:
        """Take a job off the books (under the lock)."""
        self._cost -= job.cost
        tenant = self._tenants.get(job.tenant)
        if tenant is not None:
            tenant.jobs -= 1
            tenant.cost = tenant.cost - job.cost if tenant.jobs else 0.0
            if not tenant.jobs and not tenant.admitted:
                del self._tenants[job.tenant]
        if not len(self._pending) and not self._running:
            self._cost = 0.0  # no float drift when idle

    def cancel(self, job: Job) -> None:
        """The client has gone: drop the job if it waits, stop it at the next step if it runs."""
        job.cancel()
        with self._cond:
            if not self._pending.remove(job):
                return  # running, or already done
            self._leave(job)
        self._record("cancelled_queued", 0.0, job.tenant)
        job.future.set_exception(JobCancelledError("the client went away before the job ran"))

    # -- the worker --

    def _fits(self, batch: list[Job]) -> bool:
        """A batch may grow while its estimated run time stays within the deadline per job."""
        return self.estimate_s(sum(job.cost for job in batch)) <= self.limits.job_deadline_s

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not len(self._pending) and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                batch = self._pending.pop_batch(_spec_of, self.engine.model, self.batching, self._fits)
                deadline = time.monotonic() + self.limits.job_deadline_s
                for job in batch:
                    job.deadline = min(job.deadline, deadline)
                self._running = batch
            results = self._run(batch)
            if len(batch) > 1 and any(outcome == "failed" for outcome, _, _ in results):
                # One failure must not decide another request's answer: each runs again alone.
                results = []
                for job in batch:
                    job.deadline = max(job.deadline, time.monotonic() + self.limits.job_deadline_s)
                    results.append(self._run([job])[0])
            # The jobs leave the books before their clients hear back, so an answered client never
            # sees its own job still counted in /healthz or /metrics.
            with self._cond:
                self._running = []
                for job in batch:
                    self._leave(job)
            done = [(job, s) for job, (outcome, _, s) in zip(batch, results, strict=True) if outcome == "done"]
            for job, (outcome, _, model_s) in zip(batch, results, strict=True):
                self._record(outcome, model_s, job.tenant)
            if len(done) == len(batch):
                accelerated = any(job.spec.accel is not None and job.spec.accel.enabled for job in batch)
                self.speed.observe(sum(job.cost for job in batch), max(s for _, s in done), accelerated)
            for job, (_, value, _) in zip(batch, results, strict=True):
                try:
                    if isinstance(value, BaseException):
                        job.future.set_exception(value)
                    else:
                        job.future.set_result(value)
                except concurrent.futures.InvalidStateError:  # resolved already (stop() during the run)
                    pass

    def _run(self, batch: list[Job]) -> list[tuple[str, Any, float]]:
        """Run a batch in one engine call; (outcome, JobResult or error, model seconds) per job.

        A job whose client has gone or whose deadline has passed is stopped at the next step
        boundary: its rows run on with the batch (they are not taken out of a running batch),
        and the batch stops once no job in it is still wanted.
        """
        started = time.monotonic()
        stopped: dict[int, tuple[str, BaseException]] = {}

        def on_step(step: int) -> None:
            for job in batch:
                if id(job) in stopped:
                    continue
                try:
                    job.check(step)
                except JobCancelledError as exc:
                    stopped[id(job)] = ("cancelled_running", exc)
                except DeadlineExceededError as exc:
                    stopped[id(job)] = ("deadline", exc)
            if len(stopped) == len(batch):
                raise _BatchStopped

        def everyone(outcome: str, error: BaseException, seconds: float) -> list[tuple[str, Any, float]]:
            return [(outcome, error, seconds) for _ in batch]

        try:
            on_step(0)
            specs = [job.spec for job in batch]
            with interruptible(getattr(getattr(self.engine, "model", None), "unet", None), on_step):
                if len(batch) == 1:
                    states = [self.engine.run(specs[0], on_step=on_step, checked=True)]
                else:
                    states = self.engine.run_batch(specs, on_step=on_step, checked=True)
            model_s = time.monotonic() - started
            bodies = [
                None if id(job) in stopped else state.to_bytes() for job, state in zip(batch, states, strict=True)
            ]
        except _BatchStopped:
            model_s = time.monotonic() - started
            return [(*stopped[id(job)], model_s) for job in batch]
        except StateError as exc:
            log.error("denoise job failed: %s", exc)
            return everyone("failed", InternalError(f"the cloud failed to run the request: {exc}"), 0.0)
        except ObclipError as exc:
            return everyone("failed", exc, 0.0)
        except Exception as exc:  # a worker failure (a bug, out of memory) must not kill the server
            log.exception("denoise job failed unexpectedly")
            return everyone("failed", InternalError(f"the cloud failed to run the request ({type(exc).__name__})"), 0.0)
        rows = sum(unet_rows(job.spec) for job in batch)
        results: list[tuple[str, Any, float]] = []
        for job, body in zip(batch, bodies, strict=True):
            if body is None:
                results.append((*stopped[id(job)], model_s))
            else:
                result = JobResult(body, model_s, started - job.queued_at, rows, len(batch))
                results.append(("done", result, model_s))
        return results


class _BatchStopped(Exception):
    """Every job of a running batch was cancelled or ran past its deadline."""


def _spec_of(job: Job) -> DenoiseSpec:
    return job.spec
