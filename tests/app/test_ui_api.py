"""The app's JSON API: what the cloud will see as the user types, a generation with its progress
events, the image and the cloud's strip on disk, and bad input as 4xx JSON."""

import json

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from obclip.app.server import create_app
from obclip.privacy import build_candidate_set

TINY = {"large": "embedded:tiny-random", "steps": 3, "switch_step": 1}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    history = tmp_path_factory.mktemp("ui")
    with TestClient(create_app(history), base_url="http://127.0.0.1") as c:
        c.history = history
        yield c


def test_the_page_loads_nothing_from_elsewhere(client):
    page = client.get("/").text
    assert "/static/app.js" in page and "/static/app.css" in page
    for asset in ("/", "/static/app.js", "/static/app.css"):
        text = client.get(asset).text
        assert "http://" not in text and "https://cdn" not in text and "//unpkg" not in text


@pytest.mark.parametrize(
    ("prompt", "n", "hidden_words"),
    [
        ("portrait of an old woman holding her hat", 6, {"old", "woman", "her"}),
        ("a red car on a bridge", 1, set()),
    ],
)
def test_candidates_as_the_cloud_sees_them(client, prompt, n, hidden_words):
    seen = client.post("/api/candidates", json={"prompt": prompt, **{"large": TINY["large"]}}).json()
    assert seen["n"] == n == len(seen["candidates"])
    assert "".join(s["text"] for s in seen["segments"]) == build_candidate_set(prompt, seed=0).true_prompt
    marked = {s["text"] for s in seen["segments"] if s["attribute"] not in (None, "article")}
    assert marked == hidden_words
    clear = " ".join(s["text"] for s in seen["segments"] if s["attribute"] is None)
    assert all(word not in clear.split() for word in hidden_words)
    assert (seen["notice"] is not None) == (n == 1)


def test_the_preview_shows_the_anonymity_the_cloud_gets(client):
    from obclip.privacy.correlate import report
    from obclip.view import cloud_view

    prompt = "portrait of a young woman, she is pregnant, grey hair"  # a cue sent as written, one generalised
    seen = client.post("/api/candidates", json={"prompt": prompt, "large": TINY["large"]}).json()
    shown = report(cloud_view(prompt, large=TINY["large"]))
    assert seen["anonymity"] == shown["anonymity"] <= seen["n"]
    assert {r["word"] for r in seen["revealed"]} == {r["word"] for r in shown["revealed"]} >= {"pregnant"}
    # the default policy sent "grey hair" as nothing: the page says so, as `obclip candidates` does
    assert seen["generalized"] == shown["generalized"] == [{"word": "grey hair", "sent_as": ""}]


def test_the_preview_counts_tokens_against_the_chunk_size(client):
    from obclip.prompt_tokens import counter_for

    prompt = "portrait of an old woman, " + "soft light, film grain, " * 30
    seen = client.post("/api/candidates", json={"prompt": prompt, "large": "embedded:default"}).json()
    layout = counter_for("embedded:default").layout(prompt)
    assert seen["tokens"] == layout.describe() and len(layout.chunks) >= 2 and seen["tokens"].endswith("chunks of 75")


def test_budget_bounds_n(client):
    seen = client.post("/api/candidates", json={"prompt": "an old woman", "max_candidates": 2}).json()
    assert seen["n"] <= 2 and seen["notice"]


@pytest.mark.parametrize(
    ("path", "body", "status", "field", "message"),
    [
        ("/api/candidates", {"prompt": "x" * 3000}, 422, "prompt", "The prompt is too long (at most 2000 characters)"),
        ("/api/candidates", {"prompt": "a man", "bogus": 1}, 422, "bogus", "bogus is not a setting of this app"),
        ("/api/jobs", {"prompt": "a man", "steps": 0}, 422, "steps", "Steps T must be at least 1"),
        ("/api/jobs", {"prompt": "a man", "scheduler": "plms"}, 422, "scheduler", "Unknown scheduler 'plms'"),
        ("/api/jobs", {"prompt": "a man", "cloud": "ftp://x"}, 422, "cloud", "The cloud is 'local' or an address"),
        ("/api/jobs", {"prompt": "a man", "steps": 4, "switch_step": 9}, 400, "switch_step", "exceed the steps T=4"),
        ("/api/jobs", {"prompt": ""}, 422, "prompt", "Type a prompt first"),
        ("/api/jobs", {"prompt": "   "}, 422, "prompt", "Type a prompt first"),
        ("/api/jobs", {"prompt": "a man", "accel": "fastest"}, 400, "accel", "unknown acceleration preset"),
        ("/api/jobs", {"prompt": "a man", "connect_timeout": 0}, 422, "connect_timeout", "must be more than 0"),
        ("/api/candidates", {"prompt": "portrait of a man holding her hat"}, 400, "prompt", "cannot vary gender"),
    ],
)
def test_bad_input_is_4xx_json_in_the_apps_words(client, path, body, status, field, message):
    response = client.post(path, json=body)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["field"] == field and message in error["message"]
    assert "Value error" not in error["message"] and "String should" not in error["message"]


