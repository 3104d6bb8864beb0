"""Where the shipped world models live inside the installed package."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

MODEL_NAMES = ("portrait-large", "portrait-small", "portrait-classifier")


def model_dir(name: str) -> Path:
    """Filesystem path of a shipped model directory, e.g. ``model_dir("portrait-large")``."""
    if name not in MODEL_NAMES:
        raise KeyError(f"unknown world model {name!r}; known: {', '.join(MODEL_NAMES)}")
    return Path(str(resources.files("obclip.models").joinpath(name)))
