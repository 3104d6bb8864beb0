"""--keep-cues (--generalize), --min-anonymity and --strict on `obclip candidates`, `generate` and
`demo`, and the anonymity fields of `candidates --json`, the API's `plan` and its report."""

from __future__ import annotations

import json
import sys

import pytest

from obclip.cli import main

TINY = ["--large", "embedded:tiny-random"]
FAST = [*TINY, "--steps", "2", "--switch-step", "1", "--seed", "0", "--quiet"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_candidates_json_carries_anonymity_revealed_assignments_and_yours(capsys) -> None:
    code, out, err = run(
        capsys, "candidates", "a young woman in a red dress, smiling", "--json", "--seed", "1", "--keep-cues"
    )
    record = json.loads(out)
    assert code == 0
    assert record["n"] == 6 and record["anonymity"] == 3 and isinstance(record["anonymity"], int)
    assert record["revealed"] == [
        {"word": "dress", "attribute": "gender", "values": ["female"], "strength": "weak", "person": 0, "varied": True}
    ]
    names = [a["name"] for a in record["attributes"]]
    assert len(record["assignments"]) == len(record["candidates"])
    for candidate, row in zip(record["candidates"], record["assignments"], strict=True):
        values = dict(zip(names, row, strict=True))
        assert ("woman" if values["gender_0"] == "female" else "man") in candidate.split()
    assert record["yours"] == "a young woman in a red dress, smiling" and record["yours"] in record["candidates"]
    assert "'dress' suggests female" in err and "hidden among 3 of 6" in err


def test_candidates_prints_hidden_among(capsys) -> None:
    code, out, _ = run(capsys, "candidates", "a pregnant woman in a park", "--seed", "0", "--keep-cues")
    assert code == 0 and "anonymity:  hidden among 1 of 1" in out.splitlines()
    for flags in ([], ["--generalize"]):  # the default, and its older flag
        code, out, err = run(capsys, "candidates", "a pregnant woman in a park", "--seed", "0", *flags)
        assert code == 0 and "anonymity:  hidden among 2 of 2" in out.splitlines()
        assert "yours:      a woman in a park" in out and "finished:   a pregnant woman in a park" in out
        assert "'pregnant' as nothing" in err


def test_candidates_generalize_in_json_lines(capsys, monkeypatch) -> None:
    import io

    lines = "a man with a beard\na Japanese woman in a kimono\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(lines.encode())))
    code, out, _ = run(capsys, "candidates", "-", "--generalize", "--seed", "0")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["n"] for r in records] == [2, 12] and [r["anonymity"] for r in records] == [2, 12]
    assert records[1]["generalized"] == [{"word": "kimono", "sent_as": "robe"}]
    assert all("kimono" not in c for c in records[1]["candidates"])


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--strict"], "obclip: error: --strict: residual risk would be sent in clear: beard (gender: male"),
        (["--min-anonymity", "3"], "obclip: error: --min-anonymity 3: the prompt would be hidden among only 1 of 1"),
        (["--min-anonymity", "0"], "obclip: error: --min-anonymity must be a positive integer, got 0"),
    ],
)
def test_candidates_refuses_in_one_line(capsys, flags, message) -> None:
    code, out, err = run(capsys, "candidates", "a man with a beard", "--keep-cues", *flags)
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith(message)


def test_generalize_satisfies_min_anonymity(capsys) -> None:
    for flags in ([], ["--generalize"]):
        code, out, _ = run(capsys, "candidates", "a man with a beard", *flags, "--min-anonymity", "2", "--json")
        assert code == 0 and json.loads(out)["anonymity"] == 2


def test_the_two_policies_are_one_choice(capsys) -> None:
    code, out, err = run(capsys, "candidates", "a man with a beard", "--keep-cues", "--generalize")
    assert code == 2 and out == "" and err.count("\n") == 1 and "not allowed with argument --keep-cues" in err


@pytest.mark.parametrize(
    "command",
    [
        ["generate", "an old man with a beard", "--strict", "--keep-cues"],
        ["generate", "a man with a beard", "--min-anonymity", "2", "--keep-cues"],
        ["demo", "--prompt", "a woman in a wedding dress", "--min-anonymity", "2", "--keep-cues"],
    ],
)
def test_generate_refuses_before_any_model_is_loaded(tmp_path, command, run_without_models) -> None:
    out = tmp_path / "x.png"
    argv = [*command, *TINY, "--height", "64", "--out", str(out)]
    result = run_without_models(argv)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("obclip: error: --")
    assert result.stdout == "" and not out.exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--switch-step", "-1"], "switch step must be at least 0, got -1"),
        (["--steps", "10", "--switch-step", "12"], "switch step 12 is larger than steps 10"),
        (["--steps", "0"], "steps must be at least 1, got 0"),
        (["--guidance", "99"], "guidance must be at most 50, got 99.0"),
    ],
)
def test_steps_and_guidance_are_refused_before_any_model_library_loads(tmp_path, flags, message, run_without_models):
    out = tmp_path / "x.png"
    result = run_without_models(["generate", "an old man", *TINY, "--out", str(out), *flags])
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"obclip: error: {message}\n" and not out.exists()


def test_generate_reports_what_candidates_shows(tmp_path, capsys) -> None:
    prompt = "a Japanese woman in a kimono"
    code, out, shown_err = run(capsys, "candidates", prompt, "--json", "--generalize", *TINY)
    shown = json.loads(out)
    code, out, err = run(capsys, "generate", prompt, *FAST, "--generalize", "--json", "--out", str(tmp_path / "a.png"))
    report = json.loads(out)
    assert code == 0 and err == shown_err
    for key in ("anonymity", "revealed", "yours", "generalized"):
        assert report[key] == shown[key], key
    assert sorted(report["candidates"]) == sorted(shown["candidates"]) and len(report["assignments"]) == 12
    # the PNG's settings never hold the user's own candidate
    from PIL import Image

    assert "kimono" not in json.dumps(Image.open(tmp_path / "a.png").text)


def test_api_plan_applies_the_policy_and_refuses_before_any_request() -> None:
    from obclip.api import plan
    from obclip.errors import InvalidInputError

    tiny = {"large": "embedded:tiny-random", "shuffle_seed": 0}
    kept = plan("a bearded man reading", policy="keep-cues", **tiny)
    assert kept.candidate_set.fixed == ("gender_0",) and kept.spec.candidates == ("a bearded man reading",)
    assert plan("a bearded man reading", generalize=False, **tiny).candidate_set == kept.candidate_set  # older spelling
    for asked in ({}, {"policy": "generalize"}, {"generalize": True}):
        general = plan("a bearded man reading", **tiny, **asked)
        assert sorted(general.spec.candidates) == ["a man reading", "a woman reading"]
        assert general.candidate_set.device_prompt == "a bearded man reading"
    plan("a bearded man reading", min_anonymity=2, strict=True, **tiny)  # nothing in clear reveals gender
    with pytest.raises(InvalidInputError, match=r"^min_anonymity 2: "):
        plan("a bearded man reading", policy="keep-cues", min_anonymity=2, **tiny)
    with pytest.raises(InvalidInputError, match=r"^strict: residual risk .*bearded"):
        plan("a bearded man reading", policy="keep-cues", strict=True, **tiny)
    with pytest.raises(InvalidInputError, match=r"^policy must be one of generalize, keep-cues, got 'fix'$"):
        plan("a bearded man reading", policy="fix", **tiny)
    with pytest.raises(InvalidInputError, match=r"contradicts generalize=True"):
        plan("a bearded man reading", policy="keep-cues", generalize=True, **tiny)
