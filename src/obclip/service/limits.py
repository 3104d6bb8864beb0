"""`Limits`: the hard bounds an obclip server puts on one request, with their safe defaults.

Standard library only, so the CLI can show the defaults without importing the server.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from obclip.errors import InvalidInputError


@dataclass(frozen=True)
class Limits:
    """What one `POST /v1/denoise` may ask for; anything beyond is a 4xx before any model work.

    Args:
        max_candidates: N, prompts per request.
        max_steps: T, the length of the schedule (the switch step k is at most T).
        max_size: largest image side in pixels (sides are multiples of 8).
        max_prompt_chars: characters per candidate; the text encoder's token limit applies too.
        max_guidance: largest classifier-free guidance scale.
        max_body_bytes: request body, checked while it is read (with or without Content-Length).
        queue_size: jobs that may wait behind the running one; beyond that the answer is 503.
        retry_after_s: the `Retry-After` a 503 suggests.
    """

    max_candidates: int = 64
    max_steps: int = 100
    max_size: int = 1024
    max_prompt_chars: int = 1000
    max_guidance: float = 50.0
    max_body_bytes: int = 1 << 20
    queue_size: int = 8
    retry_after_s: int = 1

    def __post_init__(self) -> None:
        minimum = {"queue_size": 0, "retry_after_s": 0, "max_size": 8, "max_body_bytes": 64}
        for name, value in asdict(self).items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
                raise InvalidInputError(f"limit {name} must be a number, got {value!r}")
            if value < minimum.get(name, 1):
                raise InvalidInputError(f"limit {name} must be at least {minimum.get(name, 1)}, got {value}")
        if self.max_size % 8:
            raise InvalidInputError(f"limit max_size must be a multiple of 8, got {self.max_size}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
