"""`JobQueue`: the server's model work, one job at a time on a worker thread, admitted by cost.

The queue holds at most `queue_size` waiting jobs and at most `max_queued_tmacs` of cost waiting
or running; beyond either a new job is a 503 whose `Retry-After` is the queued cost over the
measured throughput. A job is stopped between denoising steps when its client has gone
(`Job.cancel`) or its deadline has passed; a cancelled job that has not started never runs.
This module is the one place that knows how jobs reach the engine.
"""

from __future__ import annotations

import collections
import concurrent.futures
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
        """The engine's `on_step`: stop here if the client has gone or the deadline has passed."""
        if self.cancelled.is_set():
            raise JobCancelledError(f"the client went away; stopped before step {step}")
        if time.monotonic() > self.deadline:
            raise DeadlineExceededError(f"the job passed the server's deadline per job; stopped before step {step}")


class JobQueue:
    """A worker thread running one job at a time from a queue bounded by count and by cost.

    Args:
        engine: anything with `run(spec, *, on_step, checked)` returning an object with `to_bytes()`.
        limits: queue size, queued-cost budget, deadline per job, smallest Retry-After.
        throughput: MAC/s used for Retry-After and run-time estimates until jobs measure it.
        record: called with each job's outcome (one of `OUTCOMES`) and its model seconds.
    """

    def __init__(
        self,
        engine: Any,
        limits: Limits,
        throughput: float,
        record: Callable[[str, float], None] = lambda outcome, seconds: None,
    ) -> None:
        self.engine = engine
        self.limits = limits
        self.throughput = throughput
        self._follow = limits.throughput_gmacs == 0  # a fixed throughput is not updated
        self._record = record
        self._pending: collections.deque[Job] = collections.deque()
        self._running: Job | None = None
        self._cost = 0.0  # waiting and running
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    # -- what the app reads --

    @property
    def depth(self) -> int:
        """Jobs waiting plus the one running."""
        with self._cond:
            return len(self._pending) + (self._running is not None)

    @property
    def queued_cost(self) -> float:
        """MACs of the jobs waiting and running."""
        with self._cond:
            return self._cost

    def is_running(self, job: Job) -> bool:
        with self._cond:
            return self._running is job

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
            running = self._running
            self._cost = running.cost if running is not None else 0.0
            self._cond.notify_all()
        if running is not None:
            running.cancel()
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
            busy = self._running is not None or waiting > 0
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
                job = self._pending.popleft()
                self._running = job
            outcome, value, model_s = self._run(job)
            # The job leaves the books before its client hears back, so an answered client never
            # sees its own job still counted in /healthz or /metrics.
            with self._cond:
                self._running = None
                self._cost -= job.cost
                if not self._pending and not self._running:
                    self._cost = 0.0  # no float drift when idle
            self._record(outcome, model_s)
            if outcome == "done" and self._follow and model_s > 0 and job.cost > 0:
                self.throughput = 0.5 * self.throughput + 0.5 * (job.cost / model_s)
            try:
                if isinstance(value, BaseException):
                    job.future.set_exception(value)
                else:
                    job.future.set_result(value)
            except concurrent.futures.InvalidStateError:  # resolved already (stop() during the run)
                pass

    def _run(self, job: Job) -> tuple[str, Any, float]:
        started = time.monotonic()
        try:
            job.check(0)
            state = self.engine.run(job.spec, on_step=job.check, checked=True)
            model_s = time.monotonic() - started
            body = state.to_bytes()
        except JobCancelledError as exc:
            return "cancelled_running", exc, time.monotonic() - started
        except DeadlineExceededError as exc:
            return "deadline", exc, time.monotonic() - started
        except StateError as exc:
            log.error("denoise job failed: %s", exc)
            return "failed", InternalError(f"the cloud failed to run the request: {exc}"), 0.0
        except ObclipError as exc:
            return "failed", exc, 0.0
        except Exception as exc:  # a worker failure (a bug, out of memory) must not kill the server
            log.exception("denoise job failed unexpectedly")
            error = InternalError(f"the cloud failed to run the request ({type(exc).__name__})")
            return "failed", error, 0.0
        return "done", JobResult(body, model_s, started - job.queued_at), model_s
