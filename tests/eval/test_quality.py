"""A cheap run of `obclip eval quality` on the shipped portrait pair.

Thresholds: on 200 held-out captions at T = 25 the large model alone draws gender and age
right 94-99 % of the time (training/README.md). Here 16 captions at T = 10 steps keep CI
cheap, so the bar for gender and age is 0.8; skin tone is reported, not asserted (the shipped
model reads it right only about half the time, see training/README.md).
"""

import math

import pytest

from obclip.api import resolve_taxonomy
from obclip.eval.quality import WORLD_LARGE, Setting, evaluate, held_out_prompts


@pytest.fixture(scope="module")
def rows():
    prompts = held_out_prompts(16, seed=777, taxonomy=resolve_taxonomy(None, WORLD_LARGE))
    settings = [Setting("large", 10), Setting("small", 0), Setting("hybrid", 3), Setting("obclip", 3)]
    return {row.setting: row for row in evaluate(settings, prompts, steps=10)}


def test_large_model_draws_gender_and_age(rows):
    large = rows["large"]
    assert large.accuracy["gender"] >= 0.8 and large.accuracy["age"] >= 0.8, large.accuracy


def test_obclip_without_acceleration_is_hybrid(rows):
    """Privacy alone costs no quality: the true row's image is the Hybrid image (batch numerics aside)."""
    hybrid, obclip = rows["hybrid k=3"], rows["obclip k=3"]
    assert obclip.mean_candidates > 1 and hybrid.mean_candidates == 1
    assert obclip.accuracy == hybrid.accuracy
    assert math.isclose(obclip.fcd, hybrid.fcd, rel_tol=1e-3)


def test_every_setting_is_scored(rows):
    for row in rows.values():
        assert 0 <= row.sensitive_accuracy <= 1 and 0 <= row.non_sensitive_accuracy <= 1
        assert math.isfinite(row.fcd) and row.fcd > 0


def test_demo_draws_the_demo_prompts_sensitive_attributes(tmp_path):
    """`obclip demo` (seed 0, the README's command) draws an old man with dark skin, as its prompt says."""
    import numpy as np
    import torch
    from PIL import Image

    from obclip.cli import main
    from obclip.world import WORLD_ATTRIBUTES, load_classifier

    out = tmp_path / "demo.png"
    assert main(["demo", "--out", str(out), "--quiet"]) == 0
    pixels = np.asarray(Image.open(out).convert("RGB"), dtype=np.float32) / 255
    predicted = load_classifier().predict(torch.from_numpy(pixels).permute(2, 0, 1)[None])
    read = {name: WORLD_ATTRIBUTES[name].values[int(predicted[name][0])] for name in ("gender", "age", "skin")}
    assert read == {"gender": "male", "age": "old", "skin": "dark"}
