"""`AccelConfig`: which accelerations a request asks for, with JSON (de)serialisation and validation."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from obclip.accel.attention_cache import AttentionCacheConfig
from obclip.accel.batch_reuse import BatchReuseConfig
from obclip.accel.block_skip import BlockSkipConfig
from obclip.accel.shared_uncond import SharedUncondConfig
from obclip.errors import InvalidInputError


@dataclass
class AccelConfig:
    r"""
    The UNet accelerations of one request; a field left `None` is off. `AccelConfig()` is everything off.

    Args:
        batch_reuse (`BatchReuseConfig`, *optional*): the pivot's attention maps shared on early steps.
        attention_cache (`AttentionCacheConfig`, *optional*): self-attention bypassed, cross-attention
            cached, from `cache_step` (r) on.
        block_skip (`BlockSkipConfig`, *optional*): down and mid blocks skipped from `skip_step` (s) on.
        shared_uncond (`SharedUncondConfig`, *optional*): one unconditional row for all candidates.
    """

    batch_reuse: BatchReuseConfig | None = None
    attention_cache: AttentionCacheConfig | None = None
    block_skip: BlockSkipConfig | None = None
    shared_uncond: SharedUncondConfig | None = None

    _SECTIONS: ClassVar[dict[str, type]] = {
        "batch_reuse": BatchReuseConfig,
        "attention_cache": AttentionCacheConfig,
        "block_skip": BlockSkipConfig,
        "shared_uncond": SharedUncondConfig,
    }

    @property
    def enabled(self) -> bool:
        """True when at least one acceleration is on."""
        return any(getattr(self, name) is not None for name in self._SECTIONS)

    @property
    def names(self) -> list[str]:
        """The accelerations that are on, in a fixed order."""
        return [name for name in self._SECTIONS if getattr(self, name) is not None]

    def validate(self, num_steps: int | None = None) -> AccelConfig:
        """Raise `InvalidInputError` on a bad value; with `num_steps`, steps must lie in [0, num_steps]."""
        for name, cls in self._SECTIONS.items():
            section = getattr(self, name)
            if section is None:
                continue
            if not isinstance(section, cls):
                raise InvalidInputError(f"{name} must be a {cls.__name__} or None, got {type(section).__name__}")
            section.validate()
            if num_steps is None:
                continue
            for field in ("stop_step", "cache_step", "skip_step"):
                value = getattr(section, field, None)
                if value is not None and value > num_steps:
                    raise InvalidInputError(f"{name}.{field} must be <= the {num_steps} steps, got {value}")
        return self

    def to_dict(self) -> dict[str, dict[str, Any] | None]:
        """JSON-able form: every section's key, `None` when off."""
        return {
            name: None if getattr(self, name) is None else dataclasses.asdict(getattr(self, name))
            for name in self._SECTIONS
        }

    @classmethod
    def from_dict(cls, data: Any) -> AccelConfig:
        """Inverse of `to_dict`; missing sections are off, unknown keys or bad values raise."""
        if not isinstance(data, Mapping):
            raise InvalidInputError(f"acceleration options must be an object, got {type(data).__name__}")
        unknown = sorted(set(data) - set(cls._SECTIONS))
        if unknown:
            raise InvalidInputError(f"unknown acceleration option(s): {', '.join(map(str, unknown))}")
        sections: dict[str, Any] = {}
        for name, section_cls in cls._SECTIONS.items():
            value = data.get(name)
            if value is None:
                continue
            if not isinstance(value, Mapping):
                raise InvalidInputError(f"{name} must be an object or null, got {type(value).__name__}")
            allowed = {field.name for field in dataclasses.fields(section_cls)}
            bad = sorted(set(value) - allowed)
            if bad:
                raise InvalidInputError(f"unknown option(s) for {name}: {', '.join(map(str, bad))}")
            sections[name] = section_cls(**value)
        return cls(**sections).validate()

    @classmethod
    def paper(cls, *, cache_step: int, skip_step: int | None = None, cache_interval: int = 5) -> AccelConfig:
        """The paper's stack: caching from r, batch reuse before r, block skipping from s if given."""
        return cls(
            batch_reuse=BatchReuseConfig(),
            attention_cache=AttentionCacheConfig(cache_step=cache_step, cache_interval=cache_interval),
            block_skip=None if skip_step is None else BlockSkipConfig(skip_step=skip_step),
        )

    PRESETS: ClassVar[tuple[str, ...]] = ("paper", "recommended")

    @classmethod
    def preset(cls, name: str, switch_step: int) -> AccelConfig:
        """A named stack with its cache and skip points set for switch step k.

        The paper's points are (r, s) = (3, 3) at k = 5 and (4, 6) at k = 10; other k scale
        them (r = 0.4 k, s = 0.6 k above 5, k - 1 capped at 3 below), never past k.
        `recommended` uses s = r (its shallow branch is cheap enough to start early).
        """
        if switch_step <= 5:
            cache_step = skip_step = max(1, min(3, switch_step - 1))
        else:
            cache_step, skip_step = max(1, round(0.4 * switch_step)), max(1, round(0.6 * switch_step))
        if name == "paper":
            return cls.paper(cache_step=cache_step, skip_step=skip_step)
        if name == "recommended":
            return cls.recommended(cache_step=cache_step, skip_step=cache_step)
        raise InvalidInputError(f"unknown acceleration preset {name!r} (choose one of: {', '.join(cls.PRESETS)})")

    @classmethod
    def recommended(cls, *, cache_step: int = 4, skip_step: int = 4, cache_interval: int = 5) -> AccelConfig:
        """The stack docs/accelerations.md recommends after measuring fidelity.

        Self-attention maps shared before r, attn1 replayed and attn2 cached from r, DeepCache-style
        shallow-branch skipping from s, the unconditional branch shared on step 0 only (exact there).
        """
        return cls(
            batch_reuse=BatchReuseConfig(attention="self"),
            attention_cache=AttentionCacheConfig(
                cache_step=cache_step, cache_interval=cache_interval, self_attention="reuse"
            ),
            block_skip=BlockSkipConfig(skip_step=skip_step, mode="shallow_branch"),
            shared_uncond=SharedUncondConfig(stop_step=1),
        )
