"""`DenoiseSpec`: what the cloud is asked to do for one request, its defaults and its checks.

Everything in a spec is public: the candidate set and options that are the same whichever
candidate is the user's. The true index never appears here. Every check of a request's meaning
is `DenoiseSpec.validate` (the server adds only its size and cost limits); the defaults (T, k,
guidance) come from `obclip.defaults`.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from obclip.defaults import DEFAULT_GUIDANCE as DEFAULT_GUIDANCE  # re-exported
from obclip.defaults import DEFAULT_STEPS as DEFAULT_STEPS
from obclip.defaults import DEFAULT_SWITCH_STEP as DEFAULT_SWITCH_STEP
from obclip.engine.schedulers import scheduler_class
from obclip.errors import InvalidInputError, check_int
from obclip.options import PublicOptions

MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class DenoiseSpec(PublicOptions):
    """A cloud request: run steps [0, switch_step) of a `steps`-step schedule on every candidate.

    Its options are `obclip.options.PublicOptions` (T, k, scheduler, guidance, size, negative
    prompt, accelerations); a spec adds the candidates and the seed.

    Args:
        candidates: the candidate prompts in wire order.
        seed: seed of the one initial noise shared by all candidates.
        steps, switch_step, scheduler, guidance, height, width, negative_prompt, accel: as
            `PublicOptions`; the negative prompt is public (the cloud reads it), so the device
            refuses one that states a sensitive attribute (`obclip.api.plan`).
    """

    candidates: tuple[str, ...]
    seed: int = field(default=0, kw_only=True)

    @classmethod
    def of(cls, candidates: Sequence[str], options: PublicOptions, *, seed: int) -> DenoiseSpec:
        """The request for `candidates` with `options` (every public option carried over)."""
        values = {f.name: getattr(options, f.name) for f in fields(PublicOptions)}
        return cls(tuple(candidates), seed=seed, **values)

    def __post_init__(self) -> None:
        object.__setattr__(self, "candidates", tuple(self.candidates))
        self.validate()

    @property
    def num_candidates(self) -> int:
        return len(self.candidates)

    @property
    def guided(self) -> bool:
        return self.guidance > 1.0

    def validate(self) -> None:
        """Raise `InvalidInputError` with a one-line reason unless the spec can run."""
        if not self.candidates:
            raise InvalidInputError("no candidate prompt given")
        for index, prompt in enumerate(self.candidates):
            _check_prompt(index, prompt)
        if len(set(self.candidates)) != len(self.candidates):
            raise InvalidInputError("candidate prompts must be distinct")
        if not isinstance(self.negative_prompt, str):
            raise InvalidInputError("the negative prompt must be a string")
        if self.negative_prompt:
            _check_prompt("negative prompt", self.negative_prompt)
        check_int("steps", self.steps, minimum=1)
        check_int("switch step", self.switch_step, minimum=0)
        scheduler_class(self.scheduler)
        if (
            isinstance(self.guidance, bool)
            or not isinstance(self.guidance, (int, float))
            or not math.isfinite(self.guidance)
            or self.guidance < 0
        ):
            raise InvalidInputError(f"guidance must be a finite number >= 0, got {self.guidance!r}")
        for name in ("height", "width"):
            value = getattr(self, name)
            check_int(name, value, minimum=8, optional=True)
            if value is not None and value % 8:
                raise InvalidInputError(f"{name} {value} is not a multiple of 8")
        self.check_numbers()  # declared bounds (`obclip.options.Option`) and switch step <= steps
        check_int("seed", self.seed, minimum=0)
        if self.seed > MAX_SEED:
            raise InvalidInputError(f"seed must be below 2**63, got {self.seed}")

    def candidates_digest(self) -> str:
        """SHA-256 over the candidates in wire order; the cloud echoes it to prove the row order."""
        digest = hashlib.sha256()
        for prompt in self.candidates:
            digest.update(prompt.encode("utf-8") + b"\0")
        return digest.hexdigest()

    def public_options(self) -> dict[str, Any]:
        """The options that travel with the request (the seed included), as JSON-able values."""
        return {**super().public_options(), "seed": self.seed}


def _check_prompt(index: int | str, prompt: object) -> None:
    if not isinstance(prompt, str) or not prompt.strip():
        raise InvalidInputError("candidate prompts must be non-empty strings")
    try:
        prompt.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInputError(f"candidate {index} is not valid Unicode text (lone surrogate)") from None
    # Control characters (NUL included) would make the candidates digest ambiguous and mean nothing to a model.
    if any(unicodedata.category(ch) == "Cc" for ch in prompt):
        raise InvalidInputError(f"candidate {index} contains a control character")
