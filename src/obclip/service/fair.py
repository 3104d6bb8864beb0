"""`FairQueue`: the order jobs of different tenants (tokens) run in, by deficit round robin on cost.

Pure bookkeeping, no threads or clocks: `service.jobs.JobQueue` holds one under its lock. Each
tenant's jobs keep their arrival order; tenants take turns, a newly active one joining at the back.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from obclip.engine.batching import BatchPolicy, take_batch
from obclip.engine.spec import DenoiseSpec

#: Idle tenants whose debt (cost run early in another's batch) is remembered, at most.
_MAX_DEBTS = 256


class _Rounds:
    """The round-robin state: what `FairQueue` mutates, and copies to read its run order ahead."""

    def __init__(self) -> None:
        # The tenants in the ring and their waiting jobs (with costs), in order; every line holds
        # a job but the one of the tenant whose turn it is, which keeps the turn once its line is
        # empty until the next job is chosen.
        self.jobs: dict[Hashable, deque[tuple[Any, float]]] = {}
        self.ring: deque[Hashable] = deque()  # ring[0] has (or gets next) the turn
        self.credit: dict[Hashable, float] = {}  # the ring's tenants' unspent credit (negative: debt)
        self.in_turn = False  # ring[0] has had its quantum for the turn in progress
        self.quantum = 0.0  # the largest cost queued since the queue was last empty
        self.debt: dict[Hashable, float] = {}  # debts of tenants out of the ring, oldest first

    def copy(self) -> _Rounds:
        other = _Rounds()
        other.jobs = {tenant: deque(jobs) for tenant, jobs in self.jobs.items()}
        other.ring = deque(self.ring)
        other.credit = dict(self.credit)
        other.in_turn = self.in_turn
        other.quantum = self.quantum
        return other  # without the debts: nothing joins while the copy runs

    def add(self, tenant: Hashable, job: Any, cost: float) -> None:
        """`tenant`'s job joins its line; a tenant out of the ring joins it at the back."""
        self.quantum = max(self.quantum, cost)
        if tenant not in self.jobs:
            self.jobs[tenant] = deque()
            self.ring.append(tenant)
            self.credit[tenant] = self.debt.pop(tenant, 0.0)
        self.jobs[tenant].append((job, cost))

    def take(self, weight: Callable[[Hashable], float]) -> tuple[Any, Hashable]:
        """Run the turns until a tenant's credit covers its next job; take that job (cost charged).
        Some tenant must have a job waiting."""
        while True:
            tenant = self.ring[0]
            line = self.jobs[tenant]
            if self.in_turn:
                if line and self.credit[tenant] >= line[0][1]:
                    job, cost = line.popleft()
                    self.credit[tenant] -= cost
                    if not line:
                        self.emptied(tenant)
                    return job, tenant
                self.in_turn = False  # the turn is spent: to the back with the credit left, or out
                if line:
                    self.ring.rotate(-1)
                else:
                    self._drop(tenant)
                continue
            self._skip_empty_rounds(weight)
            self.credit[tenant] += self.quantum * weight(tenant)
            self.in_turn = True

    def _skip_empty_rounds(self, weight: Callable[[Hashable], float]) -> None:
        # Whole rounds in which no tenant's credit would reach its next job's cost (low weights,
        # debts) change nothing but the credits: add them at once instead of turn by turn.
        rounds = math.inf
        for tenant in self.ring:
            short = self.jobs[tenant][0][1] - self.credit[tenant]
            rounds = min(rounds, math.ceil(short / (self.quantum * weight(tenant))) - 1)
            if rounds <= 0:
                return
        for tenant in self.ring:
            self.credit[tenant] += rounds * self.quantum * weight(tenant)

    def charge(self, tenant: Hashable, job: Any) -> None:
        """`job` runs now in another tenant's turn: out of its line, its cost on its tenant's credit."""
        line = self.jobs[tenant]
        for index, (waiting, cost) in enumerate(line):
            if waiting is job:
                del line[index]
                self.credit[tenant] -= cost
                if not line:
                    self.emptied(tenant)
                return
        raise ValueError(f"{job!r} is not waiting")

    def emptied(self, tenant: Hashable) -> None:
        """`tenant` has nothing waiting: spare credit lapses (a debt stays); it leaves the ring,
        or, holding the turn, leaves when the turn ends."""
        self.credit[tenant] = min(self.credit[tenant], 0.0)
        if not (self.in_turn and self.ring[0] == tenant):
            self._drop(tenant)

    def _drop(self, tenant: Hashable) -> None:
        self.ring.remove(tenant)
        del self.jobs[tenant]
        credit = self.credit.pop(tenant)
        if credit < 0:
            self.debt[tenant] = credit
            while len(self.debt) > _MAX_DEBTS:
                del self.debt[next(iter(self.debt))]  # the oldest debt lapses

    def reset(self) -> None:
        """Nothing waits, so nobody was wronged by a job that ran early any more: debts lapse. The
        tenant whose turn it is keeps it (a job it sends now waits for its next turn)."""
        self.debt.clear()
        self.credit = dict.fromkeys(self.credit, 0.0)
        self.quantum = 0.0


