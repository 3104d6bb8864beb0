"""`Limits`: the hard bounds an obclip server puts on a request, a job and a connection, with safe defaults.

Standard library only, so the CLI can show the defaults without importing the server.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from obclip.errors import InvalidInputError


@dataclass(frozen=True)
class Limits:
    """What one `POST /v1/denoise` may ask for, how long it may take, and what a connection may hold.

    Anything beyond a request limit is a 4xx before any model work; see docs/service.md.

    Args:
        max_candidates: N, prompts per request.
        max_steps: T, the length of the schedule (the switch step k is at most T).
        max_size: largest image side in pixels (sides are multiples of 8).
        max_prompt_chars: characters per candidate; the text encoder's token limit applies too.
        max_guidance: largest classifier-free guidance scale.
        max_body_bytes: request body, checked while it is read (with or without Content-Length).
        max_request_tmacs: cost budget of one request, in 10^12 multiply-accumulates of the UNet
            forwards it needs (rows x k x one row's forward at its size, from the MAC counter).
        max_queued_tmacs: total cost of the jobs waiting or running; beyond it a new job is a 503.
        queue_size: jobs that may wait behind the running one; beyond that the answer is 503.
        token_max_jobs: one token's (tenant's) jobs waiting or running at once; beyond it a 429.
        token_max_queued_tmacs: one token's cost waiting or running; beyond it a 429.
        token_requests_per_minute: one token's admitted requests in any 60 s; 0 means no limit.
            The token file may set all three, and a label and weight, per token (`service.tokens`).
        job_deadline_s: a job is stopped (between denoising steps, or inside one) when it has run
            this long; the clock starts when it starts running, not while it waits. A request whose
            estimated run time is longer is refused before queueing.
        throughput_gmacs: the model speed used for estimates (10^9 MAC/s); 0 measures it at start-up
            and follows what unaccelerated jobs achieve (`cost.SpeedEstimate`).
        header_timeout_s: a connection must send a request's headers within this time (idle
            connections included) or is closed.
        body_timeout_s: a request's body must arrive within this time once its headers have.
        keep_alive_s: an idle connection between requests is closed after this time.
        max_connections: connections and requests at once; beyond it the oldest connection that
            has not sent a request head is closed, else the new one is answered 503 (`/healthz` aside).
        max_idle_per_address: connections one client address may hold open without a complete
            request head; a new one beyond it closes that address's oldest such connection.
        retry_after_s: the smallest `Retry-After` a 503 suggests (it grows with the queued cost).
    """

    max_candidates: int = 64
    max_steps: int = 100
    max_size: int = 1024
    max_prompt_chars: int = 6000  # a 750-token prompt (10 chunks of 75) and its weight syntax
    max_guidance: float = 50.0
    max_body_bytes: int = 1 << 20
    max_request_tmacs: float = 1000.0
    max_queued_tmacs: float = 8000.0
    queue_size: int = 8
    token_max_jobs: int = 4
    token_max_queued_tmacs: float = 4000.0
    token_requests_per_minute: int = 0
    job_deadline_s: float = 120.0
    throughput_gmacs: float = 0.0
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    keep_alive_s: float = 5.0
    max_connections: int = 256
    max_idle_per_address: int = 32
    retry_after_s: int = 1

    def __post_init__(self) -> None:
        minimum = {
            "queue_size": 0,
            "retry_after_s": 0,
            "max_size": 8,
            "max_body_bytes": 64,
            "throughput_gmacs": 0,
            "max_request_tmacs": 1e-9,
            "max_queued_tmacs": 1e-9,
            "token_max_queued_tmacs": 1e-9,
            "token_requests_per_minute": 0,
            "job_deadline_s": 0.001,
            "header_timeout_s": 0.001,
            "body_timeout_s": 0.001,
            "keep_alive_s": 0.001,
        }
        for name, value in asdict(self).items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
                raise InvalidInputError(f"limit {name} must be a number, got {value!r}")
            if value < minimum.get(name, 1):
                raise InvalidInputError(f"limit {name} must be at least {minimum.get(name, 1)}, got {value}")
            if value == float("inf"):
                raise InvalidInputError(f"limit {name} must be finite")
        if self.max_size % 8:
            raise InvalidInputError(f"limit max_size must be a multiple of 8, got {self.max_size}")
        if self.max_queued_tmacs < self.max_request_tmacs:
            raise InvalidInputError("limit max_queued_tmacs must be at least max_request_tmacs")
        if self.token_max_queued_tmacs < self.max_request_tmacs:
            raise InvalidInputError("limit token_max_queued_tmacs must be at least max_request_tmacs")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
