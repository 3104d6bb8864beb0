"""The world's attributes: names, value spaces, which are sensitive, and how to sample them.

The sensitive attributes and their surface forms come from `taxonomy.json` (the same file the
privacy module reads); the non-sensitive ones are defined here.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

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
def load_taxonomy() -> dict[str, Any]:
    """The world's taxonomy (format ``obclip-taxonomy/1``) as parsed JSON."""
    text = resources.files("obclip.world").joinpath("taxonomy.json").read_text(encoding="utf-8")
    return json.loads(text)


def taxonomy_forms(attribute: str, value: str) -> dict[str, list[str]]:
    """Surface forms (category -> list, first is canonical) of one sensitive value."""
    for attr in load_taxonomy()["attributes"]:
        if attr["name"] == attribute:
            for entry in attr["values"]:
                if entry["value"] == value:
                    return entry["forms"]
    raise KeyError(f"{attribute}={value} is not in the world's taxonomy")


def _build() -> dict[str, WorldAttribute]:
    out: dict[str, WorldAttribute] = {}
    for attr in load_taxonomy()["attributes"]:
        out[attr["name"]] = WorldAttribute(attr["name"], tuple(v["value"] for v in attr["values"]), True)
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
