"""Scheduler names, construction from a model's noise schedule, and multistep history.

A multistep solver's history must cross the network at the hand-off; this module is the one
place that knows which scheduler attributes make up that history and how to move them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from diffusers import DDIMScheduler, DPMSolverMultistepScheduler, EulerDiscreteScheduler, LCMScheduler
from diffusers.schedulers.scheduling_utils import SchedulerMixin

from obclip.errors import InvalidInputError, StateError

# Overrides applied on top of the model's own scheduler config (its betas are kept).
SCHEDULERS: dict[str, tuple[type[SchedulerMixin], dict[str, Any]]] = {
    "dpmsolver++": (DPMSolverMultistepScheduler, {"algorithm_type": "dpmsolver++", "solver_order": 2}),
    "ddim": (DDIMScheduler, {}),
    "euler": (EulerDiscreteScheduler, {}),
    # Latent consistency: few steps (the paper runs 8 with k = 4) for LCM-distilled UNets. Its
    # step adds fresh noise; the loop seeds it from (seed, step index), so the hand-off stays exact.
    "lcm": (LCMScheduler, {}),
}
DEFAULT_SCHEDULER = "dpmsolver++"

# The noise schedule of Stable Diffusion 1.x, used when a model ships no scheduler config.
SD_NOISE_SCHEDULE: dict[str, Any] = {
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "prediction_type": "epsilon",
    "steps_offset": 1,
}

# Config keys that describe the model's noise schedule; everything else is solver choice.
_SCHEDULE_KEYS = (
    "num_train_timesteps",
    "beta_start",
    "beta_end",
    "beta_schedule",
    "trained_betas",
    "prediction_type",
    "steps_offset",
    "timestep_spacing",
    "rescale_betas_zero_snr",
)


@dataclass(frozen=True)
class _History:
    """Which attributes of a scheduler carry state from one step to the next."""

    tensor_lists: tuple[str, ...] = ()
    ints: tuple[str, ...] = ()


_HISTORY: dict[type[SchedulerMixin], _History] = {
    DPMSolverMultistepScheduler: _History(tensor_lists=("model_outputs",), ints=("lower_order_nums",)),
    EulerDiscreteScheduler: _History(),
    DDIMScheduler: _History(),
    LCMScheduler: _History(),
}


def scheduler_class(name: str) -> type[SchedulerMixin]:
    """The diffusers class for a scheduler name, or `InvalidInputError`."""
    try:
        return SCHEDULERS[name][0]
    except KeyError:
        known = ", ".join(SCHEDULERS)
        raise InvalidInputError(f"unknown scheduler {name!r} (choose one of: {known})") from None


def noise_schedule(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The noise-schedule part of a model's scheduler config (SD 1.x defaults where absent)."""
    schedule = dict(SD_NOISE_SCHEDULE)
    if config:
        schedule.update({k: v for k, v in config.items() if k in _SCHEDULE_KEYS})
    return schedule


def make_scheduler(name: str, model_schedule: Mapping[str, Any] | None, num_steps: int) -> SchedulerMixin:
    """Build scheduler `name` on a model's noise schedule, with `num_steps` inference steps set."""
    cls = scheduler_class(name)
    overrides = SCHEDULERS[name][1]
    scheduler = cls.from_config({**noise_schedule(model_schedule), **overrides})
    try:
        scheduler.set_timesteps(num_steps)
    except ValueError as exc:  # e.g. LCM: more steps than its distillation schedule has
        most = scheduler.config.get("original_inference_steps")
        reason = f"at most {most} (its distillation schedule)" if most else str(exc).splitlines()[0]
        raise InvalidInputError(f"scheduler {name} cannot run {num_steps} steps: {reason}") from None
    return scheduler


def rebuild_scheduler(class_name: str, config: Mapping[str, Any], num_steps: int) -> SchedulerMixin:
    """Rebuild a scheduler from the class name and full config that crossed the wire."""
    for cls in _HISTORY:
        if cls.__name__ == class_name:
            scheduler = cls.from_config(dict(config))
            scheduler.set_timesteps(num_steps)
            return scheduler
    raise StateError(f"unsupported scheduler class {class_name!r} in denoise state")


def start_at(scheduler: SchedulerMixin, step_index: int) -> None:
    """Make the scheduler's next `step` be step `step_index` of its schedule."""
    if hasattr(scheduler, "set_begin_index"):
        scheduler.set_begin_index(step_index)


def export_history(scheduler: SchedulerMixin) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The scheduler's multistep history as named tensors plus JSON-able metadata.

    A list entry that is still empty (`None`) is recorded in the metadata, not as a tensor.
    """
    spec = _history_spec(scheduler)
    tensors: dict[str, torch.Tensor] = {}
    meta: dict[str, Any] = {"lists": {}, "ints": {}}
    for name in spec.tensor_lists:
        present = []
        for i, item in enumerate(getattr(scheduler, name)):
            if item is not None:
                tensors[f"{name}.{i}"] = item.detach().to("cpu").contiguous()
            present.append(item is not None)
        meta["lists"][name] = present
    for name in spec.ints:
        meta["ints"][name] = int(getattr(scheduler, name))
    return tensors, meta


def import_history(
    scheduler: SchedulerMixin,
    tensors: Mapping[str, torch.Tensor],
    meta: Mapping[str, Any],
    *,
    device: torch.device | str = "cpu",
) -> None:
    """Restore a history written by `export_history` into a freshly rebuilt scheduler."""
    spec = _history_spec(scheduler)
    try:
        for name in spec.tensor_lists:
            present = meta["lists"][name]
            current = getattr(scheduler, name)
            if len(present) != len(current):
                raise StateError(f"scheduler history {name!r} has {len(present)} entries, expected {len(current)}")
            setattr(
                scheduler,
                name,
                [tensors[f"{name}.{i}"].to(device) if p else None for i, p in enumerate(present)],
            )
        for name in spec.ints:
            setattr(scheduler, name, int(meta["ints"][name]))
    except (KeyError, TypeError) as exc:
        raise StateError(f"scheduler history is incomplete: missing {exc}") from None


def _history_spec(scheduler: SchedulerMixin) -> _History:
    try:
        return _HISTORY[type(scheduler)]
    except KeyError:
        raise StateError(f"no hand-off support for scheduler {type(scheduler).__name__}") from None
