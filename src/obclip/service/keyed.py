"""`KeyedJobs`: jobs sent with an `Idempotency-Key`, so that the same key and bytes run once.

A client behind a proxy that times out (a 504 while the job still runs here) resends the same
request with the same key; the resend waits for the job already queued or running, or gets its
answer if it has finished, instead of running it again. Keys are per tenant (one token cannot
touch another's job); the same key with other bytes is a 422. Event-loop only (not thread-safe).
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from obclip.service.jobs import Job
from obclip.service.protocol import IdempotencyMismatchError


@dataclass
class Keyed:
    """One keyed job: who sent it, what was sent, and how many requests wait for it now."""

    job: Job
    digest: bytes
    created: float = field(default_factory=time.monotonic)
    waiters: int = 0
    timer: asyncio.TimerHandle | None = None


class KeyedJobs:
    """The keyed jobs of one server, newest `capacity` kept (finished ones for `keep_s` seconds).

    Args:
        grace_s: how long a keyed job whose clients have all gone stays queued or running,
            waiting for a resend, before it is cancelled like any abandoned job.
        keep_s: how long a keyed job is remembered after it was sent (its answer with it).
        capacity: most keyed jobs remembered; the oldest finished one is forgotten first.
    """

    def __init__(self, grace_s: float = 30.0, keep_s: float = 600.0, capacity: int = 256) -> None:
        self.grace_s = grace_s
        self.keep_s = keep_s
        self.capacity = capacity
        self._jobs: collections.OrderedDict[tuple[str, str], Keyed] = collections.OrderedDict()

    def __len__(self) -> int:
        return len(self._jobs)

    def find(self, tenant: str, key: str, body: bytes) -> Keyed | None:
        """The job this tenant sent with `key` before, if remembered; 422 if the body differs."""
        self._expire()
        held = self._jobs.get((tenant, key))
        if held is None:
            return None
        if held.digest != hashlib.sha256(body).digest():
            raise IdempotencyMismatchError("this Idempotency-Key was sent before with a different request")
        if held.job.cancelled.is_set() and not held.job.future.done():
            return None  # cancelled before it ran: run it anew
        if held.timer is not None:
            held.timer.cancel()
            held.timer = None
        return held

    def add(self, tenant: str, key: str, body: bytes, job: Job) -> Keyed:
        held = Keyed(job, hashlib.sha256(body).digest())
        self._jobs[(tenant, key)] = held
        self._jobs.move_to_end((tenant, key))
        while len(self._jobs) > self.capacity:
            oldest = next((k for k, v in self._jobs.items() if v.job.future.done()), next(iter(self._jobs)))
            del self._jobs[oldest]
        return held

    def release_later(self, held: Keyed, cancel: Callable[[Job], None]) -> None:
        """No client waits for `held` now: cancel its job after the grace time unless one comes back."""
        if held.waiters > 0 or held.job.future.done():
            return

        def maybe_cancel() -> None:
            held.timer = None
            if held.waiters == 0 and not held.job.future.done():
                cancel(held.job)

        if held.timer is not None:
            held.timer.cancel()
        held.timer = asyncio.get_running_loop().call_later(self.grace_s, maybe_cancel)

    def _expire(self) -> None:
        now = time.monotonic()
        while self._jobs:
            key, held = next(iter(self._jobs.items()))
            if now - held.created < self.keep_s or not held.job.future.done():
                break
            del self._jobs[key]
