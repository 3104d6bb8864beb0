"""`obclip eval privacy`: the corpus format, what counts as a leak, a disagreement and a changed
prompt, the attackers against 1/N, and the figures on the public tuning corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from obclip.cli import main
from obclip.eval.privacy import (
    CorpusPrompt,
    _zipf,
    attacker_rates,
    changed_words,
    disagreements,
    evaluate_corpus,
    read_corpus,
)
from obclip.eval.privacy import _lexicon as lexicon_of
from obclip.privacy import build_candidate_set, default_taxonomy, parse_taxonomy

CORPUS = Path(__file__).parents[2] / "corpus" / "privacy"
LEXICON = lexicon_of(default_taxonomy())


def write(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "corpus.tsv"
    path.write_text("# test corpus\nprompt\tsensitive\tperson\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_the_corpus_format_reads_labels_and_persons(tmp_path: Path) -> None:
    path = write(tmp_path, ["a young woman\tage:young, gender:woman\tyes", "a red car\t-\tno"])
    items = read_corpus(path)
    assert items[0] == CorpusPrompt("a young woman", (("age", "young"), ("gender", "woman")), True, 3)
    assert items[1].labels == () and not items[1].person


@pytest.mark.parametrize(
    ("row", "message"),
    [("a man\tgender\tyes", "CATEGORY:WORDS"), ("a man\tshoe:man\tyes", "category"), ("a man\t-\tmaybe", "yes or no")],
)
def test_a_malformed_corpus_line_is_one_line_with_exit_status_2(tmp_path: Path, capsys, row: str, message: str) -> None:
    code = main(["eval", "privacy", str(write(tmp_path, [row])), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "line 3" in err and message in err


def test_disagreeing_words_are_found() -> None:
    assert disagreements("a man holding her hat", LEXICON)
    assert disagreements("Ms. James baking", LEXICON)
    assert disagreements("a 75-year-old child", LEXICON)
    assert disagreements("an young man", LEXICON)
    assert not disagreements("a man and a woman; she hands him her cup", LEXICON)
    assert not disagreements("an old man holding his hat. She waves.", LEXICON)


def test_a_word_sent_in_every_candidate_is_a_leak_and_a_varied_one_is_not(tmp_path: Path) -> None:
    narrow = parse_taxonomy(
        {
            "format": "obclip-taxonomy/1",
            "attributes": [
                {
                    "name": "gender",
                    "values": [{"value": "f", "forms": {"n": ["woman"]}}, {"value": "m", "forms": {"n": ["man"]}}],
                }
            ],
        }
    )
    items = read_corpus(write(tmp_path, ["an old woman\tage:old, gender:woman\tyes"]))
    summary, results = evaluate_corpus(items, taxonomy=narrow, seed=0)
    assert results[0].leaked == {"age": ["old"]} and results[0].n == 2
    assert summary.leak_rate == 1.0 and summary.leak_by_category == {"gender": 0.0, "age": 1.0}
    summary, results = evaluate_corpus(items, seed=0)
    assert results[0].leaked == {} and summary.leak_rate == 0.0


def test_a_prompt_changed_outside_its_sensitive_words_is_counted() -> None:
    item = CorpusPrompt("a queen bee on a flower", (), False, 1)
    assert changed_words(item, "a king bee on a flower") == ["queen"]
    labelled = CorpusPrompt("an elderly man", (("age", "elderly"), ("gender", "man")), True, 1)
    assert changed_words(labelled, "an old man") == []


@pytest.mark.parametrize("prompt", ["portrait of a young African woman", "an actress and her 80-year-old father"])
def test_on_a_closed_set_every_surface_attacker_gets_1_over_n_on_average(prompt: str) -> None:
    """Whichever member is true, the cloud sees the same set: any rule that picks from it is right
    for 1/N of the members (ties shared), which is what each attacker's rate must add up to."""
    zipf = _zipf()
    members = build_candidate_set(prompt, seed=5).candidates
    totals = {"agreement": 0.0, "plausibility": 0.0, "odd_one_out": 0.0}
    for member in members:
        cset = build_candidate_set(member, seed=5)
        assert cset.candidates == members
        for name, rate in attacker_rates(cset, LEXICON, zipf).items():
            totals[name] += rate
    assert totals == {name: pytest.approx(1.0) for name in totals}


def test_cli_writes_the_table_and_json(tmp_path: Path, capsys) -> None:
    path = write(
        tmp_path, ["an old Nigerian woman\tage:old, ethnicity:Nigerian, gender:woman\tyes", "queen bee\t-\tno"]
    )
    out_json = tmp_path / "out.json"
    assert main(["eval", "privacy", str(path), "--quiet", "--seed", "1", "--json", str(out_json)]) == 0
    table = capsys.readouterr().out
    assert "prompts leaking a gender, age or ethnicity word" in table and "0.0 %" in table
    record = json.loads(out_json.read_text())
    assert record["summary"]["prompts"] == 2 and record["summary"]["false_positive_rate"] == 0.0


@pytest.mark.slow
def test_the_tuning_corpus_meets_the_targets() -> None:
    items = read_corpus(CORPUS / "tune.tsv")
    assert len(items) + len(read_corpus(CORPUS / "heldout.tsv")) >= 500
    summary, _ = evaluate_corpus(items, seed=1)
    assert summary.crashed == 0 and summary.closure_failures == 0
    assert summary.leak_rate <= 0.05
    assert summary.disagreeing_rate <= 0.01
    assert summary.false_positive_rate <= 0.05
    assert summary.changed_rate <= 0.02
    assert summary.best_attacker_margin <= 0.03
