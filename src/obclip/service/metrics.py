"""The server's Prometheus metrics and the ASGI middleware that counts every answer.

Server errors (`obclip_server_errors_total`: a bug or a broken model, HTTP 500) are counted apart
from what clients and load cause: overload (`obclip_overloaded_total`, 503), clients that went
away (`obclip_client_aborts_total`) and refused requests (`obclip_errors_total` by code). Per
tenant (`tenant` label: a token's label from the token file or its hash, `anonymous` without
tokens; never a token): denoise answers by status, jobs by outcome, work waiting or running.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily

_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    """The app's metrics, in a registry of its own (several apps may share a process)."""

    def __init__(
        self,
        depth: Callable[[], float],
        queued_macs: Callable[[], float],
        by_tenant: Callable[[], dict[str, tuple[int, float]]] = dict,
    ) -> None:
        self.registry = registry = CollectorRegistry()
        self.requests = Counter("obclip_requests", "HTTP requests answered", ["endpoint", "status"], registry=registry)
        self.errors = Counter("obclip_errors", "error answers by error code", ["code"], registry=registry)
        self.server_errors = Counter(
            "obclip_server_errors", "answers that are the server's fault (HTTP 500)", registry=registry
        )
        self.overloaded = Counter("obclip_overloaded", "requests refused with 503 for load", registry=registry)
        self.client_aborts = Counter(
            "obclip_client_aborts",
            "clients that went away: mid-upload, or while their job waited or ran",
            ["stage"],
            registry=registry,
        )
        self.jobs = Counter("obclip_jobs", "denoise jobs by how they ended", ["outcome"], registry=registry)
        self.latency = Histogram(
            "obclip_request_seconds", "time from request to answer", ["endpoint"], buckets=_SECONDS, registry=registry
        )
        self.model_seconds = Histogram(
            "obclip_model_seconds", "model time per denoise job", buckets=_SECONDS[1:], registry=registry
        )
        self.queue_depth = Gauge("obclip_queue_depth", "denoise jobs waiting or running", registry=registry)
        self.queue_depth.set_function(depth)
        self.queued_tmacs = Gauge(
            "obclip_queued_tmacs", "cost of the jobs waiting or running, in 10^12 MACs", registry=registry
        )
        self.queued_tmacs.set_function(lambda: queued_macs() / 1e12)
        self.throughput = Gauge(
            "obclip_throughput_gmacs", "model speed used for estimates (10^9 MAC/s)", registry=registry
        )
        self.tenant_requests = Counter(
            "obclip_tenant_requests",
            "denoise answers by tenant and HTTP status",
            ["tenant", "status"],
            registry=registry,
        )
        self.tenant_jobs = Counter(
            "obclip_tenant_jobs", "denoise jobs by tenant and how they ended", ["tenant", "outcome"], registry=registry
        )
        registry.register(_TenantQueue(by_tenant))

    def job_ended(self, outcome: str, model_s: float, tenant: str = "") -> None:
        self.jobs.labels(outcome).inc()
        self.tenant_jobs.labels(shown_tenant(tenant), outcome).inc()
        if outcome == "done":
            self.model_seconds.observe(model_s)


def shown_tenant(tenant: str) -> str:
    """A tenant as metrics and the log show it: a token's label, or `anonymous` (never an address)."""
    return "anonymous" if not tenant or tenant.startswith("addr:") else tenant


class _TenantQueue:
    """`obclip_tenant_queue_jobs` / `obclip_tenant_queued_tmacs`: each tenant's work waiting or running."""

    def __init__(self, by_tenant: Callable[[], dict[str, tuple[int, float]]]) -> None:
        self._by_tenant = by_tenant

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterable[GaugeMetricFamily]:
        jobs = GaugeMetricFamily("obclip_tenant_queue_jobs", "jobs waiting or running by tenant", labels=["tenant"])
        tmacs = GaugeMetricFamily(
            "obclip_tenant_queued_tmacs", "cost waiting or running by tenant (10^12 MACs)", labels=["tenant"]
        )
        totals: dict[str, tuple[int, float]] = {}
        for tenant, (count, cost) in self._by_tenant().items():
            shown = shown_tenant(tenant)
            before = totals.get(shown, (0, 0.0))
            totals[shown] = (before[0] + count, before[1] + cost)
        for shown, (count, cost) in sorted(totals.items()):
            jobs.add_metric([shown], count)
            tmacs.add_metric([shown], cost / 1e12)
        yield jobs
        yield tmacs


class MetricsMiddleware:
    """Counts every HTTP answer by endpoint and status, and its latency (pure ASGI: no body buffering)."""

    def __init__(self, app: Callable[..., Any], metrics: Metrics, routes: Iterable[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = set(routes)

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            path = scope.get("path", "")
            endpoint = path if path in self.routes else "other"
            self.metrics.requests.labels(endpoint, str(status["code"])).inc()
            tenant = (scope.get("state") or {}).get("tenant")
            if tenant is not None and endpoint.endswith("/denoise"):
                self.metrics.tenant_requests.labels(shown_tenant(tenant), str(status["code"])).inc()
            self.metrics.latency.labels(endpoint).observe(time.perf_counter() - started)