class FairQueue:
    """Deficit round robin (Shreedhar & Varghese, 1995) over tenants, weighted by each job's cost.

    The tenants with jobs waiting form a ring, in the order they became active; a tenant with
    nothing waiting is out of it, and its next job puts it at the back. At its turn a tenant's
    credit grows by Q * w (the quantum Q times its weight w) and it runs its next jobs while the
    credit covers their cost; the rest stays for its next turn (spare credit lapses once it has
    nothing waiting) and the turn passes on. Q is the largest cost queued since the queue was last
    empty, so every turn of a weight-1 tenant runs at least one job. A turn ends when the next job
    is chosen: a tenant whose last waiting job was just taken still holds it, so a job it sends
    meanwhile waits for its next turn, behind every tenant then in the ring.

    A job "waits behind" the jobs of other tenants that start after it arrives and before it
    starts. Batching aside, it runs in the (m + 1)-th turn of its tenant that starts after it
    arrives at the latest, m being its tenant's jobs waiting then, and between two turns of one
    tenant every other tenant has at most one. So when all jobs cost the same and weights are equal
    (Q is that cost, a turn runs one job) a job waits behind at most m + 1 jobs of each other
    tenant, whatever they have queued: one, for a job whose tenant has nothing else waiting. With
    unequal costs each other tenant runs less than (m + 1) * Q plus one job of cost ahead of it, Q
    being the largest cost queued meanwhile; two tenants that stay busy get run cost, divided by
    weight, within less than Q + the largest cost / the smaller weight of each other. Property
    tests check all three.

    Batching (`pop_batch`): the batch is the job whose turn it is plus compatible jobs behind it in
    this order. A job that joins early is charged to its own tenant's credit, which may go into debt
    that the tenant's later turns repay (kept while it has nothing waiting, until the queue is
    empty), so riding in another tenant's batch gives no tenant more than its share.

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
        self._rounds = _Rounds()
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Any]:
        """Waiting jobs in the order they would run (batching aside)."""
        return (job for job, _ in self._order())

    def push(self, job: Any) -> None:
        """Queue `job` behind its tenant's waiting jobs (a tenant out of the ring joins at the back)."""
        self._rounds.add(self._tenant_of(job), job, max(self._cost_of(job), 1.0))
        self._count += 1

    def remove(self, job: Any) -> bool:
        """Take a waiting job out (its client left); False if it is not waiting."""
        for tenant, jobs in self._rounds.jobs.items():
            for index, (waiting, _) in enumerate(jobs):
                if waiting is job:
                    del jobs[index]
                    self._count -= 1
                    if not jobs:
                        self._rounds.emptied(tenant)
                    self._forget_if_empty()
                    return True
        return False

    def pop(self) -> Any:
        """The next job alone (no batching)."""
        if not self._count:
            raise IndexError("pop from an empty FairQueue")
        job, _ = self._rounds.take(self._weight)
        self._count -= 1
        self._forget_if_empty()
        return job

    def pop_batch(
        self, spec_of: Callable[[Any], DenoiseSpec], model: Any, policy: BatchPolicy, fits: Callable[[list[Any]], bool]
    ) -> list[Any]:
        """The next job and the waiting jobs that can share its UNet calls, in fair order.

        `engine.batching.take_batch` decides compatibility and the row caps; `fits(batch)` may
        refuse a longer batch (the batch must still finish within the running deadline). A job
        that joins is charged to its own tenant's credit (see the class docstring).
        """
        if not self._count:
            return []
        chosen: list[Any] = [self.pop()]
        if policy.enabled and self._count:
            candidates = [chosen[0], *(job for job, _ in self._order())]
            batch = take_batch(candidates, spec_of, model, policy)  # head first, the rest in fair order
            for job in batch[1:]:
                if fits([*chosen, job]):
                    chosen.append(job)
            for job in chosen[1:]:
                self._rounds.charge(self._tenant_of(job), job)
                self._count -= 1
            self._forget_if_empty()
        return chosen

    def _order(self) -> Iterator[tuple[Any, Hashable]]:
        rounds = self._rounds.copy()
        for _ in range(self._count):
            yield rounds.take(self._weight)

    def _weight(self, tenant: Hashable) -> float:
        return max(self._weight_of(tenant), 1e-9)

    def _forget_if_empty(self) -> None:
        if not self._count:
            self._rounds.reset()
