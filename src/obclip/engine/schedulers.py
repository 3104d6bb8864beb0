"""Scheduler names, construction from a model's own scheduler config, and multistep history.

A multistep solver's history must cross the network at the hand-off; this module is the one
place that knows which scheduler attributes make up that history and how to move them.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from diffusers import DDIMScheduler, DPMSolverMultistepScheduler, EulerDiscreteScheduler, LCMScheduler
from diffusers.schedulers.scheduling_utils import SchedulerMixin

from obclip import options
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
DEFAULT_SCHEDULER = options.DEFAULT_SCHEDULER

# Stable Diffusion 1.5's own scheduler_config.json: the config a model without one runs with.
SD_SCHEDULER_CONFIG: dict[str, Any] = {
    "_class_name": "PNDMScheduler",
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "trained_betas": None,
    "skip_prk_steps": True,
    "set_alpha_to_one": False,
    "clip_sample": False,
    "steps_offset": 1,
}

# SDXL base's own scheduler_config.json (SD 1.x's betas, "leading" spacing, DDIM's options off).
SDXL_SCHEDULER_CONFIG: dict[str, Any] = {
    "_class_name": "EulerDiscreteScheduler",
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "trained_betas": None,
    "prediction_type": "epsilon",
    "interpolation_type": "linear",
    "use_karras_sigmas": False,
    "skip_prk_steps": True,
    "set_alpha_to_one": False,
    "clip_sample": False,
    "sample_max_value": 1.0,
    "steps_offset": 1,
    "timestep_spacing": "leading",
}

# What `StableDiffusionPipeline.__init__` rewrites in the scheduler it is given (its deprecation
# fix-ups); SDXL's and the LCM pipeline leave the scheduler as configured.
_PIPELINE_FIXES: dict[str, dict[str, Any]] = {
    "StableDiffusionPipeline": {"steps_offset": 1, "clip_sample": False},
}


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


def pipeline_scheduler_config(pipeline: str, config: Mapping[str, Any] | None) -> dict[str, Any]:
    """A model's scheduler config as its diffusers `pipeline` class runs it: every key of the model's
    `scheduler_config.json` (SD 1.5's where it has none), with the pipeline's own rewrites applied
    (`StableDiffusionPipeline` sets `steps_offset=1` and `clip_sample=False`)."""
    base = dict(config) if config else dict(SD_SCHEDULER_CONFIG)
    return {**base, **_PIPELINE_FIXES.get(pipeline, {})}


def scheduler_config(name: str, model_config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The config scheduler `name` is built from: the model's whole scheduler config (the keys
    `name`'s class takes, as `from_config` reads them) with `name`'s overrides on top."""
    cls = scheduler_class(name)
    base = dict(model_config) if model_config else dict(SD_SCHEDULER_CONFIG)
    accepted = _init_keys(cls)
    return {**{k: v for k, v in base.items() if k in accepted}, **SCHEDULERS[name][1]}


def _init_keys(cls: type[SchedulerMixin]) -> set[str]:
    """The config keys a scheduler class takes (its `__init__` parameters)."""
    return {p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "kwargs")}


def make_scheduler(name: str, model_schedule: Mapping[str, Any] | None, num_steps: int) -> SchedulerMixin:
    """Build scheduler `name` from a model's whole scheduler config, with `num_steps` inference steps set.

    As `cls.from_config(pipe.scheduler.config)` does in diffusers: every key the class takes is the
    model's (DDIM keeps SD's `clip_sample=False`, `set_alpha_to_one=False`); pass the config as the
    model's pipeline holds it (`pipeline_scheduler_config`).
    """
    cls = scheduler_class(name)
    scheduler = cls.from_config(scheduler_config(name, model_schedule))
    try:
        scheduler.set_timesteps(num_steps)
    except ValueError as exc:  # e.g. LCM: more steps than its distillation schedule has
        most = scheduler.config.get("original_inference_steps")
        reason = f"at most {most} (its distillation schedule)" if most else str(exc).splitlines()[0]
        raise InvalidInputError(f"scheduler {name} cannot run {num_steps} steps: {reason}") from None
    return scheduler


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
