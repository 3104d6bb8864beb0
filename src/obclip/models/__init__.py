"""The shipped weights, one folder each: the trained portrait pair and the world's classifier.

`engine.embedded` names the diffusion models (`embedded:portrait-large`); the world loads its
classifier from here. Nothing here imports torch.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def model_dir(name: str) -> Path:
    """The folder of the shipped model `name`, e.g. ``model_dir("portrait-large")``."""
    return Path(str(resources.files(__name__) / name))
