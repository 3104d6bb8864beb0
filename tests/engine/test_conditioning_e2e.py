"""A 300-token weighted prompt through the API, the CLI and the server (in-process), on the embedded
portrait pair (SD's 77-token window) and the tiny SDXL pair; over-long prompts refused quoting the
user's own text, before any model loads."""

from __future__ import annotations

import json

import httpx
import pytest
import torch
from fastapi.testclient import TestClient

from obclip.api import generate
from obclip.cli import main
from obclip.engine import load_model
from obclip.prompt_tokens import counter_for
from obclip.service.client import HttpCloud
from obclip.service.server import ServiceConfig, create_app
from obclip.syntax import MAX_PROMPT_CHUNKS

WORDS = "a quiet library with tall shelves, warm lamp light on wooden tables, rain on the window, "
MODELS = ["embedded:default", "embedded:tiny-sdxl-random"]
OPTIONS = {"steps": 4, "switch_step": 2, "seed": 11, "shuffle_seed": 5, "quiet": True}


def long_prompt(large: str, tokens: int = 300) -> str:
    """`(an old woman:1.3)`, then plain words until the prompt has `tokens` tokens for `large`."""
    counter = counter_for(large)
    prompt = "(an old woman:1.3), [smiling], "
    while counter.layout(prompt).tokens < tokens:
        prompt += WORDS
    return prompt + "BREAK ((soft light))"


@pytest.mark.parametrize("large", MODELS)
def test_preview_counter_agrees_with_the_models_own_conditioner(large):
    text = load_model(large).text
    for prompt in [long_prompt(large), "a (cat:1.2), BREAK, [dog]", ""]:
        assert counter_for(large).layout(prompt) == text.layouts(prompt)[0]


@pytest.mark.parametrize("large", MODELS)
def test_300_token_prompt_through_the_api_and_the_server(large):
    prompt = long_prompt(large)
    assert load_model(large).text.token_count(prompt) >= 300
    local = generate(prompt, large=large, **OPTIONS)
    assert local.report.num_candidates > 1 and local.image.size[0] > 0
    app = create_app(ServiceConfig(large=large))
    with TestClient(app) as client:

        def through_app(request: httpx.Request) -> httpx.Response:
            answer = client.request(request.method, str(request.url), content=request.content, headers=request.headers)
            headers = {k: v for k, v in answer.headers.items() if k not in ("content-length", "content-encoding")}
            return httpx.Response(answer.status_code, headers=headers, content=answer.content)

        cloud = HttpCloud("http://testserver", model=large, transport=httpx.MockTransport(through_app))
        remote = generate(prompt, large=large, cloud=cloud, **OPTIONS)
    assert torch.equal(remote.latents, local.latents)


@pytest.mark.parametrize("large", MODELS)
def test_300_token_prompt_through_the_cli(large, tmp_path, capsys):
    out = tmp_path / "image.png"
    argv = ["generate", long_prompt(large), "--large", large, "--steps", "4", "--switch-step", "2", "--seed", "3"]
    assert main([*argv, "--out", str(out), "--quiet", "--json"]) == 0
    assert out.is_file() and json.loads(capsys.readouterr().out)["num_candidates"] > 1


def test_candidates_preview_shows_the_token_count(capsys):
    prompt = long_prompt("embedded:default", 98)
    assert main(["candidates", prompt, "--seed", "1"]) == 0
    line = [x for x in capsys.readouterr().out.splitlines() if x.startswith("tokens:")]
    count = counter_for("embedded:default").layout(prompt)
    assert line == [f"tokens:     {count.tokens} tokens: {len(count.chunks)} chunks of 75"] and len(count.chunks) >= 2


def test_over_long_prompt_is_one_line_quoting_the_users_text(capsys):
    prompt = "an old woman " + "red, blue, green, " * 140  # 843 tokens in 2,533 characters
    for argv in (["candidates", prompt], ["generate", prompt, "--out", "/tmp/never.png"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "the prompt needs" in err and "'an old woman red, blue" in err
        assert f"at most {MAX_PROMPT_CHUNKS} chunks (750 tokens)" in err


def test_only_a_candidate_over_the_limit_still_quotes_the_users_text(capsys):
    """Candidates can be longer than the user's prompt ("old" -> "middle-aged"): the refusal names
    the user's prompt, never the decoy that is over."""
    counter = counter_for("embedded:default")
    filler = "a quiet library with old books "
    prompt = "an old man"
    while len(counter.layout(prompt + " " + filler).chunks) <= MAX_PROMPT_CHUNKS:
        prompt += " " + filler
    prompt += " and a"
    while len(counter.layout(prompt + " b").chunks) <= MAX_PROMPT_CHUNKS:
        prompt += " b"
    assert main(["candidates", prompt, "--seed", "1"]) == 2
    err = capsys.readouterr().err
    assert "a candidate of this prompt needs" in err and "'an old man a quiet" in err and "middle-aged" not in err


def test_server_refuses_a_candidate_past_the_chunk_limit_as_4xx_json():
    app = create_app(ServiceConfig(large="embedded:tiny-random"))
    body = {
        "candidates": ["a cat", "x " * 2600],
        "steps": 2,
        "switch_step": 1,
        "scheduler": "ddim",
        "guidance": 5.0,
        "seed": 1,
    }
    with TestClient(app) as client:
        answer = client.post("/v1/denoise", json=body)
        assert answer.status_code == 400
        assert (
            answer.json()["error"]["code"] == "invalid_input"
            and "at most 10 chunks" in answer.json()["error"]["message"]
        )
        assert client.get("/v1/models").json()["data"][0]["max_prompt_tokens"] == 10 * 254


@pytest.mark.parametrize("large", MODELS)
def test_300_token_prompt_through_the_app(large, tmp_path):
    """The app's job API (its worker runs the same pipeline): the long weighted prompt is drawn and
    the job's report counts its candidates; the app's own prompt limit (2,000 characters) admits it."""
    import time

    from obclip.app.server import create_app as create_ui

    prompt = long_prompt(large)
    job = {"prompt": prompt, "large": large, "steps": 4, "switch_step": 2, "seed": 3}
    with TestClient(create_ui(tmp_path / "history"), base_url="http://127.0.0.1") as client:
        posted = client.post("/api/jobs", json=job)
        assert posted.status_code == 202, posted.text
        deadline = time.monotonic() + 300
        while not (state := client.get(f"/api/jobs/{posted.json()['id']}").json())["finished"]:
            assert time.monotonic() < deadline, state["events"][-3:]
            time.sleep(0.05)
    kinds = [event["type"] for event in state["events"]]
    assert "image" in kinds and kinds[-1] == "done", state["events"][-3:]
