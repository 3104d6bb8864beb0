"""`obclip eval privacy` under either anonymity policy (--generalize, the default, or --keep-cues),
with its leaks split by what the notice told the user: a cue named as fixing the attribute, only
English read, or nothing (a detection miss)."""

from __future__ import annotations

from pathlib import Path

import pytest

from obclip.cli import main
from obclip.eval.privacy import evaluate_corpus, format_table, read_corpus, told_leak

FIXED = "'hijab' reveals gender, so gender is not varied (a smaller set); remove it to hide gender; hidden among 1 of 1"


@pytest.mark.parametrize(
    ("leaked", "notice", "told"),
    [
        ({"gender": ["woman"]}, FIXED, "cue"),
        ({"gender": ["woman"], "religion": ["hijab"]}, FIXED, "cue"),  # religion is not a target category
        ({"gender": ["woman"], "age": ["old"]}, FIXED, None),  # the age word is a silent leak
        (
            {"gender": ["man"], "age": ["old"]},
            "'white beard' reveals gender and age, so gender and age are not varied (a smaller set)",
            "cue",
        ),
        ({"gender": ["mujer"]}, "only English is read; the prompt is sent as written", "language"),
        # a cue about an attribute detection never found is no policy's doing
        ({"gender": ["debutante"]}, "no sensitive attribute detected: N = 1; 'gown' reveals gender (not varied)", None),
        ({"gender": ["woman"]}, None, None),
        ({}, FIXED, None),
    ],
)
def test_a_leak_is_told_only_when_the_notice_says_why(leaked, notice, told) -> None:
    assert told_leak(leaked, notice) == told


def write(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "corpus.tsv"
    path.write_text("prompt\tsensitive\tperson\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


ROWS = [
    "a woman in a hijab reading a newspaper in a cafe\tgender:woman\tyes",
    "a bearded man chopping wood in a forest\tgender:man\tyes",
    "a zorblat reading a book\tgender:zorblat\tyes",  # a word no detector knows: a silent leak
    "a woman in a garden\tgender:woman\tyes",
]


def test_keep_cues_leaks_what_it_fixes_and_says_so_and_generalising_does_not(tmp_path: Path) -> None:
    items = read_corpus(write(tmp_path, ROWS))
    kept, results = evaluate_corpus(items, seed=1, policy="keep-cues")
    assert [r.leak_told for r in results] == ["cue", "cue", None, None]
    assert kept.leak_rate == 0.75 and kept.leak_told == {"cue": 0.5, "language": 0.0, "silent": 0.25}
    table = format_table(kept)
    assert "told: a named cue fixed the attribute" in table and "silent: not told" in table
    general, results = evaluate_corpus(items, seed=1)  # the product's default: generalize
    assert [r.n for r in results[:2]] == [2, 2] and [bool(r.leaked) for r in results] == [False, False, True, False]
    assert general.leak_rate == 0.25 and general.leak_told == {"cue": 0.0, "language": 0.0, "silent": 0.25}
    asked, _ = evaluate_corpus(items, seed=1, policy="generalize")
    assert (asked.leak_told, asked.mean_n, asked.mean_anonymity) == (general.leak_told, 1.75, 1.75)  # N: 2, 2, 1, 2


def test_the_command_takes_the_policy_and_names_it(tmp_path: Path, capsys) -> None:
    path = str(write(tmp_path, ROWS[:2]))
    base = ["eval", "privacy", path, "--quiet", "--seed", "1", "--no-stress", "--no-hostile"]
    assert main([*base, "--keep-cues"]) == 0
    out = capsys.readouterr().out
    assert "policy keep-cues)" in out.splitlines()[0]
    assert any(
        line.startswith("  told: a named cue fixed the attribute") and "100.0 %" in line for line in out.splitlines()
    )
    for flags in ([], ["--generalize"]):
        assert main([*base, *flags]) == 0
        out = capsys.readouterr().out
        assert "policy generalize)" in out.splitlines()[0]
        assert any(line.startswith("prompts leaking a gender") and " 0.0 %" in line for line in out.splitlines())
    assert main([*base, "--keep-cues", "--generalize"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--generalize: not allowed with argument --keep-cues" in err
