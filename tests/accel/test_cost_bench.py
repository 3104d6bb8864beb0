"""bench/cost.py end to end on a short schedule: JSON shape and the table's invariants."""

from __future__ import annotations

import importlib.util
import itertools
import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "cost.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("obclip_bench_cost", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_cost_table_json(tmp_path, capsys):
    out = tmp_path / "cost.json"
    args = ["--steps", "4", "--n", "4", "6", "--schedule", "3:1:2", "--size", "64", "--json", str(out)]
    assert load_bench().main(args) == 0
    assert "Hybrid SD k=3" in capsys.readouterr().out
    rows = json.loads(out.read_text())["rows"]
    assert {r["method"] for r in rows} == {"large", "small", "vanilla_og", "hybrid_sd", "obclip", "preset"}
    for n in (4, 6):
        mine = [r for r in rows if r["N"] == n]
        hybrid = next(r for r in mine if r["method"] == "hybrid_sd")
        vanilla = next(r for r in mine if r["method"] == "vanilla_og")
        large = next(r for r in mine if r["method"] == "large")
        obclip = [r for r in mine if r["method"] == "obclip"]
        assert vanilla["cloud_macs"] == n * large["cloud_macs"]
        assert obclip[0]["accelerations"] == [] and obclip[0]["cloud_macs"] == n * hybrid["cloud_macs"]
        assert [r["accelerations"][-1] for r in obclip[1:]] == [
            "attention_cache",
            "batch_reuse",
            "block_skip",
            "shared_uncond",
            "candidate_basis",
        ]
        cloud = [r["cloud_macs"] for r in obclip]
        assert all(a > b for a, b in itertools.pairwise(cloud))
        assert all(r["device_macs"] == hybrid["device_macs"] for r in obclip)
        presets = {r["accelerations"][0]: r["cloud_macs"] for r in mine if r["method"] == "preset"}
        assert set(presets) == {"paper", "recommended", "scalable"}
        assert presets["scalable"] < presets["recommended"]


def test_plot_of_cost_against_n(tmp_path, capsys):
    out, data = tmp_path / "cost.png", tmp_path / "cost.json"
    args = ["--steps", "4", "--n", "2", "--schedule", "3:1:2", "--size", "64", "--presets", "recommended", "scalable"]
    args += ["--curve-n", "1", "4", "9", "--plot", str(out), "--json", str(data)]
    assert load_bench().main(args) == 0
    assert out.stat().st_size > 10_000
    series = json.loads(data.read_text())["curve"]["series"]
    hybrid, plain = series["Hybrid SD (N = 1, no privacy)"], series["ObCLIP, no acceleration"]
    assert len({m for _, m in hybrid}) == 1 and [m for _, m in plain] == [n * hybrid[0][1] for n, _ in plain]
    # The candidate basis runs ceil(1.5 sqrt(N)) of N: 1 of 1, 3 of 4, 5 of 9 -> grows slower than N.
    scalable = dict(series["scalable"])
    assert scalable[9] / scalable[4] < 9 / 4
