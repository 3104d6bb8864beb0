"""The obclip command: output people rely on, and bad input as one line with exit status 2."""

import json
import subprocess
import sys

import pytest

from obclip.cli import main

TINY = ["--large", "embedded:tiny-random"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_candidates_json_is_what_the_cloud_sees(capsys):
    code, out, _ = run(capsys, "candidates", "a young Woman  holding her hat", "--json", "--seed", "1")
    assert code == 0
    record = json.loads(out)
    assert {"template", "attributes", "candidates"} <= record.keys()
    assert len(record["candidates"]) == 6
    # the user's capital inside the sentence is every candidate's: it says nothing of the value
    assert {"a young Woman holding her hat", "a young Man holding his hat"} <= set(record["candidates"])
    assert "woman" not in " ".join(record["candidates"])


def test_candidates_reads_json_lines_from_stdin(capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("a man\na cat\n\n  \nan old woman\na man holding her hat\n"))
    code, out, err = run(capsys, "candidates", "-")
    lines = [json.loads(line) for line in out.splitlines()]
    assert [len(r.get("candidates", [])) for r in lines] == [2, 1, 6, 0]  # blank lines are skipped
    assert lines[3]["error"]["code"] == "invalid_input" and lines[3]["line"] == 6
    assert code == 2 and "1 prompt(s)" in err


def test_no_sensitive_attribute_says_nothing_is_hidden(capsys):
    code, out, _ = run(capsys, "candidates", "a red car on a bridge")
    assert code == 0 and "N = 1" in out and "nothing is hidden" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["candidates", "   "], "empty"),
        (["candidates", "a man", "--taxonomy", "/no/such/file.json"], "taxonomy"),
        (["candidates", "a man", "--max-candidates", "0"], "max"),
        (["generate", "", *TINY], "empty"),
        (["generate", "a man", "--switch-step", "30", *TINY], "switch step"),
        (["generate", "a man", "--steps", "0", *TINY], "steps"),
        (["generate", "a man", "--height", "60", *TINY], "multiple of 8"),
        (["generate", "a man", "--large", "embedded:nope"], "unknown embedded model"),
        (["generate", "a man", "--large", "/no/such/model"], "neither"),
        (["generate", "a man", "--cloud", "ftp://x", *TINY], "--cloud"),
        (["generate", "a man", "--out", "x.txt", *TINY], "--out"),
        (["generate", "a man", "--token-file", "/no/such/token", *TINY], "token file"),
        (["generate", "a man", "--steps", "6", "--cache-step", "9", *TINY], "cache_step"),
        (["generate", "a man", "--skip-step", "-1", *TINY], "skip_step"),
        (["generate", "a man", "--accel", "paper", "--cache-step", "2", *TINY], "--accel"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("obclip: error:") and message in err.lower()
    assert "Traceback" not in err


def test_unknown_scheduler_is_a_usage_error(capsys):
    code, _, err = run(capsys, "generate", "a man", "--scheduler", "plms")
    assert code == 2 and "invalid choice" in err and err.count("\n") == 1


def generate_report(capsys, out, prompt, *flags) -> dict:
    """Run `obclip generate` on the tiny model with --json; the report, after checking exit 0."""
    code, stdout, _ = run(capsys, "generate", prompt, *TINY, "--out", str(out), "--quiet", "--json", *flags)
    assert code == 0
    return json.loads(stdout)


def test_generate_writes_a_png_and_reports(tmp_path, capsys):
    out = tmp_path / "img.png"
    report = generate_report(capsys, out, "a young man", "--steps", "3", "--switch-step", "1", "--seed", "0")
    assert report["image"] == str(out) and report["num_candidates"] == 6
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_small_same_runs_the_large_model_on_the_device(tmp_path, capsys):
    report = generate_report(
        capsys, tmp_path / "a.png", "a man", "--small", "same", "--steps", "2", "--switch-step", "1"
    )
    assert report["small"] == "embedded:tiny-random"


def test_console_script_exits_2_without_traceback():
    proc = subprocess.run(
        [sys.executable, "-m", "obclip", "generate", "a man", "--switch-step", "-1", "--large", "embedded:tiny-random"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "switch step" in proc.stderr


def test_acceleration_flags_reach_the_cloud(tmp_path, capsys):
    flags = ["--steps", "4", "--switch-step", "3", "--batch-reuse", "both", "--cache-step", "1", "--skip-step", "2"]
    report = generate_report(capsys, tmp_path / "a.png", "a man", *flags)
    assert report["accelerations"] == ["batch_reuse", "attention_cache", "block_skip"]


def test_acceleration_preset_follows_the_switch_step(tmp_path, capsys):
    from obclip.accel import AccelConfig

    flags = ["--steps", "5", "--switch-step", "4", "--accel", "recommended"]
    report = generate_report(capsys, tmp_path / "a.png", "a man", *flags)
    assert report["accelerations"] == AccelConfig.preset("recommended", 4).names
    paper = AccelConfig.preset("paper", 10)
    assert (paper.attention_cache.cache_step, paper.block_skip.skip_step) == (4, 6)
    paper = AccelConfig.preset("paper", 5)
    assert (paper.attention_cache.cache_step, paper.block_skip.skip_step) == (3, 3)
