"""`AccelConfig`: which accelerations a request asks for, one optional section per registered technique;
JSON (de)serialisation, validation, presets and `AccelConfig.parse` for every form a caller may give."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from obclip.accel._common import Technique, check_int
from obclip.accel.registry import techniques
from obclip.errors import InvalidInputError


class AccelConfig:
    r"""
    The UNet accelerations of one request: a keyword per registered technique (`registry.TECHNIQUES`)
    whose value is that technique's config, `None` (or absent) when off. `AccelConfig()` is everything off.

        AccelConfig(batch_reuse=BatchReuseConfig(attention="self"), block_skip=BlockSkipConfig(skip_step=4))

    Sections read as attributes (`cfg.block_skip`) or with `cfg.get("block_skip")`.
    """

    PRESETS: ClassVar[tuple[str, ...]] = ("paper", "recommended", "scalable")

    def __init__(self, **sections: Any) -> None:
        known = [t.name for t in techniques()]
        unknown = sorted(set(sections) - set(known))
        if unknown:
            raise TypeError(
                f"AccelConfig got unknown acceleration(s): {', '.join(unknown)} (known: {', '.join(known)})"
            )
        self._sections: dict[str, Any] = {name: sections.get(name) for name in known}

    def __getattr__(self, name: str) -> Any:
        try:
            sections = object.__getattribute__(self, "_sections")
        except AttributeError:
            raise AttributeError(name) from None
        if name in sections:
            return sections[name]
        raise AttributeError(f"AccelConfig has no acceleration {name!r}")

    def get(self, name: str) -> Any:
        """Technique[Any, Any, Any] `name`'s section, None when it is off (or not registered)."""
        return self._sections.get(name)

    def items(self) -> Iterator[tuple[Technique[Any, Any, Any], Any]]:
        """`(technique, section)` for every technique that is on, in registry order."""
        for t in techniques():
            section = self._sections.get(t.name)
            if section is not None:
                yield t, section

    def replace(self, **changes: Any) -> AccelConfig:
        """A copy with the given sections replaced (`None` turns one off)."""
        return AccelConfig(**{**self._sections, **changes})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AccelConfig):
            return NotImplemented
        mine = {k: v for k, v in self._sections.items() if v is not None}
        theirs = {k: v for k, v in other._sections.items() if v is not None}
        return mine == theirs

    __hash__ = None  # type: ignore[assignment]  # mutable sections, like a dataclass

    def __repr__(self) -> str:
        parts = ", ".join(f"{t.name}={section!r}" for t, section in self.items())
        return f"AccelConfig({parts})"

    @property
    def enabled(self) -> bool:
        """True when at least one acceleration is on."""
        return any(True for _ in self.items())

    @property
    def names(self) -> list[str]:
        """The accelerations that are on, in registry order."""
        return [t.name for t, _ in self.items()]

    def validate(self, num_steps: int | None = None) -> AccelConfig:
        """Raise `InvalidInputError` on a bad value; with `num_steps`, steps must lie in [0, num_steps]."""
        for t in techniques():
            section = self._sections.get(t.name)
            if section is None:
                continue
            if not isinstance(section, t.config_class):
                raise InvalidInputError(
                    f"{t.name} must be a {t.config_class.__name__} or None, got {type(section).__name__}"
                )
            section.validate()
            if num_steps is None:
                continue
            for field in t.step_fields:
                value = getattr(section, field)
                if value is not None and value > num_steps:
                    raise InvalidInputError(f"{t.name}.{field} must be <= the {num_steps} steps, got {value}")
        return self

    def to_dict(self) -> dict[str, dict[str, Any] | None]:
        """JSON-able form: every registered technique's key, `None` when off."""
        return {
            t.name: None if (s := self._sections.get(t.name)) is None else dataclasses.asdict(s) for t in techniques()
        }

    @classmethod
    def from_dict(cls, data: Any) -> AccelConfig:
        """Inverse of `to_dict`; missing sections are off, unknown keys or bad values raise."""
        if not isinstance(data, Mapping):
            raise InvalidInputError(f"acceleration options must be an object, got {type(data).__name__}")
        registered = {t.name: t for t in techniques()}
        unknown = sorted(set(map(str, data)) - set(registered))
        if unknown:
            raise InvalidInputError(f"unknown acceleration option(s): {', '.join(unknown)}")
        sections: dict[str, Any] = {}
        for name, t in registered.items():
            value = data.get(name)
            if value is None:
                continue
            if not isinstance(value, Mapping):
                raise InvalidInputError(f"{name} must be an object or null, got {type(value).__name__}")
            allowed = {field.name for field in dataclasses.fields(t.config_class)}
            bad = sorted(set(map(str, value)) - allowed)
            if bad:
                raise InvalidInputError(f"unknown option(s) for {name}: {', '.join(bad)}")
            sections[name] = t.config_class(**value)
        return cls(**sections).validate()

    @classmethod
    def parse(cls, value: Any, *, switch_step: int | None = None, num_steps: int | None = None) -> AccelConfig | None:
        """Any form a caller may give for the accelerations, as a validated `AccelConfig` (None: off).

        Accepts None or `"none"` (off), an `AccelConfig`, a preset name (`"paper"`, `"recommended"`,
        its points set for `switch_step`), a dict in the `to_dict` form, or the path of a JSON file
        holding one. Anything else raises `InvalidInputError`.
        """
        if value is None or (isinstance(value, str) and value.strip().lower() == "none"):
            return None
        if isinstance(value, AccelConfig):
            config = value
        elif isinstance(value, Mapping):
            config = cls.from_dict(value)
        elif isinstance(value, str) and value in cls.PRESETS:
            if switch_step is None:
                raise InvalidInputError(f"the {value!r} acceleration preset needs the switch step k")
            config = cls.preset(value, switch_step)
        elif isinstance(value, (str, os.PathLike)) and Path(value).suffix.lower() == ".json":
            config = cls.from_dict(_read_json(Path(value)))
        elif isinstance(value, str):
            raise InvalidInputError(
                f"unknown acceleration setting {value!r}: give a preset ({', '.join((*cls.PRESETS, 'none'))}), "
                "an options object or a .json file"
            )
        else:
            raise InvalidInputError(
                "accelerations must be a preset name, an AccelConfig, a dict or a .json path, "
                f"got {type(value).__name__}"
            )
        return config.validate(num_steps) if config.enabled else None

    @classmethod
    def paper(cls, *, cache_step: int, skip_step: int | None = None, cache_interval: int = 5) -> AccelConfig:
        """The paper's stack: caching from r, batch reuse before r, block skipping from s if given."""
        return cls.from_dict(
            {
                "batch_reuse": {},
                "attention_cache": {"cache_step": cache_step, "cache_interval": cache_interval},
                "block_skip": None if skip_step is None else {"skip_step": skip_step},
            }
        )

    @classmethod
    def preset(cls, name: str, switch_step: int) -> AccelConfig:
        """A named stack with its cache and skip points set for switch step k.

        The paper's points are (r, s) = (3, 3) at k = 5 and (4, 6) at k = 10; other k scale
        them (r = 0.4 k, s = 0.6 k above 5, k - 1 capped at 3 below), never past k.
        `recommended` uses s = r (its shallow branch is cheap enough to start early); `scalable` is
        `recommended` with the candidate basis (ceil(1.2 sqrt(N)) candidates per group run).
        """
        check_int("switch_step", switch_step, minimum=0)
        if switch_step <= 5:
            cache_step = skip_step = max(1, min(3, switch_step - 1))
        else:
            cache_step, skip_step = max(1, round(0.4 * switch_step)), max(1, round(0.6 * switch_step))
        if name == "paper":
            return cls.paper(cache_step=cache_step, skip_step=skip_step)
        if name == "recommended":
            return cls.recommended(cache_step=cache_step, skip_step=cache_step)
        if name == "scalable":
            from obclip.accel.candidate_basis import CandidateBasisConfig

            return cls.recommended(cache_step=cache_step, skip_step=cache_step).replace(
                candidate_basis=CandidateBasisConfig()
            )
        raise InvalidInputError(f"unknown acceleration preset {name!r} (choose one of: {', '.join(cls.PRESETS)})")

    @classmethod
    def recommended(cls, *, cache_step: int = 4, skip_step: int = 4, cache_interval: int = 5) -> AccelConfig:
        """The stack docs/accelerations.md recommends after measuring fidelity.

        Self-attention maps shared before r, attn1 replayed and attn2 cached from r, DeepCache-style
        shallow-branch skipping from s, the unconditional branch shared on step 0 only (exact there).
        """
        return cls.from_dict(
            {
                "batch_reuse": {"attention": "self"},
                "attention_cache": {
                    "cache_step": cache_step,
                    "cache_interval": cache_interval,
                    "self_attention": "reuse",
                },
                "block_skip": {"skip_step": skip_step, "mode": "shallow_branch"},
                "shared_uncond": {"stop_step": 1},
            }
        )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInputError(f"cannot read acceleration file {str(path)!r}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"acceleration file {str(path)!r} is not valid JSON: {exc}") from None