def test_files_stay_inside_the_history(client):
    assert client.get("/files/..%2Fhistory.jsonl").status_code == 404
    assert client.get("/files/history.jsonl").status_code == 404
    assert client.get("/api/jobs/nope").status_code == 404


def test_other_host_names_are_refused(client):
    assert client.get("/", headers={"host": "attacker.example"}).status_code == 400


def _events(client, job_id):
    with client.stream("GET", f"/api/jobs/{job_id}/events") as stream:
        return [json.loads(line[len("data: ") :]) for line in stream.iter_lines() if line.startswith("data: ")]


def test_a_kept_generation_reports_each_step_and_keeps_what_the_cloud_held(client):
    job = client.post(
        "/api/jobs", json={"prompt": "an old woman", **TINY, "seed": 4, "num_images": 2, "keep_history": True}
    ).json()
    events = _events(client, job["id"])
    assert events[0] == {**events[0], "type": "queued", "ahead": 0}
    assert events[-1]["type"] == "done"
    for image in (0, 1):
        steps = [(e["phase"], e["done"]) for e in events if e["type"] == "step" and e["image"] == image]
        assert steps == [("cloud", 1), ("device", 1), ("device", 2)]
    entries = [e["entry"] for e in events if e["type"] == "image"]
    assert [e["settings"]["seed"] for e in entries] == [4, 5]
    for entry in entries:
        image = Image.open(client.history / entry["image"].removeprefix("/files/"))
        assert json.loads(image.text["obclip"])["seed"] == entry["settings"]["seed"] and "prompt" not in image.text
        strip = Image.open(client.history / entry["cloud_strip"].removeprefix("/files/"))
        assert strip.size == (6 * image.width, image.height)
        assert 0 <= entry["yours"] < 6 and "token" not in entry["settings"] and entry["kept"]
        assert client.get(entry["image"]).content[:4] == b"\x89PNG"
    history = client.get("/api/history").json()["entries"]
    assert [e["id"] for e in history[:2]] == [entries[1]["id"], entries[0]["id"]]
    assert "an old woman" in (client.history / "history.jsonl").read_text()


def test_a_private_generation_leaves_nothing_on_disk(tmp_path):
    history = tmp_path / "history"
    with TestClient(create_app(history), base_url="http://127.0.0.1") as app:
        job = app.post("/api/jobs", json={"prompt": "an old woman wearing a hat", **TINY, "seed": 1}).json()
        events = _events(app, job["id"])
        assert events[-1]["type"] == "done"
        (entry,) = [e["entry"] for e in events if e["type"] == "image"]
        assert not entry["kept"]
        # the page still shows the image and the cloud's strip, from memory
        assert app.get(entry["image"]).content[:4] == b"\x89PNG"
        assert app.get(entry["cloud_strip"]).content[:4] == b"\x89PNG"
        assert [e["id"] for e in app.get("/api/history").json()["entries"]] == [entry["id"]]
    assert not history.exists() or not any(history.rglob("*"))


def test_an_incognito_app_refuses_to_keep(tmp_path):
    with TestClient(create_app(tmp_path / "h", incognito=True), base_url="http://127.0.0.1") as app:
        assert app.get("/api/options").json()["incognito"] is True
        refused = app.post("/api/jobs", json={"prompt": "a man", **TINY, "keep_history": True})
        assert refused.status_code == 400 and refused.json()["error"]["field"] == "keep_history"
    assert not (tmp_path / "h").exists()


