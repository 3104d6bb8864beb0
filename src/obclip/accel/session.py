"""`apply_accelerations`: installs the configured hooks on one UNet for one request and owns their
state; `AccelSession.begin_step(i)` plans what every hook does on global step i.
"""

from __future__ import annotations

from typing import Any

import torch
from diffusers.hooks.hooks import ModelHook

from obclip.accel._common import SESSION_HOOK, BatchLayout, InstalledHook, StepPlan, check_int
from obclip.accel.attention_cache import AttentionCacheState, apply_attention_cache, plan_attention_cache
from obclip.accel.batch_reuse import BatchReuseState, apply_batch_reuse, plan_batch_reuse, remove_batch_reuse
from obclip.accel.block_skip import BlockSkipState, apply_block_skip, plan_block_skip
from obclip.accel.config import AccelConfig
from obclip.accel.shared_uncond import SharedUncondState, apply_shared_uncond, plan_shared_uncond
from obclip.errors import InvalidInputError

_ACTIVE_ATTR = "_obclip_accel_session"


class _SessionHook(ModelHook):
    """Innermost hook on the UNet: refuses a forward without a plan or with the wrong batch size."""

    def __init__(self, session: AccelSession) -> None:
        super().__init__()
        self.session = session

    def pre_forward(self, module: torch.nn.Module, *args: Any, **kwargs: Any):
        plan = self.session.plan
        sample = args[0] if args else kwargs.get("sample")
        if isinstance(sample, torch.Tensor) and sample.shape[0] != plan.rows:
            raise InvalidInputError(
                f"the accelerated UNet expects {plan.rows} rows on step {plan.step} "
                f"({self.session.layout}), got {sample.shape[0]}"
            )
        return args, kwargs


class AccelSession:
    """The hooks and state of one request on one UNet. Use through `apply_accelerations`."""

    def __init__(
        self, unet: torch.nn.Module, config: AccelConfig, layout: BatchLayout, num_steps: int | None = None
    ) -> None:
        if not isinstance(config, AccelConfig):
            raise InvalidInputError(f"config must be an AccelConfig, got {type(config).__name__}")
        if not isinstance(layout, BatchLayout):
            raise InvalidInputError(f"layout must be a BatchLayout, got {type(layout).__name__}")
        check_int("num_steps", num_steps, minimum=1, optional=True)
        config.validate(num_steps)
        self.unet = unet
        self.config = config
        self.layout = layout
        self.num_steps = num_steps
        self.batch_reuse = BatchReuseState()
        self.attention_cache = AttentionCacheState()
        self.block_skip = BlockSkipState()
        self.shared_uncond = SharedUncondState()
        self._plan: StepPlan | None = None
        self._hooks: list[InstalledHook] = []
        self._processors: list[tuple[Any, Any]] = []
        self._closed = False
        if config.enabled:
            self._install()

    # -- lifecycle -------------------------------------------------------------------------------
    def _install(self) -> None:
        if getattr(self.unet, _ACTIVE_ATTR, None) is not None:
            raise InvalidInputError("this UNet already has an active acceleration session; close it first")
        setattr(self.unet, _ACTIVE_ATTR, self)
        cfg = self.config
        try:
            self._hooks.append(InstalledHook(self.unet, _SessionHook(self), SESSION_HOOK))
            if cfg.block_skip is not None:
                self._hooks += apply_block_skip(self.unet, cfg.block_skip, self, self.block_skip)
            if cfg.attention_cache is not None:
                self._hooks += apply_attention_cache(self.unet, cfg.attention_cache, self, self.attention_cache)
            if cfg.batch_reuse is not None:
                self._processors = apply_batch_reuse(self.unet, cfg.batch_reuse, self, self.batch_reuse)
            if cfg.shared_uncond is not None and self.layout.guidance:  # no uncond branch, nothing to share
                self._hooks += apply_shared_uncond(self.unet, self.layout, self, self.shared_uncond)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Remove every hook and processor and drop all cached tensors; the UNet is as before."""
        if self._closed:
            return
        self._closed = True
        remove_batch_reuse(self._processors)
        for handle in reversed(self._hooks):
            handle.remove()
        self._hooks.clear()
        self._processors.clear()
        for state in (self.batch_reuse, self.attention_cache, self.block_skip, self.shared_uncond):
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
        """Declare that the next UNet forward is global step `step` of the schedule; returns its plan."""
        if self._closed:
            raise RuntimeError("this acceleration session is closed")
        check_int("step", step, minimum=0)
        if self.num_steps is not None and step >= self.num_steps:
            raise InvalidInputError(f"step must be < {self.num_steps}, got {step}")
        self._plan = self._make_plan(step)
        return self._plan

    @property
    def plan(self) -> StepPlan:
        """The current step's plan; hooks read it on every call."""
        if self._plan is None:
            raise RuntimeError("call session.begin_step(i) before each UNet forward")
        return self._plan

    def _make_plan(self, step: int) -> StepPlan:
        cfg, layout = self.config, self.layout
        n = layout.num_candidates
        shared = plan_shared_uncond(cfg.shared_uncond, layout, step)
        if not layout.guidance:
            groups: tuple[tuple[int, int], ...] = ((0, n),)
        elif shared:
            groups = ((0, 1), (1, n))
        else:
            groups = ((0, n), (n, n))
        rows = sum(count for _, count in groups)
        default_stop = cfg.attention_cache.cache_step if cfg.attention_cache is not None else None
        self_mode, cross_mode, uncached = plan_attention_cache(cfg.attention_cache, self.attention_cache, step, rows)
        return StepPlan(
            step=step,
            rows=rows,
            groups=groups,
            shared_uncond=shared,
            batch_reuse=plan_batch_reuse(cfg.batch_reuse, default_stop, step),
            self_attention=self_mode,
            cross_attention=cross_mode,
            blocks=plan_block_skip(cfg.block_skip, self.block_skip, step, rows),
            block_branch=None if cfg.block_skip is None else cfg.block_skip.branch,
            uncached=uncached,
        )


def apply_accelerations(
    unet: torch.nn.Module, config: AccelConfig, layout: BatchLayout, *, num_steps: int | None = None
) -> AccelSession:
    """Install `config`'s hooks on `unet` for one request; use as a context manager.

    `num_steps` (T), if given, also checks the config's step indices and `begin_step` against it.
    With `AccelConfig()` nothing is installed and the UNet runs stock.
    """
    return AccelSession(unet, config, layout, num_steps)
