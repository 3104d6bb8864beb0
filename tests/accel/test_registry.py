"""The registry: a fifth acceleration is one file (tests/accel/toy_technique.py) plus one tuple entry,
and then it is configured, planned, installed, counted, offered on the command line and in eval and
bench, and removed, without touching anything else. Also `AccelConfig.parse`."""

from __future__ import annotations

import argparse
import json

import pytest
import torch

from accel import toy_technique
from accel.accel_tiny import TEXT_LEN, TINY_UNET, candidate_batch, make_unet
from accel.test_cost_bench import load_bench
from obclip.accel import AccelConfig, BatchLayout, apply_accelerations, registry
from obclip.accel.flags import add_accel_arguments, config_from_args
from obclip.engine.flops import build_meta_unet, count_request, count_unet_forward
from obclip.errors import InvalidInputError
from obclip.eval.quality import accel_variants

Toy = toy_technique.OutputScaleConfig


@pytest.fixture
def with_toy(monkeypatch):
    monkeypatch.setattr(registry, "TECHNIQUES", (*registry.TECHNIQUES, toy_technique.TECHNIQUE))


def test_a_registered_technique_is_configured_planned_installed_and_removed(with_toy):
    cfg = AccelConfig(output_scale=Toy(factor=2.0, start_step=1))
    assert cfg.names == ["output_scale"] and cfg.output_scale.factor == 2.0
    assert cfg.to_dict()["output_scale"] == {"factor": 2.0, "start_step": 1}
    assert AccelConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    assert AccelConfig.parse({"output_scale": {"factor": 2.0, "start_step": 1}}) == cfg
    with pytest.raises(InvalidInputError):
        cfg.validate(num_steps=0)  # start_step is a step field: checked against T

    unet = make_unet()
    x, ctx = candidate_batch(2)
    with torch.no_grad():
        stock = unet(x, 500, encoder_hidden_states=ctx).sample
        with apply_accelerations(unet, cfg, BatchLayout(2)) as session:
            plans = [session.begin_step(i) for i in (0,)]
            first = unet(x, 500, encoder_hidden_states=ctx).sample
            plans.append(session.begin_step(1))
            second = unet(x, 500, encoder_hidden_states=ctx).sample
        after = unet(x, 500, encoder_hidden_states=ctx).sample
    assert [p.get("output_scale") for p in plans] == [None, 2.0]
    assert torch.equal(first, stock) and torch.equal(second, 2 * stock)
    assert torch.equal(after, stock) and not hasattr(unet.conv_out, "_diffusers_hook")


def test_a_registered_technique_is_counted_and_offered_everywhere(with_toy, tmp_path, capsys):
    cfg = AccelConfig(output_scale=Toy(factor=2.0, start_step=1))
    meta = build_meta_unet(TINY_UNET)
    counted = count_request(meta, cfg, BatchLayout(2), 0, 3, text_len=TEXT_LEN)
    assert counted.per_step == [count_unet_forward(meta, 4, text_len=TEXT_LEN)] * 3  # scaling adds no MACs

    parser = argparse.ArgumentParser()
    add_accel_arguments(parser)
    assert config_from_args(parser.parse_args(["--output-scale-start-step", "2"])) == AccelConfig(
        output_scale=Toy(factor=0.5, start_step=2)  # the command line's default factor
    )
    assert accel_variants("each", 10)["scale"] == AccelConfig(output_scale=Toy())

    out = tmp_path / "cost.json"
    args = ["--steps", "3", "--n", "2", "--schedule", "2:1:1", "--size", "64", "--stages", "output_scale"]
    assert load_bench().main([*args, "--output-scale-factor", "3", "--json", str(out)]) == 0
    assert "+ output scaling" in capsys.readouterr().out
    rows = [r for r in json.loads(out.read_text())["rows"] if r["accelerations"] == ["output_scale"]]
    assert rows[0]["accel_config"]["output_scale"] == {"factor": 3.0, "start_step": 0}


def test_parse_accepts_every_form_and_refuses_the_rest(tmp_path):
    recommended = AccelConfig.preset("recommended", 10)
    assert AccelConfig.parse("recommended", switch_step=10, num_steps=25) == recommended
    assert AccelConfig.parse(recommended) == recommended
    assert AccelConfig.parse(recommended.to_dict(), num_steps=25) == recommended
    path = tmp_path / "accel.json"
    path.write_text(json.dumps(recommended.to_dict()))
    assert AccelConfig.parse(str(path)) == AccelConfig.parse(path) == recommended
    for off in (None, "none", {}, AccelConfig()):
        assert AccelConfig.parse(off) is None
    (tmp_path / "bad.json").write_text("{")
    for bad in ("turbo", "recommended", 3, ["paper"], tmp_path / "missing.json", tmp_path / "bad.json", {"x": {}}):
        with pytest.raises(InvalidInputError):
            AccelConfig.parse(bad)  # "recommended" without k: no points to set
    with pytest.raises(InvalidInputError):
        AccelConfig.parse("paper", switch_step=10, num_steps=5)  # s = 6 > T


def test_the_registry_is_what_config_and_flags_see():
    assert [t.name for t in registry.TECHNIQUES] == AccelConfig.preset("scalable", 10).names
    parser = argparse.ArgumentParser()
    add_accel_arguments(parser)
    flags = {a.option_strings[0] for a in parser._actions if a.option_strings} - {"-h"}
    for t in registry.TECHNIQUES:
        for field in t.config_class.__dataclass_fields__:
            assert any(field.replace("_", "-") in f or t.name.split("_")[0] in f for f in flags), (t.name, field)
    assert len(flags) == sum(len(t.config_class.__dataclass_fields__) for t in registry.TECHNIQUES)
