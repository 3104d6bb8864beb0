"""`DenoiseState`: everything the device needs to continue a partial run, and its wire form.

The state holds the latents of all N candidates, the full schedule, the step to resume at, the
scheduler's class and config and a multistep solver's history; it round-trips through
safetensors bytes (tensors) with a JSON header (everything else).
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from obclip.errors import StateError

STATE_FORMAT = "obclip-denoise-state/1"
_MAX_HEADER = 16 * 1024 * 1024
_LATENTS = "latents"
_TIMESTEPS = "timesteps"
_HISTORY_PREFIX = "history."


@dataclass
class DenoiseState:
    """A denoising run paused before step `step_index` of a `num_steps`-step schedule.

    Args:
        latents: `(N, C, h, w)` float latents, one row per candidate in wire order.
        timesteps: the full schedule, `num_steps` entries.
        step_index: the next step to run (the switch step k when the cloud hands off).
        num_steps: T, the length of the schedule.
        scheduler_class: diffusers class name of the scheduler that produced the state.
        scheduler_config: that scheduler's full config, so the device rebuilds it exactly.
        history: multistep history tensors, each with one row per candidate.
        history_meta: JSON-able description of the history (which entries exist, counters).
        metadata: the request's public options and provenance (model id, versions).
    """

    latents: torch.Tensor
    timesteps: torch.Tensor
    step_index: int
    num_steps: int
    scheduler_class: str
    scheduler_config: dict[str, Any]
    history: dict[str, torch.Tensor] = field(default_factory=dict)
    history_meta: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    @property
    def num_candidates(self) -> int:
        return int(self.latents.shape[0])

    def validate(self) -> None:
        """Raise `StateError` unless the state is internally consistent and finite."""
        if self.latents.ndim != 4 or not self.latents.is_floating_point():
            raise StateError(f"latents must be a 4-d float tensor, got {tuple(self.latents.shape)}")
        if self.latents.shape[0] < 1:
            raise StateError("latents hold no candidate")
        if not bool(torch.isfinite(self.latents).all()):
            raise StateError("latents contain NaN or infinite values")
        if self.timesteps.ndim != 1 or self.timesteps.shape[0] != self.num_steps:
            raise StateError(f"schedule has {self.timesteps.numel()} timesteps, expected {self.num_steps}")
        if not 0 <= self.step_index <= self.num_steps:
            raise StateError(f"step index {self.step_index} outside [0, {self.num_steps}]")
        n = self.latents.shape[0]
        for name, tensor in self.history.items():
            if tensor.shape[0] != n:
                raise StateError(f"history {name!r} has {tensor.shape[0]} rows, latents have {n}")
            if not bool(torch.isfinite(tensor).all()):
                raise StateError(f"history {name!r} contains NaN or infinite values")

    def select(self, row: int) -> DenoiseState:
        """The state of one candidate (row `row`), history included."""
        if not 0 <= row < self.num_candidates:
            raise RuntimeError(f"row {row} outside the {self.num_candidates} candidates")
        pick = slice(row, row + 1)
        return replace(
            self,
            latents=self.latents[pick].clone(),
            history={k: v[pick].clone() for k, v in self.history.items()},
            metadata={**self.metadata, "selected_row": row},
        )

    def to_bytes(self) -> bytes:
        """Serialise to safetensors bytes; all non-tensor fields go into the JSON header."""
        tensors = {
            _LATENTS: self.latents.detach().to("cpu").contiguous(),
            _TIMESTEPS: self.timesteps.detach().to("cpu").contiguous(),
        }
        tensors.update({_HISTORY_PREFIX + k: v.detach().to("cpu").contiguous() for k, v in self.history.items()})
        header = {
            "format": STATE_FORMAT,
            "step_index": self.step_index,
            "num_steps": self.num_steps,
            "scheduler_class": self.scheduler_class,
            "scheduler_config": self.scheduler_config,
            "history_meta": self.history_meta,
            "metadata": self.metadata,
        }
        return st_save(tensors, metadata={"obclip": json.dumps(header, default=json_default)})

    @classmethod
    def from_bytes(cls, data: bytes) -> DenoiseState:
        """Parse bytes written by `to_bytes`; anything malformed is a `StateError`."""
        header = _read_header(data)
        try:
            tensors = st_load(data)
        except Exception as exc:  # safetensors raises its own error types for corrupt bodies
            raise StateError(f"denoise state body is not valid safetensors: {exc}") from None
        if _LATENTS not in tensors or _TIMESTEPS not in tensors:
            raise StateError("denoise state lacks latents or timesteps")
        unknown = sorted(k for k in tensors if k not in (_LATENTS, _TIMESTEPS) and not k.startswith(_HISTORY_PREFIX))
        if unknown:
            raise StateError(f"denoise state holds unknown tensors: {unknown[:5]}"[:200])
        for key in ("step_index", "num_steps"):
            if isinstance(header.get(key), bool) or not isinstance(header.get(key), int):
                raise StateError(f"denoise state header's {key} is not an integer")
        for key in ("scheduler_config", "history_meta", "metadata"):
            if not isinstance(header.get(key, {}), dict):
                raise StateError(f"denoise state header's {key} is not an object")
        history = {k[len(_HISTORY_PREFIX) :]: v for k, v in tensors.items() if k.startswith(_HISTORY_PREFIX)}
        try:
            return cls(
                latents=tensors[_LATENTS],
                timesteps=tensors[_TIMESTEPS],
                step_index=int(header["step_index"]),
                num_steps=int(header["num_steps"]),
                scheduler_class=str(header["scheduler_class"]),
                scheduler_config=dict(header["scheduler_config"]),
                history=history,
                history_meta=dict(header.get("history_meta", {})),
                metadata=dict(header.get("metadata", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise StateError(f"denoise state header is incomplete: {exc}") from None


def _read_header(data: bytes) -> dict[str, Any]:
    if len(data) < 8:
        raise StateError("denoise state is truncated")
    (size,) = struct.unpack("<Q", data[:8])
    if size > min(_MAX_HEADER, len(data) - 8):
        raise StateError("denoise state header is larger than the body")
    try:
        raw = json.loads(data[8 : 8 + size])
        header = json.loads(raw["__metadata__"]["obclip"])
    except (ValueError, KeyError, TypeError):
        raise StateError("denoise state has no obclip header") from None
    if not isinstance(header, dict) or header.get("format") != STATE_FORMAT:
        raise StateError(f"unsupported denoise state format (expected {STATE_FORMAT})")
    return header


def json_default(value: Any) -> Any:
    """How the header's JSON writes what `json` cannot: tensors and tuples as lists, scalars by `.item()`."""
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if isinstance(value, (tuple, set)):
        return list(value)
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot serialise {type(value).__name__}")
