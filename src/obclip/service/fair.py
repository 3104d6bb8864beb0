"""`FairQueue`: the order jobs of different tenants (tokens) run in, by start-time fair queueing on cost.

Pure bookkeeping, no threads or clocks: `service.jobs.JobQueue` holds one under its lock. Each
tenant's jobs keep their arrival order; across tenants the next job is the one whose virtual
start tag is smallest, so a tenant that has nothing queued runs next whatever another has waiting.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any

from obclip.engine.batching import BatchPolicy, take_batch
from obclip.engine.spec import DenoiseSpec


@dataclass(order=True)
class _Entry:
    start: float
    rank: int  # the tenant's jobs already waiting when this one arrived
    seq: int
    job: Any = field(compare=False)
    tenant: Hashable = field(compare=False, default=None)


class FairQueue:
    """Start-time fair queueing (Goyal et al., 1996) over tenants, weighted by each job's cost.

    A job of cost c from tenant t gets the start tag S = max(V, F[t]) and F[t] = S + c / w[t],
    where V is the start tag of the last job taken to run and F[t] the finish tag of t's previous
    job. Jobs are taken in order of S; among equal tags, the job that had fewer of its tenant's jobs
    waiting ahead of it when it arrived goes first, then the earlier. Every waiting tag is at least
    V, so a tenant with nothing queued starts within one job's cost of V, and busy tenants with jobs
    of equal cost alternate: a job waits behind at most two jobs of each other tenant of the same
    cost, plus one for each of its own tenant's jobs ahead of it (a property test checks this).
    Two, not one, is start-time fair queueing's own bound: V is the tag of the job last taken, so a
    tenant whose job ran in the current round starts its next one a round later than a tenant that
    arrives now ("A0 runs, C1 runs, then B2, B5 and A6 wait": B's two jobs run before A6).

    Args:
        tenant_of: the tenant a job belongs to.
        cost_of: the job's estimated cost (MACs); a cost <= 0 counts as 1.
        weight_of: a tenant's share relative to others (default 1 for all).
    """

    def __init__(
        self,
        tenant_of: Callable[[Any], Hashable],
        cost_of: Callable[[Any], float],
        weight_of: Callable[[Hashable], float] = lambda tenant: 1.0,
    ) -> None:
        self._tenant_of = tenant_of
        self._cost_of = cost_of
        self._weight_of = weight_of
        self._entries: list[_Entry] = []  # kept sorted by (start, rank, seq)
        self._finish: dict[Hashable, float] = {}
        self._waiting: dict[Hashable, int] = {}
        self._virtual = 0.0
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Any]:
        """Waiting jobs in the order they would run (batching aside)."""
        return (entry.job for entry in self._entries)

    def push(self, job: Any) -> None:
        tenant = self._tenant_of(job)
        start = max(self._virtual, self._finish.get(tenant, 0.0))
        self._finish[tenant] = start + max(self._cost_of(job), 1.0) / max(self._weight_of(tenant), 1e-9)
        rank = self._waiting.get(tenant, 0)
        self._waiting[tenant] = rank + 1
        entry = _Entry(start, rank, next(self._seq), job, tenant)
        # Insert in order; a new tag is never below the tags of jobs taken already.
        index = len(self._entries)
        while index > 0 and self._entries[index - 1] > entry:
            index -= 1
        self._entries.insert(index, entry)

    def remove(self, job: Any) -> bool:
        """Take a waiting job out (its client left); False if it is not waiting."""
        for index, entry in enumerate(self._entries):
            if entry.job is job:
                del self._entries[index]
                self._left(entry.tenant)
                self._forget_idle()
                return True
        return False

    def pop(self) -> Any:
        """The next job alone (no batching)."""
        entry = self._entries.pop(0)
        self._left(entry.tenant)
        self._virtual = max(self._virtual, entry.start)
        self._forget_idle()
        return entry.job

    def pop_batch(
        self, spec_of: Callable[[Any], DenoiseSpec], model: Any, policy: BatchPolicy, fits: Callable[[list[Any]], bool]
    ) -> list[Any]:
        """The next job and the waiting jobs that can share its UNet calls, in fair order.

        `engine.batching.take_batch` decides compatibility and the row caps; `fits(batch)` may
        refuse a longer batch (the batch must still finish within the running deadline).
        """
        if not self._entries:
            return []
        head = self._entries[0]
        chosen: list[Any] = [head.job]
        if policy.enabled:
            candidates = [entry.job for entry in self._entries]
            batch = take_batch(candidates, spec_of, model, policy)  # head first, the rest in fair order
            for job in batch[1:]:
                if fits([*chosen, job]):
                    chosen.append(job)
        taken = {id(job) for job in chosen}
        self._virtual = max(self._virtual, head.start)
        for entry in self._entries:
            if id(entry.job) in taken:
                self._left(entry.tenant)
        self._entries = [entry for entry in self._entries if id(entry.job) not in taken]
        self._forget_idle()
        return chosen

    def _left(self, tenant: Hashable) -> None:
        count = self._waiting.get(tenant, 0) - 1
        if count > 0:
            self._waiting[tenant] = count
        else:
            self._waiting.pop(tenant, None)

    def _forget_idle(self) -> None:
        # A tenant whose finish tag is behind V starts at V anyway: forget it (the map stays small).
        if len(self._finish) > 64:
            self._finish = {tenant: tag for tenant, tag in self._finish.items() if tag > self._virtual}
