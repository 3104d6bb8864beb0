"""A cheap run of `obclip eval quality` on the shipped portrait pair.

Thresholds: on 200 held-out captions at T = 25 the large model alone draws gender, age and
skin tone right 100 % of the time, the small one 91 / 95 / 81 % (training/README.md). Here 16
captions at T = 10 keep CI cheap; over three prompt seeds (777, 1, 2) the large model read
0.86-1.0 on every sensitive attribute, so the bar is 0.8 each. The small model was below the
large one on mean sensitive accuracy (by 0.04-0.15) and FCD (40-52 against 20-32) each time.
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


def test_large_model_draws_every_sensitive_attribute(rows):
    large = rows["large"]
    for name in ("gender", "age", "skin"):
        assert large.accuracy[name] >= 0.8, large.accuracy


def test_small_model_is_measurably_weaker(rows):
    large, small = rows["large"], rows["small"]
    assert small.sensitive_accuracy < large.sensitive_accuracy, (small.accuracy, large.accuracy)
    assert small.fcd > large.fcd


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


def test_demo_draws_what_the_demo_prompt_states(tmp_path):
    """`obclip demo` (seed 0, the README's command) draws what its prompt states: an old man with
    dark skin wearing glasses, blue background."""
    import numpy as np
    import torch
    from PIL import Image

    from obclip.cli import main
    from obclip.world import WORLD_ATTRIBUTES, load_classifier

    out = tmp_path / "demo.png"
    assert main(["demo", "--out", str(out), "--quiet"]) == 0
    pixels = np.asarray(Image.open(out).convert("RGB"), dtype=np.float32) / 255
    predicted = load_classifier().predict(torch.from_numpy(pixels).permute(2, 0, 1)[None])
    stated = ("gender", "age", "skin", "accessory", "background")
    read = {name: WORLD_ATTRIBUTES[name].values[int(predicted[name][0])] for name in stated}
    assert read == {"gender": "male", "age": "old", "skin": "dark", "accessory": "glasses", "background": "blue"}
