"""Bootstrap intervals and paired differences of `obclip eval quality` (no generation: rows built by hand)."""

import math

import pytest
import torch

from obclip.eval.quality import (
    QualityRow,
    attribute_accuracy,
    bootstrap_indices,
    bootstrap_row,
    paired_difference,
    sensitive_accuracy,
)


def make_row(name, correct, features=None):
    accuracy = attribute_accuracy(correct)
    sensitive = sensitive_accuracy(correct)
    return QualityRow(
        name, "obclip", 10, [], 6.0, accuracy, sensitive, 0.0, 1.0, 0.0, 0.0, correct=correct, features=features
    )


def marks(hits, stated):
    return [int(h) if s else None for h, s in zip(hits, stated, strict=True)]


def test_accuracy_counts_only_captions_that_state_the_attribute():
    correct = {"gender": [1, 0, None, 1], "age": [None, None, None, None], "skin": [0, 0, 1, None]}
    acc = attribute_accuracy(correct)
    assert acc["gender"] == pytest.approx(2 / 3) and math.isnan(acc["age"]) and acc["skin"] == pytest.approx(1 / 3)
    assert sensitive_accuracy(correct) == pytest.approx(0.5)  # mean of the stated ones
    assert attribute_accuracy(correct, [0, 0, 1])["gender"] == pytest.approx(2 / 3)  # a resample, with repeats


def test_intervals_contain_the_estimate_and_shrink_with_more_captions():
    g = torch.Generator().manual_seed(0)
    widths = []
    for count in (40, 400):
        hits = (torch.rand(count, generator=g) < 0.8).tolist()
        correct = {n: marks(hits, [True] * count) for n in ("gender", "age", "skin")}
        features = torch.randn(count, 8, generator=g, dtype=torch.float64)
        references = features + 0.1 * torch.randn(count, 8, generator=g, dtype=torch.float64)
        ivs = bootstrap_row(make_row("a", correct, features), references, resamples=200)
        for name in ("sensitive", "gender", "fcd"):
            assert ivs[name].low <= ivs[name].high
        assert ivs["sensitive"].low <= ivs["sensitive"].value <= ivs["sensitive"].high
        widths.append(ivs["sensitive"].high - ivs["sensitive"].low)
    assert widths[1] < widths[0] / 2


def test_paired_difference_sees_a_shift_that_unpaired_noise_would_hide():
    """Two settings that agree on every caption but one in ten: the paired interval is narrow around the
    true difference (the captions' own difficulty cancels)."""
    g = torch.Generator().manual_seed(1)
    count = 300
    base = (torch.rand(count, generator=g) < 0.6).tolist()
    worse = [b and i % 10 != 0 for i, b in enumerate(base)]
    rows = [
        make_row(name, {n: marks(h, [True] * count) for n in ("gender", "age", "skin")})
        for name, h in (("base", base), ("worse", worse))
    ]
    diff = paired_difference(rows[1], rows[0], resamples=500)
    assert diff.value == pytest.approx(rows[1].sensitive_accuracy - rows[0].sensitive_accuracy)
    assert diff.high < 0 and diff.high - diff.low < 0.06
    same = paired_difference(rows[0], rows[0], resamples=50)
    assert (same.value, same.low, same.high) == (0.0, 0.0, 0.0)


def test_resamples_are_one_fixed_stream():
    assert (bootstrap_indices(7, 5, seed=3) == bootstrap_indices(7, 5, seed=3)).all()
    assert bootstrap_indices(7, 5).shape == (5, 7)


def test_a_paired_difference_needs_the_same_captions():
    a = make_row("a", {n: [1, 0] for n in ("gender", "age", "skin")})
    b = make_row("b", {n: [1, 0, 1] for n in ("gender", "age", "skin")})
    with pytest.raises(ValueError):
        paired_difference(a, b)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preset", "benchmark", "--steps", "10"], "--steps must exceed it"),
        (["--preset", "benchmark", "--bootstrap", "0"], "--bootstrap must be at least 1"),
        (["--batch", "0"], "--batch must be at least 1"),
    ],
)
def test_benchmark_flags_are_checked_before_any_work(args, message, capsys):
    from obclip.cli import main

    assert main(["eval", "quality", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
