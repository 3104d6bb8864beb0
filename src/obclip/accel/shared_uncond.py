"""Shared unconditional branch: on early steps the UNet runs, per candidate group, the pivot's
unconditional row and every conditional row (G + M rows instead of 2M), and the pivot's unconditional
prediction stands in for every candidate of its group. Not in the ObCLIP paper.

Installed as a hook (diffusers `HookRegistry`) around the UNet's forward.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from obclip.accel._common import (
    BatchLayout,
    Hook,
    InstalledHook,
    NoState,
    PlanContext,
    PlanFn,
    Removable,
    StepBatch,
    Technique,
    check_int,
    setting,
)

if TYPE_CHECKING:
    import torch

NAME = "shared_uncond"


@dataclass
class SharedUncondConfig:
    r"""
    Configuration for the shared unconditional branch (a no-op without classifier-free guidance).

    All candidates of a group start from the same z_T with the same negative prompt, so at the first step
    their unconditional predictions are identical and computing one is exact; later the candidates'
    latents drift apart and broadcasting the pivot's is an approximation.

    Args:
        stop_step (`int`, *optional*):
            Share on global steps `i < stop_step`. `None`: every step.
    """

    stop_step: int | None = setting(
        None,
        "compute the unconditional branch for each group's pivot only, on steps before STOP "
        "(given alone: 1, step 0, where it is exact; 'all': every step)",
        flag="--shared-uncond",
        cli_default=1,
        const=1,
        none_word="all",
        metavar="STOP",
    )

    def validate(self) -> None:
        check_int("shared_uncond.stop_step", self.stop_step, minimum=0, optional=True)


@dataclass(frozen=True)
class SharedUncondPlan:
    """`keep`: the rows of the full batch the UNet body runs (each group's uncond pivot, then every cond
    row); `expand[i]`: the reduced row that full row i's output comes from; `batch`: the reduced batch."""

    keep: tuple[int, ...]
    expand: tuple[int, ...]
    batch: StepBatch


def reduced_batch(layout: BatchLayout) -> SharedUncondPlan:
    """Rows `[uncond pivot of every group..., cond rows of every group...]` and how to undo it."""
    g, m = len(layout.groups), layout.num_candidates
    pivots = [layout.candidate_rows(i).start for i in range(g)]
    keep = (*pivots, *range(m, 2 * m))
    expand = tuple(i for i, count in enumerate(layout.groups) for _ in range(count)) + tuple(range(g, g + m))
    groups = tuple((i, 1) for i in range(g)) + tuple(
        (g + layout.candidate_rows(i).start, count) for i, count in enumerate(layout.groups)
    )
    return SharedUncondPlan(keep, expand, StepBatch(g + m, groups, changed_by=(NAME,)))


def plan(config: SharedUncondConfig, state: NoState, ctx: PlanContext) -> SharedUncondPlan | None:
    layout = ctx.layout
    if not layout.guidance:  # no unconditional branch
        return None
    if config.stop_step is not None and ctx.step >= config.stop_step:
        return None
    return reduced_batch(layout)


def _take_rows(value: Any, index: torch.Tensor, rows: int) -> Any:
    """`value` with only the `index` rows, for every tensor (also inside dicts such as
    `added_cond_kwargs`) whose first dimension is the batch."""
    import torch

    if isinstance(value, torch.Tensor) and value.ndim >= 1 and value.shape[0] == rows:
        return value.index_select(0, index.to(value.device))
    if isinstance(value, dict):
        return {key: _take_rows(item, index, rows) for key, item in value.items()}
    return value


class SharedUncondHook(Hook):
    """Runs the UNet on the planned rows and rebuilds the full batch's output."""

    def __init__(self, plan_fn: PlanFn) -> None:
        self.plan_fn = plan_fn
        self._signature: inspect.Signature | None = None

    def initialize(self, module: torch.nn.Module) -> None:
        self._signature = inspect.signature(module.forward)

    def forward(self, module: torch.nn.Module, original: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        import torch

        decision: SharedUncondPlan | None = self.plan_fn().get(NAME)
        if decision is None:
            return original(*args, **kwargs)
        rows = len(decision.expand)
        assert self._signature is not None, "bound in install"
        bound = self._signature.bind(*args, **kwargs)
        sample = bound.arguments.get("sample")
        if not isinstance(sample, torch.Tensor) or sample.shape[0] != rows:
            got = sample.shape[0] if isinstance(sample, torch.Tensor) else type(sample).__name__
            raise RuntimeError(f"shared uncond expected a UNet batch of {rows} rows, got {got}")
        keep = torch.tensor(decision.keep, dtype=torch.long)
        for key, value in bound.arguments.items():
            bound.arguments[key] = _take_rows(value, keep, rows)
        output = original(*bound.args, **bound.kwargs)
        reduced = output[0] if isinstance(output, tuple) else output.sample
        full = reduced.index_select(0, torch.tensor(decision.expand, dtype=torch.long, device=reduced.device))
        if isinstance(output, tuple):
            return (full, *output[1:])
        return type(output)(sample=full)


def install(unet: torch.nn.Module, config: SharedUncondConfig, state: NoState, plan_fn: PlanFn) -> list[Removable]:
    """Wrap `unet`'s forward (installed after the session's own hook, so this one is outermost)."""
    return [InstalledHook(unet, SharedUncondHook(plan_fn), f"obclip_{NAME}")]


def _step_batch(decision: SharedUncondPlan) -> StepBatch:
    return decision.batch


def _cost_key(decision: SharedUncondPlan) -> tuple[int, ...]:
    return decision.keep


TECHNIQUE = Technique(
    name=NAME,
    label="shared uncond",
    short="uncond",
    config_class=SharedUncondConfig,
    state_class=NoState,
    plan=plan,
    install=install,
    step_fields=("stop_step",),
    batch=_step_batch,
    cost_key=_cost_key,
)
