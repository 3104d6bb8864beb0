"""`JobQueue`: the server's model work, one job at a time on a worker thread, admitted by cost.

The queue holds at most `queue_size` waiting jobs and at most `max_queued_tmacs` of cost waiting
or running; beyond either a new job is a 503 whose `Retry-After` is the queued cost over the
measured throughput. A job is stopped between denoising steps, and before each UNet block inside
a step, when its client has gone (`Job.cancel`) or its deadline has passed; a cancelled job that
has not started never runs.
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

from obclip.engine.batching import BatchPolicy, take_batch, unet_rows
from obclip.engine.spec import DenoiseSpec
from obclip.errors import DeadlineExceededError, JobCancelledError, ObclipError, StateError
from obclip.service.limits import Limits
from obclip.service.protocol import InternalError, OverloadedError

log = logging.getLogger("obclip.service")

#: Admission estimates assume the model runs this many times slower than measured.
ESTIMATE_MARGIN = 2.0

#: How a job ended, as counted in `/metrics` (`obclip_jobs_total{outcome}`).
OUTCOMES = ("done", "cancelled_queued", "cancelled_running", "deadline", "failed")


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
    deadline: float
    queued_at: float = field(default_factory=time.monotonic)
    future: concurrent.futures.Future = field(default_factory=concurrent.futures.Future)
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
            raise DeadlineExceededError(f"the job passed the server's deadline per job; stopped {where}")


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
    """A worker thread running one batch at a time from a queue bounded by count and by cost.

    A batch is the oldest waiting job and the waiting jobs that can share its UNet calls
    (`engine.batching.take_batch`); a job that arrives while a batch runs waits for the next.

    Args:
        engine: anything with `run(spec, *, on_step, checked)` returning an object with `to_bytes()`,
            and `run_batch(specs, *, on_step, checked)` for batches (without it, jobs run alone).
        limits: queue size, queued-cost budget, deadline per job, smallest Retry-After.
        throughput: MAC/s used for Retry-After and run-time estimates until jobs measure it.
        record: called with each job's outcome (one of `OUTCOMES`) and its model seconds.
        batching: the caps on a batch (`BatchPolicy(enabled=False)`: one job at a time).
    """

    def __init__(
        self,
        engine: Any,
        limits: Limits,
        throughput: float,
        record: Callable[[str, float], None] = lambda outcome, seconds: None,
        batching: BatchPolicy | None = None,
    ) -> None:
        self.engine = engine
        self.batching = batching or BatchPolicy()
        if not hasattr(engine, "run_batch"):
            self.batching = BatchPolicy(enabled=False)
        self.limits = limits
        self.throughput = throughput
        self._follow = limits.throughput_gmacs == 0  # a fixed throughput is not updated
        self._record = record
        self._pending: collections.deque[Job] = collections.deque()
        self._running: list[Job] = []  # the batch that runs
        self._cost = 0.0  # waiting and running
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    # -- what the app reads --

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

    def is_running(self, job: Job) -> bool:
        with self._cond:
            return any(running is job for running in self._running)

    def estimate_s(self, cost: float) -> float:
        """Seconds a job of `cost` MACs may run here: twice what the measured speed says, since
        large latents run slower per MAC than the small forward the speed is measured on
        (1.5-2x on CPU for the embedded models); the deadline stops what still runs over."""
        return ESTIMATE_MARGIN * cost / self.throughput

    def retry_after(self, extra: float = 0.0) -> int:
        """Seconds until the queued cost (plus `extra`) should have drained, at least `retry_after_s`."""
        wait = math.ceil((self.queued_cost + extra) / self.throughput)
        return int(min(max(wait, self.limits.retry_after_s, 1), 3600))

    # -- lifecycle --

    def start(self) -> None:
        with self._cond:
            self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="obclip-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopping = True
            pending, self._pending = list(self._pending), collections.deque()
            running = list(self._running)
            self._cost = sum(job.cost for job in running)
            self._cond.notify_all()
        for job in running:
            job.cancel()
        for job in pending:
            job.future.set_exception(JobCancelledError("the server is shutting down", "shutdown"))
        if self._thread is not None:
            self._thread.join(timeout)

    # -- admission and cancellation --

    def submit(self, spec: DenoiseSpec, cost: float) -> Job:
        """Queue a job or raise `OverloadedError` at once; never blocks."""
        limits = self.limits
        job = Job(spec, cost, time.monotonic() + limits.job_deadline_s)
        with self._cond:
            waiting = len(self._pending)
            busy = bool(self._running) or waiting > 0
            full = waiting >= limits.queue_size and busy
            over = busy and self._cost + cost > limits.max_queued_tmacs * 1e12
            if not full and not over:
                self._pending.append(job)
                self._cost += cost
                self._cond.notify_all()
                return job
        why = "the job queue is full" if full else "the queued work is over this server's budget"
        raise OverloadedError(f"{why}; retry later", self.retry_after())

    def cancel(self, job: Job) -> None:
        """The client has gone: drop the job if it waits, stop it at the next step if it runs."""
        job.cancel()
        with self._cond:
            try:
                self._pending.remove(job)
            except ValueError:
                return  # running, or already done
            self._cost -= job.cost
        self._record("cancelled_queued", 0.0)
        job.future.set_exception(JobCancelledError("the client went away before the job ran"))

    # -- the worker --

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                batch = take_batch(self._pending, _spec_of, self.engine.model, self.batching)
                self._running = batch
            results = self._run(batch)
            if len(batch) > 1 and any(outcome == "failed" for outcome, _, _ in results):
                # One failure must not decide another request's answer: each runs again alone.
                results = [self._run([job])[0] for job in batch]
            # The jobs leave the books before their clients hear back, so an answered client never
            # sees its own job still counted in /healthz or /metrics.
            with self._cond:
                self._running = []
                self._cost -= sum(job.cost for job in batch)
                if not self._pending and not self._running:
                    self._cost = 0.0  # no float drift when idle
            done = [(job, s) for job, (outcome, _, s) in zip(batch, results, strict=True) if outcome == "done"]
            for outcome, _, model_s in results:
                self._record(outcome, model_s)
            cost, model_s = sum(job.cost for job, _ in done), max((s for _, s in done), default=0.0)
            if self._follow and model_s > 0 and cost > 0:
                self.throughput = 0.5 * self.throughput + 0.5 * (cost / model_s)
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
