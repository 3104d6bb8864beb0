"""The accelerations obclip knows, in one tuple; config, session, flags, eval and bench iterate it.

Adding one is a new module exporting `TECHNIQUE = Technique(...)` and one entry here
(docs/accelerations.md, "Adding an acceleration"). The order is the order of `AccelConfig.names`, of the
wire form and of hook installation.
"""

from __future__ import annotations

from typing import Any

from obclip.accel import attention_cache, batch_reuse, block_skip, candidate_basis, shared_uncond
from obclip.accel._common import Technique

TECHNIQUES: tuple[Technique[Any, Any, Any], ...] = (
    batch_reuse.TECHNIQUE,
    attention_cache.TECHNIQUE,
    block_skip.TECHNIQUE,
    shared_uncond.TECHNIQUE,
    candidate_basis.TECHNIQUE,
)


def techniques() -> tuple[Technique[Any, Any, Any], ...]:
    """The registered techniques (read at call time, so a test can register one with monkeypatch)."""
    return TECHNIQUES


def technique(name: str) -> Technique[Any, Any, Any]:
    """The technique called `name`; `KeyError` if none is."""
    for t in techniques():
        if t.name == name:
            return t
    raise KeyError(name)
