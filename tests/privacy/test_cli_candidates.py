"""`obclip candidates`: the user's own prompt as sent, residual risk told before sending, --strict,
and the inputs that used to end in a traceback (one line on stderr, exit status 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from obclip.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def obclip(*argv: str | bytes, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """The real command under a strict UTF-8 locale, so undecodable bytes reach it as they would."""
    env = {**os.environ, "LC_ALL": "C.UTF-8", "PYTHONUTF8": "1"}
    return subprocess.run(
        [sys.executable, "-m", "obclip", *argv], input=stdin, capture_output=True, env=env, timeout=120
    )


def test_the_users_prompt_is_shown_as_it_is_sent(capsys) -> None:
    code, out, _ = run(capsys, "candidates", "an actress on a red carpet, her 30th birthday", "--seed", "0")
    assert code == 0
    assert "yours:      an actress on a red carpet, her 30th birthday" in out.splitlines()
    assert "an actor on a red carpet, his 80th birthday" in out


def test_residual_risk_is_told_on_stderr_and_in_json_and_strict_refuses(capsys) -> None:
    prompt = "a Yoruba woman wearing a gele in Lagos"
    code, out, err = run(capsys, "candidates", prompt, "--json", "--keep-cues")
    record = json.loads(out)
    assert code == 0
    assert {r["word"] for r in record["residual"]} == {"gele", "Lagos"}
    assert "notice" in err and "gele" in err
    code, out, err = run(capsys, "candidates", prompt, "--strict", "--keep-cues")
    assert code == 2 and out == "" and err.startswith("obclip: error: --strict") and "gele" in err
    code, _, err = run(capsys, "candidates", "a Yoruba woman", "--strict")
    assert code == 0 and err == ""


def test_religion_is_opt_in(capsys) -> None:
    _, out, err = run(capsys, "candidates", "a woman in a hijab", "--json", "--keep-cues")
    # off, "hijab" kept in clear reveals gender (so gender is not varied) and religion
    assert json.loads(out)["n"] == 1 and "'hijab' reveals gender" in err and "religion" in err
    _, out, err = run(capsys, "candidates", "a woman in a hijab", "--json", "--religion")
    record = json.loads(out)
    assert record["n"] == 12 and err == ""
    assert any("kippah" in c for c in record["candidates"])


@pytest.mark.parametrize(
    ("prompt", "word"),
    [("a Sikh man with a long beard", "Sikh"), ("a muslim girl reading under a tree", "muslim")],
)
def test_a_religion_word_sent_in_clear_is_named_as_such_while_religion_is_off(capsys, prompt, word) -> None:
    _, out, err = run(capsys, "candidates", prompt, "--json")
    residual = {r["word"]: r["reason"] for r in json.loads(out)["residual"]}
    assert residual[word].startswith("religion;") and "--religion" in residual[word]  # not "a name or place"
    code, out, err = run(capsys, "candidates", prompt, "--strict")
    assert code == 2 and out == "" and word in err
    _, out, err = run(capsys, "candidates", prompt, "--json", "--religion")
    record = json.loads(out)
    assert word not in {r["word"] for r in record["residual"]} and record["n"] > 2


def test_a_denomination_is_a_religion_word(capsys) -> None:
    _, out, err = run(capsys, "candidates", "an Amish farmer plowing a field", "--json")
    assert "Amish (religion;" in err
    _, out, err = run(capsys, "candidates", "an Amish farmer plowing a field", "--json", "--religion")
    assert all("Amish" not in c for c in json.loads(out)["candidates"])  # the faith is varied


def test_a_pronoun_no_person_agrees_with_is_refused_before_sending(capsys) -> None:
    code, out, err = run(capsys, "candidates", "a fisherman mending her nets")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "disagrees" in err


def test_invalid_utf8_in_an_argument_is_one_line() -> None:
    result = obclip("candidates", b"a woman \xff\xfe")
    assert result.returncode == 2, result.stderr
    assert result.stderr.decode().count("\n") == 1 and b"UTF-8" in result.stderr
    assert b"Traceback" not in result.stderr


def test_invalid_utf8_on_stdin_is_an_error_of_that_line() -> None:
    result = obclip("candidates", "-", stdin=b"a man\na \xff woman\nan old woman\n")
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [r.get("n") for r in lines] == [2, None, 6]
    assert lines[1]["line"] == 2 and "UTF-8" in lines[1]["error"]["message"]
    assert result.returncode == 2 and b"Traceback" not in result.stderr


def test_a_set_too_large_to_print_is_one_line(capsys) -> None:
    prompt = " ".join(["an old Asian woman"] * 50)
    code, out, err = run(capsys, "candidates", prompt)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "about 10^" in err and "--max-candidates" in err


def test_a_100_kb_prompt_is_refused_in_one_line(capsys) -> None:
    # longer than any text encoder reads: refused at once, before detection (was minutes of work)
    prompt = " ".join(["an old Asian woman"] * 6000)
    code, out, err = run(capsys, "candidates", prompt)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "characters long" in err and "shorten it" in err


def test_a_taxonomy_nested_too_deeply_is_one_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000)
    code, out, err = run(capsys, "candidates", "a woman", "--taxonomy", str(path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "nested too deeply" in err
