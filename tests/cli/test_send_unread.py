"""A prompt obclip cannot read (not in English) is refused by default on every front end, before
anything is sent or any model loads, and sent as written only with the explicit opt-in
(`--send-unread`, `send_unread=True`, the app's setting)."""

from __future__ import annotations

import inspect
import json

import pytest

from obclip.cli import main

TINY = ["--large", "embedded:tiny-random"]
FOREIGN = "una anciana tejiendo"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_candidates_refuses_in_one_line_saying_what_to_do(capsys) -> None:
    code, out, err = run(capsys, "candidates", FOREIGN, *TINY)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("obclip: error: only English is read: this prompt is not in English (it looks like 'es')")
    assert "Write it in English, or pass --send-unread" in err and "Traceback" not in err


def test_candidates_sends_it_as_written_with_the_opt_in(capsys) -> None:
    code, out, _ = run(capsys, "candidates", FOREIGN, *TINY, "--send-unread", "--json")
    record = json.loads(out)
    assert code == 0 and record["candidates"] == [FOREIGN] and record["n"] == 1
    assert "only English is read" in record["notice"] and "sent as written" in record["notice"]


def test_candidates_from_stdin_refuses_the_line_and_goes_on(capsys, monkeypatch) -> None:
    import io
    import sys

    lines = f"an old woman knitting\n{FOREIGN}\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(lines.encode())))
    code, out, err = run(capsys, "candidates", "-", "--seed", "0")
    records = [json.loads(line) for line in out.splitlines()]
    assert records[0]["n"] > 1 and records[1]["line"] == 2
    assert records[1]["error"]["code"] == "invalid_input" and "--send-unread" in records[1]["error"]["message"]
    assert code != 0 and "1 prompt(s) could not be expanded" in err


@pytest.mark.parametrize(
    "command",
    [
        ["generate", FOREIGN],
        ["generate", "vieja bruja", "--strict"],
        ["demo", "--prompt", "junge Frau lächelt"],
    ],
)
def test_generate_refuses_before_any_model_library_loads(tmp_path, command, run_without_models) -> None:
    out = tmp_path / "x.png"
    result = run_without_models([*command, *TINY, "--height", "64", "--out", str(out)])
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("obclip: error: only English is read")
    assert "--send-unread" in result.stderr and result.stdout == "" and not out.exists()


def test_english_prompts_of_every_style_are_not_refused(capsys) -> None:
    for prompt in ("1girl, solo, masterpiece, (old woman:1.2)", "an old woman as a femme fatale, tête-à-tête"):
        code, _, err = run(capsys, "candidates", prompt, *TINY, "--seed", "0")
        assert code == 0, err


def test_api_plan_refuses_and_generate_refuses_before_loading(monkeypatch) -> None:
    from obclip import api
    from obclip.errors import InvalidInputError

    tiny = {"large": "embedded:tiny-random", "shuffle_seed": 0}
    with pytest.raises(InvalidInputError, match=r"^only English is read: .*pass send_unread=True to send it"):
        api.plan(FOREIGN, **tiny)
    sent = api.plan(FOREIGN, send_unread=True, **tiny)
    assert sent.spec.candidates == (FOREIGN,)

    def no_loading(*args, **kwargs):
        raise AssertionError("a model was loaded")

    monkeypatch.setattr("obclip.pipeline.ObclipPipeline.from_pretrained", no_loading)
    with pytest.raises(InvalidInputError, match="send_unread=True"):
        api.generate(FOREIGN, **tiny)


def test_the_opt_in_is_one_private_option_that_every_front_end_shares() -> None:
    from obclip.app.jobs import Settings
    from obclip.options import PLAN_FIELDS, GenerationOptions
    from obclip.view import checked_view

    assert GenerationOptions().private.send_unread is False and "send_unread" in PLAN_FIELDS
    # every privacy option the pipeline hands to `plan` is a keyword of the one place refusals are made
    keywords = set(inspect.signature(checked_view).parameters) - {"prompt", "large", "negative_prompt", "flags"}
    assert keywords == set(PLAN_FIELDS)
    assert "send_unread" in Settings.model_fields  # the app's setting
    assert GenerationOptions.of(send_unread=True).public.public_options().get("send_unread") is None  # never sent


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from fastapi.testclient import TestClient

    from obclip.app.server import create_app

    with TestClient(create_app(tmp_path_factory.mktemp("ui")), base_url="http://127.0.0.1") as c:
        yield c


@pytest.mark.parametrize("path", ["/api/candidates", "/api/jobs"])
def test_the_app_refuses_with_a_4xx_json_error_in_its_own_words(client, path) -> None:
    response = client.post(path, json={"prompt": FOREIGN, "large": "embedded:tiny-random"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_input" and error["field"] == "prompt"
    assert error["message"].startswith("only English is read")
    assert "tick the setting “Send a prompt obclip cannot read”" in error["message"]
    assert "send_unread=True" not in error["message"] and "--send-unread" not in error["message"]


def test_the_app_previews_it_as_written_with_the_setting(client) -> None:
    seen = client.post(
        "/api/candidates", json={"prompt": FOREIGN, "large": "embedded:tiny-random", "send_unread": True}
    ).json()
    assert seen["n"] == 1 and seen["candidates"] == [FOREIGN] and "only English is read" in seen["notice"]
