"""Attention caching after T-GATE: from `cache_step` on, self-attention is bypassed (or replayed) and
cross-attention outputs are cached and refreshed every `cache_interval` steps.

Installed as a hook (diffusers `HookRegistry`) around each diffusers `Attention` module's forward.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from obclip.accel._common import (
    Hook,
    InstalledHook,
    PlanContext,
    PlanFn,
    Removable,
    StepBatch,
    StepPlan,
    Technique,
    attention_kind,
    attention_modules,
    check_choice,
    check_int,
    setting,
)

if TYPE_CHECKING:
    import torch

NAME = "attention_cache"
SELF_ATTENTION_MODES = ("drop", "reuse")
KINDS = ("self", "cross")


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

    cache_step: int = setting(
        3, "from step r on: self-attention bypassed, cross-attention cached", flag="--cache-step", metavar="r"
    )
    cache_interval: int = setting(
        5, "recompute cached cross-attention every N steps", flag="--cache-interval", metavar="N"
    )
    self_attention: str = setting(
        "drop",
        "self-attention from r on: replay its step r-1 output (reuse) or drop it (the paper's, least faithful)",
        flag="--cache-self-attention",
        choices=SELF_ATTENTION_MODES,
        cli_default="reuse",
    )

    def validate(self) -> None:
        check_int("attention_cache.cache_step", self.cache_step, minimum=0)
        check_int("attention_cache.cache_interval", self.cache_interval, minimum=1)
        check_choice("attention_cache.self_attention", self.self_attention, SELF_ATTENTION_MODES)


@dataclass(frozen=True)
class AttentionCachePlan:
    """Modes per kind: `"compute"`, `"compute_store"` (compute and keep for later steps), `"drop"`
    (contributes nothing), `"reuse"` (a stored output). `uncached`: modules a `"reuse"` mode has no
    current output for (their block was skipped when the cache was filled): if they run, they compute
    and store."""

    self_attention: str = "compute"
    cross_attention: str = "compute"
    uncached: tuple[str, ...] = ()

    def mode(self, kind: str) -> str:
        return self.self_attention if kind == "self" else self.cross_attention


class AttentionCacheState:
    """Stored attention outputs by module name and, per kind, the step batch the current cache is for."""

    def __init__(self) -> None:
        self.modules: dict[str, str] = {}  # hooked module name -> "self" | "cross" (set at install)
        self.reset()

    def reset(self) -> None:
        self.outputs: dict[str, torch.Tensor] = {}
        self.batch: dict[str, StepBatch | None] = dict.fromkeys(KINDS)

    def uncached(self, kind: str) -> tuple[str, ...]:
        """Hooked modules of `kind` without a stored output."""
        return tuple(sorted(n for n, k in self.modules.items() if k == kind and n not in self.outputs))


def plan(config: AttentionCacheConfig, state: AttentionCacheState, ctx: PlanContext) -> AttentionCachePlan | None:
    """The step's modes. A `"compute_store"` kind starts a new cache (see `start_step`), so a reuse
    never returns an output older than the latest refresh."""
    r, step = config.cache_step, ctx.step
    if step < r:
        if config.self_attention == "reuse" and step == r - 1:
            return AttentionCachePlan(self_attention="compute_store")
        return None
    if config.self_attention == "drop":
        self_mode = "drop"
    else:
        self_mode = "reuse" if state.batch["self"] == ctx.batch else "compute_store"
    refresh = (step - r) % config.cache_interval == 0
    cross_mode = "reuse" if not refresh and state.batch["cross"] == ctx.batch else "compute_store"
    uncached = tuple(
        name
        for kind, mode in zip(KINDS, (self_mode, cross_mode), strict=True)
        if mode == "reuse"
        for name in state.uncached(kind)
    )
    return AttentionCachePlan(self_mode, cross_mode, uncached)


def start_step(state: AttentionCacheState, decision: AttentionCachePlan, plan: StepPlan) -> None:
    """A `"compute_store"` kind starts a new cache: its stored outputs are dropped, and the cache is
    for this step's batch."""
    for kind in KINDS:
        if decision.mode(kind) == "compute_store":
            for name in [n for n in state.outputs if state.modules[n] == kind]:
                del state.outputs[name]
            state.batch[kind] = plan.batch


class AttentionCacheHook(Hook):
    """Runs, drops or replays one attention module's output according to the step's plan."""

    def __init__(self, plan_fn: PlanFn, state: AttentionCacheState, name: str, kind: str) -> None:
        self.plan_fn = plan_fn
        self.state = state
        self.name = name
        self.kind = kind

    def forward(
        self,
        module: torch.nn.Module,
        original: Callable[..., Any],
        hidden_states: torch.Tensor,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        decision: AttentionCachePlan | None = self.plan_fn().get(NAME)
        mode = "compute" if decision is None else decision.mode(self.kind)
        if mode == "compute":
            return original(hidden_states, *args, **kwargs)
        if mode == "drop":
            # Attention output of zeros: `attn_output + hidden_states` in the transformer block adds nothing.
            if getattr(module, "residual_connection", False):
                return hidden_states / module.rescale_output_factor
            if hidden_states.ndim == 3:
                return hidden_states.new_zeros((*hidden_states.shape[:2], module.out_dim))
            return hidden_states.new_zeros(hidden_states.shape)
        if mode == "reuse" and (cached := self.state.outputs.get(self.name)) is not None:
            if cached.shape[:2] != hidden_states.shape[:2]:
                raise RuntimeError(f"attention cache for {self.name} has shape {tuple(cached.shape)}")
            return cached
        output = original(hidden_states, *args, **kwargs)
        self.state.outputs[self.name] = output
        return output


def install(
    unet: torch.nn.Module, config: AttentionCacheConfig, state: AttentionCacheState, plan_fn: PlanFn
) -> list[Removable]:
    """Hook every diffusers `Attention` module of `unet`; returns the handles for removal."""
    handles: list[Removable] = []
    for name, module in attention_modules(unet):
        kind = attention_kind(module)
        state.modules[name] = kind
        handles.append(InstalledHook(module, AttentionCacheHook(plan_fn, state, name, kind), f"obclip_{NAME}"))
    return handles


def _writes_cache(decision: AttentionCachePlan) -> bool:
    return "compute_store" in (decision.self_attention, decision.cross_attention) or bool(decision.uncached)


def _cost_key(decision: AttentionCachePlan) -> tuple[str, str, tuple[str, ...]]:
    def compute(mode: str) -> str:
        return "compute" if mode == "compute_store" else mode

    return compute(decision.self_attention), compute(decision.cross_attention), decision.uncached


TECHNIQUE = Technique(
    name=NAME,
    label="caching",
    short="cache",
    config_class=AttentionCacheConfig,
    state_class=AttentionCacheState,
    plan=plan,
    install=install,
    step_fields=("cache_step",),
    start_step=start_step,
    writes_cache=_writes_cache,
    cost_key=_cost_key,
)
