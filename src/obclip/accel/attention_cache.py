"""Attention caching after T-GATE: from `cache_step` on, self-attention is bypassed and
cross-attention outputs are cached and refreshed every `cache_interval` steps.

Installed as a `ModelHook` around each diffusers `Attention` module's forward.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from diffusers.hooks.hooks import BaseState, ModelHook

from obclip.accel._common import (
    _ATTENTION_CLASSES,
    ATTENTION_CACHE_HOOK,
    InstalledHook,
    check_choice,
    check_int,
)

if TYPE_CHECKING:
    from obclip.accel.session import AccelSession

SELF_ATTENTION_MODES = ("drop", "reuse")


@dataclass
class AttentionCacheConfig:
    r"""
    Configuration for attention caching (T-GATE style).

    Args:
        cache_step (`int`, defaults to `3`):
            r. On global steps `i >= cache_step` the caching applies; before it attention runs as usual.
        cache_interval (`int`, defaults to `5`):
            Cross-attention is recomputed (and stored) on steps `r, r + cache_interval, ...` and on the first
            step that finds no usable cache; every other step from r on reuses the stored output.
        self_attention (`str`, defaults to `"drop"`):
            `"drop"`: from r on, self-attention contributes nothing (the block adds a zero residual; the
            paper's "bypassed"). `"reuse"`: its output at step r - 1 is stored and added on every later step.
    """

    cache_step: int = 3
    cache_interval: int = 5
    self_attention: str = "drop"

    def validate(self) -> None:
        check_int("attention_cache.cache_step", self.cache_step, minimum=0)
        check_int("attention_cache.cache_interval", self.cache_interval, minimum=1)
        check_choice("attention_cache.self_attention", self.self_attention, SELF_ATTENTION_MODES)


class AttentionCacheState(BaseState):
    """Stored attention outputs by module name, and the batch rows they were computed for."""

    def __init__(self) -> None:
        self.outputs: dict[str, torch.Tensor] = {}
        self.rows: dict[str, int | None] = {"self": None, "cross": None}
        self.modules: dict[str, str] = {}  # hooked module name -> "self" | "cross"

    def reset(self) -> None:
        self.outputs.clear()
        self.rows = {"self": None, "cross": None}

    def clear(self, kind: str) -> None:
        """Forget the stored outputs of `kind` (a refresh step is about to store new ones)."""
        for name in [n for n in self.outputs if self.modules.get(n) == kind]:
            del self.outputs[name]
        self.rows[kind] = None

    def uncached(self, kind: str) -> tuple[str, ...]:
        """Hooked modules of `kind` without a stored output."""
        return tuple(sorted(n for n, k in self.modules.items() if k == kind and n not in self.outputs))


def plan_attention_cache(
    config: AttentionCacheConfig | None, state: AttentionCacheState, step: int, rows: int
) -> tuple[str, str, tuple[str, ...]]:
    """(self-attention mode, cross-attention mode, uncached modules) for `step` on `rows` rows.

    A module whose block was skipped when the cache was filled has nothing stored; on a `"reuse"`
    step it computes and stores its output if it runs (listed in the third item). A
    `"compute_store"` step first forgets the kind's stored outputs, so a reuse never returns an
    output older than the latest refresh.
    """
    if config is None:
        return "compute", "compute", ()
    r = config.cache_step
    if step < r:
        keep_self = config.self_attention == "reuse" and step == r - 1
        if keep_self:
            state.clear("self")
        return ("compute_store" if keep_self else "compute"), "compute", ()
    if config.self_attention == "drop":
        self_mode = "drop"
    else:
        self_mode = "reuse" if state.rows["self"] == rows else "compute_store"
    refresh = (step - r) % config.cache_interval == 0
    cross_mode = "reuse" if not refresh and state.rows["cross"] == rows else "compute_store"
    for kind, mode in (("self", self_mode), ("cross", cross_mode)):
        if mode == "compute_store":
            state.clear(kind)
    uncached = tuple(
        name
        for kind, mode in (("self", self_mode), ("cross", cross_mode))
        if mode == "reuse"
        for name in state.uncached(kind)
    )
    return self_mode, cross_mode, uncached


class AttentionCacheHook(ModelHook):
    """Runs, drops or replays one attention module's output according to the session's step plan."""

    _is_stateful = True

    def __init__(self, session: AccelSession, state: AttentionCacheState, name: str, kind: str) -> None:
        super().__init__()
        self.session = session
        self.state = state
        self.name = name
        self.kind = kind

    def new_forward(self, module: torch.nn.Module, hidden_states: torch.Tensor, *args: Any, **kwargs: Any):
        plan = self.session.plan
        mode = plan.self_attention if self.kind == "self" else plan.cross_attention
        if mode == "compute":
            return self.fn_ref.original_forward(hidden_states, *args, **kwargs)
        if mode == "drop":
            # Attention output of zeros: `attn_output + hidden_states` in the transformer block adds nothing.
            if getattr(module, "residual_connection", False):
                return hidden_states / module.rescale_output_factor
            if hidden_states.ndim == 3:
                return hidden_states.new_zeros((*hidden_states.shape[:2], module.out_dim))
            return torch.zeros_like(hidden_states)
        if mode == "reuse" and self.name in self.state.outputs:
            cached = self.state.outputs[self.name]
            if cached.shape[:2] != hidden_states.shape[:2]:
                raise RuntimeError(f"attention cache for {self.name} has shape {tuple(cached.shape)}")
            return cached
        output = self.fn_ref.original_forward(hidden_states, *args, **kwargs)
        self.state.outputs[self.name] = output
        self.state.rows[self.kind] = plan.rows
        return output

    def reset_state(self, module: torch.nn.Module) -> torch.nn.Module:
        self.state.reset()
        return module


def apply_attention_cache(
    unet: torch.nn.Module, config: AttentionCacheConfig, session: AccelSession, state: AttentionCacheState
) -> list[InstalledHook]:
    """Hook every diffusers `Attention` module of `unet`; returns the handles for removal."""
    handles = []
    for name, module in unet.named_modules():
        if isinstance(module, _ATTENTION_CLASSES):
            kind = "cross" if module.is_cross_attention else "self"
            state.modules[name] = kind
            hook = AttentionCacheHook(session, state, name, kind)
            handles.append(InstalledHook(module, hook, ATTENTION_CACHE_HOOK))
    return handles
