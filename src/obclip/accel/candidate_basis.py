"""Candidate basis: per group of N candidates the UNet runs a basis of ceil(S·√N) of them, chosen from
the conditioning alone, and every other candidate's prediction is composed from the basis's predictions.

Installed as a hook (diffusers `HookRegistry`) around the UNet's forward, outside every other hook.

The candidates share z_T, the timestep and the negative prompt; they differ only in the conditioning
(the text states, and SDXL's pooled text). On the step the technique first acts, each group's conditioning
vectors are written as the pivot's plus differences; the basis is the pivot and the candidates picked
greedily by largest residual difference (pivoted Gram–Schmidt, ties to the lower wire index), and every
other candidate gets affine weights (summing to 1) from a least-squares fit of its difference on the
basis's. Each step the UNet runs the basis rows of both guidance halves, and a composed candidate's
output is the same affine combination of the basis's outputs. All candidates start from the same latent
and the scheduler update is linear in (latent, prediction), so a composed candidate's latent stays that
combination of the basis's latents: the composition is a linearisation of the UNet in the conditioning
along the trajectory. It is exact where a candidate's conditioning is an affine combination of the
basis's and the UNet is affine in it (tested with identical candidates), and with `scale` large enough
that the basis is the whole group (bit-identical, tested).

The cloud's work is a function of N and the config only (rows and matmul shapes); which candidates form
the basis is a deterministic function of the request bytes, never of which candidate is the user's.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from obclip.accel._common import (
    BatchLayout,
    Hook,
    InstalledHook,
    PlanContext,
    PlanFn,
    Removable,
    StepBatch,
    Technique,
    check_int,
    setting,
)
from obclip.errors import InvalidInputError

if TYPE_CHECKING:
    import torch

NAME = "candidate_basis"


@dataclass
class CandidateBasisConfig:
    r"""
    Configuration for the candidate basis.

    Args:
        scale (`float`, defaults to `1.2`):
            S. A group of N candidates runs `min(N, ceil(S * sqrt(N)))` of them through the UNet (N = 6: 3,
            N = 18: 6, N = 30: 7, N = 36: 8; with S = 1.5: 4, 7, 9, 9) and composes the rest. A full grid
            of attributes with n_1, n_2, ... values needs 1 + sum(n_i - 1) candidates to span its additive
            part (2 x 3: 4; 2 x 3 x 3: 6; 2 x 3 x 6: 9); a smaller basis fits the rest by least squares.
        stop_step (`int`, *optional*):
            Compose on global steps `i < stop_step`; from then on every candidate runs (from the latents the
            composition left). `None`: every step.
    """

    scale: float = setting(
        1.2,
        "per group of N candidates the UNet runs ceil(S*sqrt(N)) of them (chosen from the text alone) and "
        "composes the others' predictions from theirs",
        metavar="S",
    )
    stop_step: int | None = setting(
        None, "compose on steps before STOP (default: every step)", none_word="all", metavar="STOP"
    )

    def validate(self) -> None:
        if isinstance(self.scale, bool) or not isinstance(self.scale, (int, float)) or not self.scale > 0:
            raise InvalidInputError(f"candidate_basis.scale must be a number > 0, got {self.scale!r}")
        if not math.isfinite(self.scale):
            raise InvalidInputError(f"candidate_basis.scale must be finite, got {self.scale!r}")
        check_int("candidate_basis.stop_step", self.stop_step, minimum=0, optional=True)


def basis_size(num_candidates: int, scale: float) -> int:
    """How many of a group's `num_candidates` candidates run through the UNet: min(N, ceil(S·√N))."""
    wanted = math.ceil(round(scale * math.sqrt(num_candidates), 9))
    return max(1, min(num_candidates, wanted))


@dataclass(frozen=True)
class CandidateBasisPlan:
    """`sizes[g]`: basis rows of group g; `full`: the request's layout; `reduced`: the layout the UNet
    body runs (one group of `sizes[g]` candidates per group); `batch`: its full batch."""

    sizes: tuple[int, ...]
    full: BatchLayout
    reduced: BatchLayout
    batch: StepBatch


