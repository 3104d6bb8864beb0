"""`obclip eval privacy` on the command line: bad corpora are one line and exit 2; the table and
the JSON carry the leak, agreement, context-attacker, hostile and long-prompt figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from obclip.cli import main


def write(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "corpus.tsv"
    path.write_text("prompt\tsensitive\tperson\tkind\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("a man\tgender\tyes", "CATEGORY:WORDS"),
        ("a man\tshoe:man\tyes", "category"),
        ("a man\t-\tmaybe", "yes or no"),
        ("a man\t-\tyes\tsonnet", "kind 'sonnet'"),
        ("a man\t-\tyes\ttags\textra", "3 or 4"),
    ],
)
def test_a_malformed_corpus_line_is_one_line_with_exit_status_2(tmp_path: Path, capsys, row: str, message: str) -> None:
    code = main(["eval", "privacy", str(write(tmp_path, [row])), "--quiet", "--no-stress", "--no-hostile"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "line 2" in err and message in err


def test_the_table_and_json_carry_every_figure(tmp_path: Path, capsys) -> None:
    path = write(
        tmp_path,
        [
            "an old Nigerian woman in a kimono\tage:old, ethnicity:Nigerian, gender:woman\tyes\tsd",
            "a bearded man reading\tgender:man\tyes\tsd",
            "una mujer mayor\tgender:mujer, age:mayor\tyes\tlang:es",
            "queen bee on a flower\t-\tno",
        ],
    )
    out_json = tmp_path / "out.json"
    args = ["eval", "privacy", str(path), "--quiet", "--seed", "1", "--no-stress", "--json", str(out_json)]
    assert main(args) == 0
    table = capsys.readouterr().out
    for row in (
        "prompts leaking a gender, age or ethnicity word",
        "prompts with disagreeing candidates",
        "success vs 1/N vs mean 1/anonymity",
        "notice names every strong cue used",
        "prompts without a person that get N > 1",
        "prompts not in English",
        "hostile Unicode",
    ):
        assert row in table
    assert "kB prompts" not in table
    record = json.loads(out_json.read_text())
    summary = record["summary"]
    assert summary["prompts"] == 4 and summary["languages"]["prompts"] == 1
    assert "named_every_strong_cue" in summary["context"] and summary["hostile"]["prompts"] >= 1
    assert summary["stress"] == {}
