"""`apply_accelerations`: installs the configured techniques' hooks on one UNet for one request and
owns their state; `AccelSession.begin_step(i)` plans what every hook does on global step i.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from obclip.accel._common import (
    BatchLayout,
    Hook,
    InstalledHook,
    PlanContext,
    Removable,
    State,
    StepPlan,
    Technique,
    check_int,
)
from obclip.accel.config import AccelConfig

_ACTIVE_ATTR = "_obclip_accel_session"
_SESSION_HOOK = "obclip_session"


class _SessionHook(Hook):
    """Innermost hook on the UNet: refuses a forward whose batch is not the one the step plans."""

    def __init__(self, session: AccelSession) -> None:
        self.session = session

    def forward(self, module: torch.nn.Module, original: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        plan = self.session.plan
        sample = args[0] if args else kwargs.get("sample")
        if isinstance(sample, torch.Tensor) and sample.shape[0] != plan.rows:
            raise RuntimeError(
                f"the accelerated UNet expects {plan.rows} rows on step {plan.step} "
                f"({self.session.layout}), got {sample.shape[0]}"
            )
        return original(*args, **kwargs)


class AccelSession:
    """The hooks and state of one request on one UNet. Use through `apply_accelerations`."""

    def __init__(
        self, unet: torch.nn.Module, config: AccelConfig, layout: BatchLayout, num_steps: int | None = None
    ) -> None:
        if not isinstance(config, AccelConfig):
            raise TypeError(f"config must be an AccelConfig, got {type(config).__name__}")
        if not isinstance(layout, BatchLayout):
            raise TypeError(f"layout must be a BatchLayout, got {type(layout).__name__}")
        check_int("num_steps", num_steps, minimum=1, optional=True)
        config.validate(num_steps)
        self.unet = unet
        self.config = config
        self.layout = layout
        self.num_steps = num_steps
        active = list(config.items())
        # Techniques that run fewer candidates are planned first, then those that change the batch; the
        # others plan on the layout and batch they leave.
        self._techniques: tuple[tuple[Technique[Any, Any, Any], Any], ...] = tuple(
            sorted(active, key=lambda pair: (pair[0].layout is None, pair[0].batch is None))
        )
        self._registered = tuple(t for t, _ in active)
        #: Each active technique's state, by name; dropped on `close`.
        self.states: dict[str, State] = {t.name: t.state_class() for t, _ in active}
        self._plan: StepPlan | None = None
        self._handles: list[Removable] = []
        self._closed = False
        if active:
            self._install()

    # -- lifecycle -------------------------------------------------------------------------------
    def _install(self) -> None:
        if getattr(self.unet, _ACTIVE_ATTR, None) is not None:
            raise RuntimeError("this UNet already has an active acceleration session; close it first")
        setattr(self.unet, _ACTIVE_ATTR, self)
        try:
            self._handles.append(InstalledHook(self.unet, _SessionHook(self), _SESSION_HOOK))
            for t, section in self.config.items():  # registry order; shared uncond's UNet hook ends outermost
                self._handles += t.install(self.unet, section, self.states[t.name], self._current_plan)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Remove every hook and processor and drop all cached tensors; the UNet is as before."""
        if self._closed:
            return
        self._closed = True
        for handle in reversed(self._handles):
            handle.remove()
        self._handles.clear()
        for state in self.states.values():
            state.reset()
        if getattr(self.unet, _ACTIVE_ATTR, None) is self:
            delattr(self.unet, _ACTIVE_ATTR)
        self._plan = None

    def __enter__(self) -> AccelSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- stepping --------------------------------------------------------------------------------
    def begin_step(self, step: int) -> StepPlan:
        """Declare that the next UNet forward is global step `step` of the schedule; returns its plan.

        An out-of-range step is an engine bug, not user input: `RuntimeError`.
        """
        if self._closed:
            raise RuntimeError("this acceleration session is closed")
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise RuntimeError(f"step must be a non-negative integer, got {step!r}")
        if self.num_steps is not None and step >= self.num_steps:
            raise RuntimeError(f"step must be < {self.num_steps}, got {step}")
        self._plan = self._make_plan(step)
        return self._plan

    @property
    def plan(self) -> StepPlan:
        """The current step's plan; hooks read it on every call."""
        if self._plan is None:
            raise RuntimeError("call session.begin_step(i) before each UNet forward")
        return self._plan

    def _current_plan(self) -> StepPlan:
        return self.plan

    def _make_plan(self, step: int) -> StepPlan:
        ctx = PlanContext(step, self.num_steps, self.layout, self.layout.full_batch(), self.config)
        decisions: dict[str, Any] = {}
        for t, section in self._techniques:
            decision = t.plan(section, self.states[t.name], ctx)
            decisions[t.name] = decision
            if decision is not None and t.layout is not None:
                layout = t.layout(decision)
                ctx = PlanContext(step, self.num_steps, layout, layout.full_batch(), self.config)
            if decision is not None and t.batch is not None:
                ctx = PlanContext(step, self.num_steps, ctx.layout, t.batch(decision), self.config)
        plan = StepPlan(step, ctx.batch, decisions, self._registered)
        for t, _ in self._techniques:
            if t.start_step is not None and decisions[t.name] is not None:
                t.start_step(self.states[t.name], decisions[t.name], plan)
        return plan


def apply_accelerations(
    unet: torch.nn.Module, config: AccelConfig, layout: BatchLayout, *, num_steps: int | None = None
) -> AccelSession:
    """Install `config`'s hooks on `unet` for one request (or one batch of candidate groups); use as a
    context manager.

    `num_steps` (T), if given, also checks the config's step indices and `begin_step` against it.
    With `AccelConfig()` nothing is installed and the UNet runs stock.
    """
    return AccelSession(unet, config, layout, num_steps)
