"""Pictures of the measurements: lines over k per acceleration, cost bars per row, the FCD floor."""

import math

import numpy as np
import pytest
from PIL import Image

from obclip.eval.plots import cost_labels, plot_cost, plot_quality, quality_series
from obclip.eval.quality import QualityRow, Setting, fcd_floor, held_out_prompts, workload


def row(setting, method, k, accuracy, fcd):
    return QualityRow(setting, method, k, [], 1.0, {}, accuracy, accuracy, fcd, 0.0, 0.0)


ROWS = [
    row("large", "large", 25, 1.0, 4.0),
    row("small", "small", 0, 0.9, 8.5),
    row("hybrid k=10", "hybrid", 10, 0.98, 5.0),
    row("obclip k=10", "obclip", 10, 0.98, 5.0),
    row("obclip k=10 +paper", "obclip", 10, 0.85, 8.0),
    row("hybrid k=5", "hybrid", 5, 0.95, 6.0),
    row("obclip k=5", "obclip", 5, 0.95, 6.0),
    row("obclip k=5 +paper", "obclip", 5, 0.8, 9.0),
]


def test_quality_lines_run_from_the_small_model_to_the_large_one():
    lines, levels = quality_series(ROWS)
    assert set(lines) == {"hybrid (N = 1, no privacy)", "obclip", "obclip +paper"}
    assert [k for k, _, _ in lines["obclip"]] == [0, 5, 10, 25]
    assert lines["obclip"][0] == (0, 0.9, 8.5) and lines["obclip"][-1] == (25, 1.0, 4.0)
    assert lines["obclip +paper"] == [(5, 0.8, 9.0), (10, 0.85, 8.0)]
    assert levels == {"large alone": (25, 1.0, 4.0), "small alone": (0, 0.9, 8.5)}


def _drawn(path):
    pixels = np.asarray(Image.open(path).convert("L"), dtype=np.float32)
    return pixels.std() > 5


def test_plots_are_pngs_with_something_drawn(tmp_path):
    assert _drawn(plot_quality(ROWS, tmp_path / "q" / "quality.png", floor=1.2))
    cost_rows = [
        {"method": "large", "label": "large model alone", "N": 6, "k": None, "cloud_macs": 16.9e12, "device_macs": 0},
        {"method": "obclip", "label": "ObCLIP", "N": 6, "k": 10, "cloud_macs": 40.6e12, "device_macs": 6.5e12},
        {"method": "obclip", "label": "+ caching", "N": 6, "k": 10, "cloud_macs": 38.1e12, "device_macs": 6.5e12},
    ]
    assert cost_labels(cost_rows) == ["large model alone", "ObCLIP (N=6, k=10)", "+ caching (N=6, k=10)"]
    assert _drawn(plot_cost(cost_rows, tmp_path / "cost.png"))


def test_workload_counts_images_and_cloud_rows_before_the_run():
    prompts = held_out_prompts(3, seed=5)
    settings = [Setting("large", 10), Setting("small", 0), Setting("hybrid", 4), Setting("obclip", 4)]
    n = sum(len(p.candidate_set) for p in prompts)
    assert workload(settings, prompts).startswith(f"4 settings x 3 prompts = 12 images; {3 * 10 + 3 * 4 + n * 4} ")


def test_fcd_floor_is_far_below_a_generator_that_ignores_the_prompt():
    import random

    import torch

    from obclip.eval.quality import _pixels
    from obclip.world import frechet_distance, load_classifier, render

    prompts = held_out_prompts(24, seed=3)
    floor = fcd_floor(prompts)
    classifier = load_classifier()
    mine = _pixels([render(p.attributes, random.Random(p.seed)) for p in prompts])
    # A generator that ignores its prompt: every image shows the first prompt's person.
    other = _pixels([render(prompts[0].attributes, random.Random(i)) for i in range(len(prompts))])
    with torch.no_grad():
        unrelated = frechet_distance(classifier.features(other), classifier.features(mine))
    assert math.isfinite(floor) and 0 <= floor < unrelated / 2


@pytest.mark.parametrize(("argv", "message"), [(["--plot", "q.txt"], "--plot"), (["--ks", "3,x"], "--ks")])
def test_eval_quality_refuses_bad_options_before_any_work(capsys, argv, message):
    from obclip.cli import main

    assert main(["eval", "quality", *argv]) == 2
    assert message in capsys.readouterr().err
