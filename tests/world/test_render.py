from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
import torch

from obclip.world import WORLD_ATTRIBUTES, attribute_indices, load_classifier, render, sample_attributes


def test_deterministic_and_size() -> None:
    attrs = sample_attributes(random.Random(0))
    a = render(attrs, random.Random(5))
    assert a.size == (64, 64) and a.mode == "RGB"
    assert a.tobytes() == render(attrs, random.Random(5)).tobytes()
    assert render(attrs).tobytes() == render(attrs).tobytes()
    assert a.tobytes() != render(attrs, random.Random(6)).tobytes()  # jitter


def test_rejects_unknown_values() -> None:
    attrs = sample_attributes(random.Random(0)) | {"age": "ancient"}
    with pytest.raises(ValueError, match="age"):
        render(attrs)


def test_each_attribute_changes_the_image_substantially() -> None:
    base = {name: attr.values[0] for name, attr in WORLD_ATTRIBUTES.items()}
    ref = np.asarray(render(base), dtype=np.float32)
    for name, attr in WORLD_ATTRIBUTES.items():
        for value in attr.values[1:]:
            diff = np.abs(np.asarray(render(base | {name: value}), dtype=np.float32) - ref).mean(-1)
            assert (diff > 40).sum() >= 25, f"{name}={value} changes too few pixels"


def test_classifier_reads_renders() -> None:
    rng = random.Random(11)
    attrs = []
    for g, a, s in itertools.product(*(WORLD_ATTRIBUTES[n].values for n in ("gender", "age", "skin"))):
        for _ in range(4):
            attrs.append(sample_attributes(rng) | {"gender": g, "age": a, "skin": s})
    images = torch.stack([torch.from_numpy(np.array(render(x, rng))).permute(2, 0, 1) for x in attrs]) / 255
    pred = load_classifier().predict(images.float())
    for name in WORLD_ATTRIBUTES:
        truth = torch.tensor([attribute_indices(x)[name] for x in attrs])
        assert (pred[name] == truth).float().mean() >= 0.98, name