def test_delete_forgets_an_entry_on_disk(tmp_path):
    history = tmp_path / "history"
    with TestClient(create_app(history), base_url="http://127.0.0.1") as app:
        ids = []
        for prompt in ("an old woman", "a young man"):
            job = app.post("/api/jobs", json={"prompt": prompt, **TINY, "seed": 2, "keep_history": True}).json()
            ids.append(next(e["entry"]["id"] for e in _events(app, job["id"]) if e["type"] == "image"))
        assert app.delete(f"/api/history/{ids[0]}").json() == {"deleted": ids[0]}
        assert app.delete(f"/api/history/{ids[0]}").status_code == 404
        assert [e["id"] for e in app.get("/api/history").json()["entries"]] == [ids[1]]
        assert app.get(f"/files/{ids[0]}.png").status_code == 404
    text = (history / "history.jsonl").read_text()
    assert "an old woman" not in text and "a young man" in text
    assert sorted(p.name for p in history.glob("*.png")) == [f"{ids[1]}-cloud.png", f"{ids[1]}.png"]


def test_a_failing_job_reports_the_error_and_the_app_stays_up(client):
    job = client.post(
        "/api/jobs", json={"prompt": "an old woman", "large": "embedded:nope", "steps": 2, "switch_step": 1}
    ).json()
    events = _events(client, job["id"])
    assert events[-1]["type"] == "error" and "embedded" in events[-1]["message"]
    assert client.post("/api/candidates", json={"prompt": "a man"}).json()["n"] == 2


def test_the_preview_shows_the_set_of_the_chosen_policy(client):
    from obclip.view import cloud_view

    prompt = "a bearded man chopping wood"
    for policy in ("generalize", "keep-cues"):
        seen = client.post("/api/candidates", json={"prompt": prompt, "policy": policy}).json()
        sent = cloud_view(prompt, policy=policy)
        assert sorted(seen["candidates"]) == sorted(sent.candidates) and seen["anonymity"] is not None, policy
    kept = client.post("/api/candidates", json={"prompt": prompt, "policy": "keep-cues"}).json()
    hidden = client.post("/api/candidates", json={"prompt": prompt}).json()
    assert kept["n"] < hidden["n"]  # the beard fixes gender unless it is generalised
    bad = client.post("/api/candidates", json={"prompt": prompt, "policy": "nope"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "policy"


def test_residual_risk_words_are_marked_in_the_clear_text(client):
    seen = client.post("/api/candidates", json={"prompt": "portrait of a young woman with a veil in Lagos"}).json()
    residual = {r["word"]: r["reason"] for r in seen["residual"]}
    marked = {s["text"]: s["residual"] for s in seen["segments"] if "residual" in s}
    assert marked == residual and {"veil", "Lagos"} <= marked.keys()
    assert all(s["attribute"] is None for s in seen["segments"] if "residual" in s)


def test_obclip_ui_prints_its_address_and_serves_the_page(tmp_path):
    import os
    import re
    import signal
    import subprocess
    import sys
    import urllib.request

    proc = subprocess.Popen(
        [sys.executable, "-m", "obclip", "ui", "--port", "0", "--quiet", "--history", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        with urllib.request.urlopen(url, timeout=30) as response:
            assert b"What the cloud will see" in response.read()
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise


def test_a_port_in_use_is_one_line(tmp_path, capsys):
    import socket

    from obclip.cli import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        code = main(["ui", "--port", str(busy.getsockname()[1]), "--history", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "cannot listen" in err and err.count("\n") == 1


def test_the_history_survives_a_restart(tmp_path):
    from obclip.app.jobs import History

    entries = [{"id": "a", "settings": {"seed": 1}, "kept": True}, {"id": "b", "settings": {"seed": 2}, "kept": True}]
    for entry in entries:
        History(tmp_path).add(entry, {}, {})
    (tmp_path / "history.jsonl").open("a").write("not json\n")
    assert "kept" not in (tmp_path / "history.jsonl").read_text()
    with TestClient(create_app(tmp_path), base_url="http://127.0.0.1") as again:
        assert again.get("/api/history").json()["entries"] == entries[::-1]
