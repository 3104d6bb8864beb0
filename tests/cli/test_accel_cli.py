"""The acceleration flags of `obclip generate` and `generate(accel=...)` in the Python API."""

from __future__ import annotations

import json

import pytest

from obclip.accel import AccelConfig, AttentionCacheConfig, BatchReuseConfig, BlockSkipConfig, SharedUncondConfig
from obclip.cli import main

TINY = ["--large", "embedded:tiny-random", "--steps", "4", "--switch-step", "3", "--quiet"]


def parsed(*flags: str) -> AccelConfig | None:
    """What the generate parser makes of the flags (no generation)."""
    from obclip.cli import build_parser
    from obclip.cli.generate import accel_from_args

    args = build_parser().parse_args(["generate", "a man", "--steps", "25", "--switch-step", "10", *flags])
    return accel_from_args(args)


def test_single_flags_default_to_the_most_faithful_measured_variants():
    assert parsed("--cache-step", "4") == AccelConfig(attention_cache=AttentionCacheConfig(4, 5, "reuse"))
    assert parsed("--batch-reuse") == AccelConfig(batch_reuse=BatchReuseConfig(attention="self"))
    assert parsed("--skip-step", "4") == AccelConfig(block_skip=BlockSkipConfig(4, mode="shallow_branch"))
    assert parsed("--shared-uncond") == AccelConfig(shared_uncond=SharedUncondConfig(stop_step=1))
    assert parsed("--shared-uncond", "all") == AccelConfig(shared_uncond=SharedUncondConfig(stop_step=None))
    assert parsed() is None and parsed("--accel", "none") is None


def test_every_setting_has_a_flag():
    flags = ["--batch-reuse", "both", "--batch-reuse-stop", "2", "--cache-step", "3", "--cache-interval", "2"]
    flags += ["--cache-self-attention", "drop", "--skip-step", "5", "--skip-interval", "3", "--skip-mode", "up_path"]
    flags += ["--skip-branch-depth", "2", "--shared-uncond", "4"]
    assert parsed(*flags) == AccelConfig(
        batch_reuse=BatchReuseConfig("both", 2),
        attention_cache=AttentionCacheConfig(3, 2, "drop"),
        block_skip=BlockSkipConfig(5, 3, "up_path", 2),
        shared_uncond=SharedUncondConfig(4),
    )


def test_preset_and_json_file(tmp_path):
    assert parsed("--accel", "recommended") == AccelConfig.preset("recommended", 10)
    path = tmp_path / "a.json"
    path.write_text(json.dumps(AccelConfig.paper(cache_step=2).to_dict()))
    assert parsed("--accel-json", str(path)) == AccelConfig.paper(cache_step=2)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--accel", "paper", "--cache-step", "2"], "only one of"),
        (["--accel", "paper", "--accel-json", "x.json"], "only one of"),
        (["--skip-mode", "sideways"], "--skip-mode"),
        (["--shared-uncond", "soon"], "--shared-uncond"),
        (["--cache-step", "30"], "cache_step"),
        (["--accel-json", "missing.json"], "missing.json"),
    ],
)
def test_bad_acceleration_flags_are_one_line_and_exit_2(tmp_path, capsys, flags, message):
    out = tmp_path / "x.png"
    assert main(["generate", "a man", *TINY, "--out", str(out), *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err
    assert not out.exists()


def test_api_accepts_a_preset_name():
    from obclip.api import generate

    result = generate("a man", large="embedded:tiny-random", steps=4, switch_step=3, accel="recommended", seed=1)
    assert result.report.accelerations == AccelConfig.preset("recommended", 3).names
    from obclip.errors import InvalidInputError

    with pytest.raises(InvalidInputError):
        generate("a man", large="embedded:tiny-random", steps=4, switch_step=3, accel="turbo")
