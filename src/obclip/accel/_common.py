"""Shared pieces of the acceleration hooks: batch layout, step plan, hook names, class tuples.

Nothing here holds request state; `session.py` owns that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import torch
from diffusers.models.attention_processor import Attention, AttnProcessor, AttnProcessor2_0

from obclip.errors import InvalidInputError

# Modules the attention hooks go on, and the processors whose maths batch reuse re-implements.
_ATTENTION_CLASSES = (Attention,)
_REUSABLE_PROCESSORS = (AttnProcessor2_0, AttnProcessor)

# Direct children of a UNet2DConditionModel that block skipping hooks.
_DOWN_BLOCK_RE = re.compile(r"^down_blocks\.(\d+)$")
_UP_BLOCK_RE = re.compile(r"^up_blocks\.(\d+)$")
_MID_BLOCK_NAME = "mid_block"

# Hook names in diffusers' HookRegistry (one per technique, so removal is symmetric).
SESSION_HOOK = "obclip_session"
ATTENTION_CACHE_HOOK = "obclip_attention_cache"
BLOCK_SKIP_HOOK = "obclip_block_skip"
SHARED_UNCOND_HOOK = "obclip_shared_uncond"

ATTENTION_KINDS = ("self", "cross", "both")


@dataclass(frozen=True)
class BatchLayout:
    """How the candidates sit in the UNet batch.

    Args:
        num_candidates (`int`):
            N, the number of candidate prompts.
        guidance (`bool`, defaults to `True`):
            With classifier-free guidance the UNet batch is 2N rows
            `[uncond_0..uncond_{N-1}, cond_0..cond_{N-1}]` (diffusers' order); without, N rows `[cond_0..]`.
    """

    num_candidates: int
    guidance: bool = True

    def __post_init__(self) -> None:
        check_int("num_candidates", self.num_candidates, minimum=1)
        if not isinstance(self.guidance, bool):
            raise InvalidInputError(f"guidance must be a bool, got {self.guidance!r}")

    @property
    def rows(self) -> int:
        """Rows of the UNet batch the engine passes in."""
        return 2 * self.num_candidates if self.guidance else self.num_candidates


@dataclass(frozen=True)
class StepPlan:
    """What every installed hook does on one step; computed by `AccelSession.begin_step`.

    `groups` are `(start, count)` row ranges of the batch the UNet body actually runs on, one per
    guidance half; the pivot of a group is its first row. Modes: attention `"compute"`,
    `"compute_store"` (compute and keep for later steps), `"drop"` (contributes nothing), `"reuse"`
    (a stored output); blocks `"full"`, `"full_store"`, `"skip"`. `uncached` names the attention
    modules a `"reuse"` mode has no stored output for (their block was skipped when the cache was
    filled): if they run, they compute and store.
    """

    step: int
    rows: int
    groups: tuple[tuple[int, int], ...]
    shared_uncond: bool = False
    batch_reuse: str | None = None
    self_attention: str = "compute"
    cross_attention: str = "compute"
    blocks: str = "full"
    block_branch: int | None = None
    uncached: tuple[str, ...] = ()

    @property
    def writes_cache(self) -> bool:
        """True when a forward on this step stores something later steps read."""
        stores = "compute_store" in (self.self_attention, self.cross_attention) or self.blocks == "full_store"
        return stores or bool(self.uncached)

    def cost_key(self) -> tuple[Any, ...]:
        """Everything about the step that changes its compute (not what it stores)."""

        def norm(mode: str) -> str:
            return "compute" if mode == "compute_store" else mode

        blocks = f"skip:{self.block_branch}" if self.blocks == "skip" else "full"
        return (
            self.rows,
            self.groups,
            self.batch_reuse,
            norm(self.self_attention),
            norm(self.cross_attention),
            blocks,
            self.uncached,
        )


def check_int(name: str, value: Any, *, minimum: int, optional: bool = False) -> None:
    """Raise `InvalidInputError` unless `value` is an int >= minimum (or None when optional)."""
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise InvalidInputError(f"{name} must be >= {minimum}, got {value}")


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise InvalidInputError(f"{name} must be one of {', '.join(choices)}; got {value!r}")


def batch_size_of(value: Any) -> int | None:
    if isinstance(value, torch.Tensor) and value.ndim >= 1:
        return int(value.shape[0])
    return None


class InstalledHook:
    """One hook registered through diffusers' `HookRegistry`, removable so the module is as before."""

    def __init__(self, module: torch.nn.Module, hook: Any, name: str) -> None:
        from diffusers.hooks.hooks import HookRegistry

        self.module = module
        self.name = name
        self._created_registry = not hasattr(module, "_diffusers_hook")
        self._had_forward_attr = "forward" in module.__dict__
        HookRegistry.check_if_exists_or_initialize(module).register_hook(hook, name)

    def remove(self) -> None:
        registry = self.module._diffusers_hook
        registry.remove_hook(self.name, recurse=False)
        if self._created_registry and not registry.hooks:
            del self.module._diffusers_hook
            if not self._had_forward_attr:
                self.module.__dict__.pop("forward", None)
