"""The world's attributes: names, value spaces, which are sensitive, and how to sample them.

The sensitive attributes and their surface forms are `taxonomy.json`, read and validated by the
privacy module's own parser (`world_taxonomy`); the non-sensitive ones are defined here.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from obclip.privacy import Taxonomy, load_taxonomy

Attributes = dict[str, str]
"""One portrait: attribute name -> value, e.g. ``{"gender": "female", "age": "old", ...}``."""


@dataclass(frozen=True)
class WorldAttribute:
    """One attribute of the world: its values (order = class index) and whether it is sensitive."""

    name: str
    values: tuple[str, ...]
    sensitive: bool

    def index(self, value: str) -> int:
        return self.values.index(value)


@cache
def world_taxonomy() -> Taxonomy:
    """The world's taxonomy (``world/taxonomy.json``), as the privacy module reads it."""
    return load_taxonomy(Path(str(resources.files("obclip.world") / "taxonomy.json")))


def taxonomy_forms(attribute: str, value: str) -> Mapping[str, tuple[str, ...]]:
    """Surface forms (category -> tuple, first is canonical) of one sensitive value."""
    return world_taxonomy().attribute(attribute).forms[value]


def _build() -> dict[str, WorldAttribute]:
    out: dict[str, WorldAttribute] = {}
    for spec in world_taxonomy().attributes:
        out[spec.name] = WorldAttribute(spec.name, spec.values, True)
    out["background"] = WorldAttribute("background", ("red", "blue", "green", "yellow", "purple"), False)
    out["clothing"] = WorldAttribute("clothing", ("red", "blue", "green", "white", "black"), False)
    out["accessory"] = WorldAttribute("accessory", ("none", "glasses", "hat"), False)
    return out


WORLD_ATTRIBUTES: dict[str, WorldAttribute] = _build()
"""Every attribute of the world, in slot order: gender, age, skin (sensitive), then background,
clothing, accessory (non-sensitive)."""

SENSITIVE = tuple(a.name for a in WORLD_ATTRIBUTES.values() if a.sensitive)
NON_SENSITIVE = tuple(a.name for a in WORLD_ATTRIBUTES.values() if not a.sensitive)


def sample_attributes(rng: random.Random) -> Attributes:
    """Draw every attribute uniformly and independently."""
    return {name: rng.choice(attr.values) for name, attr in WORLD_ATTRIBUTES.items()}


def attribute_indices(attrs: Attributes) -> dict[str, int]:
    """Class index of each attribute value (the classifier's label space)."""
    return {name: WORLD_ATTRIBUTES[name].index(value) for name, value in attrs.items()}
