"""Shared unconditional branch: on early steps the UNet runs 1 + N rows instead of 2N, computing the
unconditional prediction for the pivot only and broadcasting it to every candidate's uncond row.

Installed as a `ModelHook` around the UNet's forward. Not in the ObCLIP paper.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from diffusers.hooks.hooks import BaseState, ModelHook

from obclip.accel._common import SHARED_UNCOND_HOOK, BatchLayout, InstalledHook, check_int
from obclip.errors import InvalidInputError

if TYPE_CHECKING:
    from obclip.accel.session import AccelSession


@dataclass
class SharedUncondConfig:
    r"""
    Configuration for the shared unconditional branch (a no-op without classifier-free guidance).

    All candidates start from the same z_T with the same empty negative prompt, so at the first step their
    unconditional predictions are identical and computing one is exact; later the candidates' latents
    drift apart and broadcasting the pivot's is an approximation.

    Args:
        stop_step (`int`, *optional*):
            Share on global steps `i < stop_step`. `None`: every step.
    """

    stop_step: int | None = None

    def validate(self) -> None:
        check_int("shared_uncond.stop_step", self.stop_step, minimum=0, optional=True)


class SharedUncondState(BaseState):
    """Counts the forwards that ran with the reduced batch."""

    def __init__(self) -> None:
        self.shared_calls = 0

    def reset(self) -> None:
        self.shared_calls = 0


def plan_shared_uncond(config: SharedUncondConfig | None, layout: BatchLayout, step: int) -> bool:
    if config is None or not layout.guidance:
        return False
    return config.stop_step is None or step < config.stop_step


def _take_rows(value: Any, index: torch.Tensor, rows: int) -> Any:
    if isinstance(value, torch.Tensor) and value.ndim >= 1 and value.shape[0] == rows:
        return value.index_select(0, index.to(value.device))
    if isinstance(value, dict):
        return {key: _take_rows(item, index, rows) for key, item in value.items()}
    return value


class SharedUncondHook(ModelHook):
    """Runs the UNet on rows `[uncond_0, cond_0..cond_{N-1}]` and rebuilds the 2N-row output."""

    _is_stateful = True

    def __init__(self, session: AccelSession, state: SharedUncondState, layout: BatchLayout) -> None:
        super().__init__()
        self.session = session
        self.state = state
        self.layout = layout
        n = layout.num_candidates
        self._keep = torch.tensor([0, *range(n, 2 * n)], dtype=torch.long)
        self._signature: inspect.Signature | None = None

    def initialize_hook(self, module: torch.nn.Module) -> torch.nn.Module:
        self._signature = inspect.signature(module.forward)
        return module

    def new_forward(self, module: torch.nn.Module, *args: Any, **kwargs: Any):
        if not self.session.plan.shared_uncond:
            return self.fn_ref.original_forward(*args, **kwargs)
        rows, n = self.layout.rows, self.layout.num_candidates
        bound = self._signature.bind(*args, **kwargs)
        sample = bound.arguments.get("sample")
        if not isinstance(sample, torch.Tensor) or sample.shape[0] != rows:
            raise InvalidInputError(f"expected a UNet batch of {rows} rows for {n} candidates with guidance")
        for key, value in bound.arguments.items():
            bound.arguments[key] = _take_rows(value, self._keep, rows)
        self.state.shared_calls += 1
        output = self.fn_ref.original_forward(*bound.args, **bound.kwargs)
        reduced = output[0] if isinstance(output, tuple) else output.sample
        full = torch.cat([reduced[:1].expand(n, *reduced.shape[1:]), reduced[1:]], dim=0)
        if isinstance(output, tuple):
            return (full, *output[1:])
        return type(output)(sample=full)

    def reset_state(self, module: torch.nn.Module) -> torch.nn.Module:
        self.state.reset()
        return module


def apply_shared_uncond(
    unet: torch.nn.Module, layout: BatchLayout, session: AccelSession, state: SharedUncondState
) -> list[InstalledHook]:
    """Wrap `unet`'s forward (install after the session hook, so this one is outermost)."""
    return [InstalledHook(unet, SharedUncondHook(session, state, layout), SHARED_UNCOND_HOOK)]