def plan(config: CandidateBasisConfig, state: CandidateBasisState, ctx: PlanContext) -> CandidateBasisPlan | None:
    if config.stop_step is not None and ctx.step >= config.stop_step:
        return None
    sizes = tuple(basis_size(n, config.scale) for n in ctx.layout.groups)
    reduced = BatchLayout(groups=sizes, guidance=ctx.layout.guidance)
    # Marked even where no group shrinks, so caches refresh on the same steps alone or batched.
    batch = dataclasses.replace(reduced.full_batch(), changed_by=(NAME,))
    return CandidateBasisPlan(sizes, ctx.layout, reduced, batch)


@dataclass
class GroupBasis:
    """One group's basis: `members` (ascending wire indices within the group, the pivot 0 first) and
    `weights` (N x B: row c gives candidate c's output from the B basis outputs; a member's row is one-hot)."""

    members: tuple[int, ...]
    weights: Any  # torch.Tensor (float64, CPU)


class CandidateBasisState:
    """The basis of every group, chosen on the first step the technique acts (the conditioning is the
    same on every step of a request)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.bases: tuple[GroupBasis, ...] | None = None
        self.layout: BatchLayout | None = None


def choose_basis(features: torch.Tensor, size: int) -> GroupBasis:
    """The basis of one group from its candidates' conditioning `features` (N x F, wire order).

    Pivot = candidate 0; then, `size - 1` times, the candidate whose difference from the pivot has the
    largest component outside the span of the chosen ones (the lowest index among equals). Weights: a
    member is itself; any other candidate is pivot + least-squares combination of the members' differences.
    """
    import torch

    feats = features.detach().to("cpu", torch.float64).reshape(features.shape[0], -1)
    n = feats.shape[0]
    diffs = feats[1:] - feats[0]
    residual = diffs.clone()
    chosen: list[int] = []
    for _ in range(size - 1):
        norms = residual.norm(dim=1).tolist()
        j = max((i for i in range(n - 1) if i not in chosen), key=lambda i: (norms[i], -i))
        chosen.append(j)
        if norms[j] > 0:
            direction = residual[j] / norms[j]
            residual = residual - torch.outer(residual @ direction, direction)
    members = tuple(sorted([0, *(j + 1 for j in chosen)]))
    weights = torch.zeros(n, len(members), dtype=torch.float64)
    column = {m: i for i, m in enumerate(members)}
    for m, i in column.items():
        weights[m, i] = 1.0
    others = [c for c in range(n) if c not in column]
    if others:
        spanning = [m for m in members if m != 0]
        if spanning:
            basis = diffs[[m - 1 for m in spanning]].T  # F x (B-1)
            targets = diffs[[c - 1 for c in others]].T  # F x (N-B)
            coeffs = torch.linalg.lstsq(basis, targets, driver="gelsd").solution.T  # (N-B) x (B-1)
        else:
            coeffs = torch.zeros(len(others), 0, dtype=torch.float64)
        for row, c in enumerate(others):
            weights[c, column[0]] = 1.0 - coeffs[row].sum()
            for k, m in enumerate(spanning):
                weights[c, column[m]] = coeffs[row, k]
    return GroupBasis(members, weights)


def _conditioning_rows(arguments: dict[str, Any], layout: BatchLayout, group: int) -> torch.Tensor:
    """The conditioning of group `group`'s candidates (the cond half with guidance), one row each: the
    text states and any batch-shaped added conditioning (SDXL's pooled text and time ids), flattened."""
    import torch

    rows = layout.candidate_rows(group)
    offset = layout.num_candidates if layout.guidance else 0
    index = torch.arange(offset + rows.start, offset + rows.stop)
    parts = []
    for value in (arguments.get("encoder_hidden_states"), *(arguments.get("added_cond_kwargs") or {}).values()):
        if isinstance(value, torch.Tensor) and value.ndim >= 1 and value.shape[0] == layout.rows:
            parts.append(value.index_select(0, index.to(value.device)).reshape(len(index), -1).double().cpu())
    if not parts:
        raise RuntimeError("the candidate basis needs the UNet's encoder_hidden_states")
    return torch.cat(parts, dim=1)


def _take_rows(value: Any, index: torch.Tensor, rows: int) -> Any:
    import torch

    if isinstance(value, torch.Tensor) and value.ndim >= 1 and value.shape[0] == rows:
        return value.index_select(0, index.to(value.device))
    if isinstance(value, dict):
        return {key: _take_rows(item, index, rows) for key, item in value.items()}
    return value


class CandidateBasisHook(Hook):
    """Runs the UNet on the basis rows and composes every other row's output from theirs."""

    def __init__(self, plan_fn: PlanFn, state: CandidateBasisState) -> None:
        self.plan_fn = plan_fn
        self.state = state
        self._signature: inspect.Signature | None = None

    def initialize(self, module: torch.nn.Module) -> None:
        self._signature = inspect.signature(module.forward)

    def _bases(self, decision: CandidateBasisPlan, arguments: dict[str, Any], meta: bool) -> tuple[GroupBasis, ...]:
        import torch

        if self.state.bases is not None and self.state.layout == decision.full:
            return self.state.bases
        bases = []
        for g, size in enumerate(decision.sizes):
            n = decision.full.groups[g]
            if meta:  # no values on `meta`: the cost does not depend on which candidates form the basis
                bases.append(GroupBasis(tuple(range(size)), torch.zeros(n, size, dtype=torch.float64)))
            else:
                bases.append(choose_basis(_conditioning_rows(arguments, decision.full, g), size))
        self.state.bases, self.state.layout = tuple(bases), decision.full
        return self.state.bases

    def forward(self, module: torch.nn.Module, original: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        import torch

        decision: CandidateBasisPlan | None = self.plan_fn().get(NAME)
        if decision is None:
            return original(*args, **kwargs)
        full = decision.full
        assert self._signature is not None, "bound in install"
        bound = self._signature.bind(*args, **kwargs)
        sample = bound.arguments.get("sample")
        if not isinstance(sample, torch.Tensor) or sample.shape[0] != full.rows:
            got = sample.shape[0] if isinstance(sample, torch.Tensor) else type(sample).__name__
            raise RuntimeError(f"the candidate basis expected a UNet batch of {full.rows} rows, got {got}")
        bases = self._bases(decision, bound.arguments, sample.device.type == "meta")
        keep = [
            half + full.candidate_rows(g).start + m
            for half in full.halves()
            for g, basis in enumerate(bases)
            for m in basis.members
        ]
        index = torch.tensor(keep, dtype=torch.long)
        for key, value in bound.arguments.items():
            bound.arguments[key] = _take_rows(value, index, full.rows)
        output = original(*bound.args, **bound.kwargs)
        reduced = output[0] if isinstance(output, tuple) else output.sample
        composed = self._compose(reduced, bases, full)
        if isinstance(output, tuple):
            return (composed, *output[1:])
        return type(output)(sample=composed)

    @staticmethod
    def _compose(reduced: torch.Tensor, bases: tuple[GroupBasis, ...], full: BatchLayout) -> torch.Tensor:
        """The full batch's output: members copied, every other row its weights times the members' rows."""
        flat = reduced.reshape(reduced.shape[0], -1)
        pieces, start = [], 0
        for _half in full.halves():
            for basis in bases:
                size = len(basis.members)
                block = flat[start : start + size]
                start += size
                if size == basis.weights.shape[0]:
                    pieces.append(block)
                    continue
                rows = basis.weights.to(device=block.device, dtype=block.dtype) @ block
                rows[list(basis.members)] = block
                pieces.append(rows)
        import torch

        return torch.cat(pieces).reshape(full.rows, *reduced.shape[1:])


def install(
    unet: torch.nn.Module, config: CandidateBasisConfig, state: CandidateBasisState, plan_fn: PlanFn
) -> list[Removable]:
    """Wrap `unet`'s forward (registered last, so this hook is outermost: it sees the request's rows)."""
    return [InstalledHook(unet, CandidateBasisHook(plan_fn, state), f"obclip_{NAME}")]


def _layout(decision: CandidateBasisPlan) -> BatchLayout:
    return decision.reduced


def _step_batch(decision: CandidateBasisPlan) -> StepBatch:
    return decision.batch


def _cost_key(decision: CandidateBasisPlan) -> tuple[Any, ...]:
    return (decision.full.groups, decision.full.guidance, decision.sizes)


TECHNIQUE = Technique(
    name=NAME,
    label="candidate basis",
    short="basis",
    config_class=CandidateBasisConfig,
    state_class=CandidateBasisState,
    plan=plan,
    install=install,
    step_fields=("stop_step",),
    layout=_layout,
    batch=_step_batch,
    cost_key=_cost_key,
)
