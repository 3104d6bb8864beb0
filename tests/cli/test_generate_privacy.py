"""`obclip generate` and `obclip demo` tell residual risk before anything is sent, refuse it under
--strict without loading a model, and vary religion with --religion, as `obclip candidates` does.
The cue "gele" stays in clear only under --keep-cues (by default it is dropped from what is sent)."""

import json

import pytest

from obclip.cli import main

TINY = ["--large", "embedded:tiny-random"]
FAST = [*TINY, "--steps", "2", "--switch-step", "1", "--seed", "0", "--quiet"]
PROMPT = "a Yoruba woman wearing a gele in Lagos"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_generate_tells_the_residual_words_candidates_shows(tmp_path, capsys) -> None:
    code, out, candidates_err = run(capsys, "candidates", PROMPT, "--json", "--keep-cues", *TINY)
    shown = json.loads(out)["residual"]
    assert code == 0 and {r["word"] for r in shown} == {"gele", "Lagos"}

    code, out, err = run(capsys, "generate", PROMPT, *FAST, "--keep-cues", "--json", "--out", str(tmp_path / "a.png"))
    assert code == 0
    assert err == candidates_err and "gele" in err and "Lagos" in err
    assert json.loads(out)["residual"] == shown

    code, out, err = run(capsys, "generate", "a young woman holding her hat", *FAST, "--out", str(tmp_path / "b.png"))
    assert code == 0 and err == ""


def test_each_image_of_a_run_reports_its_residual_words_once_told(tmp_path, capsys) -> None:
    out_pattern = str(tmp_path / "img-{seed}.png")
    code, out, err = run(
        capsys, "generate", PROMPT, *FAST, "--keep-cues", "--num-images", "2", "--json", "--out", out_pattern
    )
    reports = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(reports) == 2
    assert all({r["word"] for r in report["residual"]} == {"gele", "Lagos"} for report in reports)
    assert err.count("notice") == 1


@pytest.mark.parametrize("command", [["generate", PROMPT], ["demo", "--prompt", PROMPT]])
def test_strict_refuses_in_one_line_before_any_model_is_loaded(tmp_path, command, run_without_models) -> None:
    out = tmp_path / "x.png"
    # --height makes the size check load the device model: the refusal must come first
    argv = [*command, "--strict", "--keep-cues", *TINY, "--height", "64", "--out", str(out)]
    result = run_without_models(argv)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("obclip: error: --strict: residual risk")
    assert "gele" in result.stderr and result.stdout == "" and not out.exists()


def test_strict_sends_a_prompt_without_residual_risk(tmp_path, capsys) -> None:
    code, out, err = run(
        capsys, "generate", "a Yoruba woman", *FAST, "--strict", "--json", "--out", str(tmp_path / "a.png")
    )
    assert code == 0 and err == "" and json.loads(out)["residual"] == []


def test_religion_varies_what_generate_sends(tmp_path, capsys) -> None:
    prompt = "a woman in a hijab"
    code, out, err = run(capsys, "generate", prompt, *FAST, "--keep-cues", "--json", "--out", str(tmp_path / "a.png"))
    report = json.loads(out)
    # religion off, cues kept: "hijab" is a word in clear that reveals gender, so gender is not varied
    assert code == 0 and report["num_candidates"] == 1 and "'hijab' reveals gender" in err
    assert all("hijab" in c for c in report["candidates"]) and report["anonymity"] == 1

    code, out, err = run(
        capsys, "generate", prompt, *FAST, "--religion", "--strict", "--json", "--out", str(tmp_path / "b.png")
    )
    report = json.loads(out)
    assert code == 0 and err == "" and report["residual"] == []
    assert report["num_candidates"] == 12 and report["taxonomy"] == "default+religion"
    assert sum("hijab" in c for c in report["candidates"]) == 2


def test_demo_takes_religion(tmp_path, capsys) -> None:
    code, out, _ = run(
        capsys, "demo", "--prompt", "a man in a turban", *FAST, "--religion", "--json", "--out", str(tmp_path / "d.png")
    )
    assert code == 0 and json.loads(out)["num_candidates"] == 12
