"""Attribute classifier for world portraits and the Fréchet classifier distance (FCD).

A small CNN with one head per attribute reads 64×64 images in [0, 1]. Its penultimate
(pooled) features define `frechet_distance`, an FID-like score — not FID: the features are this
classifier's, not Inception's, so numbers are only comparable with each other.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import Tensor, nn

from obclip.models import model_dir
from obclip.world.attributes import WORLD_ATTRIBUTES


class AttributeClassifier(nn.Module):
    """Conv stack 64→4 px, global average pool, one linear head per attribute."""

    def __init__(self, heads: dict[str, int], channels: tuple[int, ...] = (16, 32, 64, 128)) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 3
        for c in channels:
            layers += [
                nn.Conv2d(c_in, c, 3, padding=1),
                nn.SiLU(),
                nn.Conv2d(c, c, 3, stride=2, padding=1),
                nn.GroupNorm(8, c),
                nn.SiLU(),
            ]
            c_in = c
        self.body = nn.Sequential(*layers)
        self.heads = nn.ModuleDict({name: nn.Linear(c_in, n) for name, n in heads.items()})
        self.config = {"heads": heads, "channels": list(channels)}

    def features(self, images: Tensor) -> Tensor:
        """Penultimate features, shape (B, channels[-1]); ``images`` is (B, 3, 64, 64) in [0, 1]."""
        return self.body(images * 2 - 1).mean(dim=(2, 3))

    def forward(self, images: Tensor) -> dict[str, Tensor]:
        f = self.features(images)
        return {name: head(f) for name, head in self.heads.items()}

    @torch.no_grad()
    def predict(self, images: Tensor) -> dict[str, Tensor]:
        """Predicted value index of every attribute (index into ``WORLD_ATTRIBUTES[name].values``)."""
        return {name: logits.argmax(-1) for name, logits in self(images).items()}

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        save_file({k: v.contiguous() for k, v in self.state_dict().items()}, directory / "model.safetensors")
        values = {name: list(WORLD_ATTRIBUTES[name].values) for name in self.config["heads"]}
        (directory / "config.json").write_text(json.dumps({**self.config, "values": values}, indent=2) + "\n")


def load_classifier(directory: Path | None = None) -> AttributeClassifier:
    """The shipped classifier (``obclip/models/portrait-classifier``), in eval mode on the CPU."""
    directory = Path(directory) if directory is not None else model_dir("portrait-classifier")
    config = json.loads((directory / "config.json").read_text())
    model = AttributeClassifier(config["heads"], tuple(config["channels"]))
    model.load_state_dict(load_file(directory / "model.safetensors"))
    return model.eval()


class _FeatureRows(nn.Module):
    """Identity "feature extractor": lets torchmetrics' FID take feature rows that are already computed."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, rows: Tensor) -> Tensor:
        return rows


def frechet_distance(feats_a: Tensor, feats_b: Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets, shapes (N, D) and (M, D).

    torchmetrics' ``FrechetInceptionDistance`` in float64, with the rows given as the features:
    ‖μa − μb‖² + tr(Σa) + tr(Σb) − 2 tr((Σa Σb)^½). On the classifier's features this is the
    Fréchet classifier distance (FCD), an FID-like score, not FID.
    """
    from torchmetrics.image.fid import FrechetInceptionDistance

    a, b = feats_a.detach().double(), feats_b.detach().double()
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"need two (N, D) feature sets with the same D, got {tuple(a.shape)} and {tuple(b.shape)}")
    if a.shape[0] < 2 or b.shape[0] < 2:
        raise ValueError("need at least two samples on each side")
    metric = FrechetInceptionDistance(feature=_FeatureRows(a.shape[1]), normalize=True)
    metric.set_dtype(torch.float64)
    metric.update(b, real=True)
    metric.update(a, real=False)
    return float(metric.compute())
