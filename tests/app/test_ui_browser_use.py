"""The app as people use it, in headless Chromium at desktop width and at a phone's 390 px:
cancel, a wrong cloud address and an unknown hub id said beside their settings at once, a refused
prompt clearing the stale preview, nothing on disk unless history is kept, a token for any other
address, settings remembered in the browser, history reuse and delete, and the phone's layout.

How long the page took to show each error is written to out/test-artifacts/ui-timings.json;
the assertions wait on what the page shows (Playwright's expect), never on a clock.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest

from .browser import CHROMIUM, chromium_page, running_app

pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (`.ci/run` installs it)"),
]
ARTIFACTS = Path(os.environ.get("OBCLIP_ARTIFACTS", "out/test-artifacts"))
VIEWPORTS = {"desktop": ((1000, 1200), False), "phone": ((390, 844), True)}
FAST = {"large": "embedded:tiny-random", "steps": "3", "switch_step": "1", "seed": "0"}
SLOW = {"large": "embedded:tiny-random", "steps": "1000", "switch_step": "1000", "seed": "0"}
SOON = 15_000  # ms: far below the minutes a retrying client or hub took, far above a loaded machine's jitter


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    history = tmp_path_factory.mktemp("ui") / "history"
    with running_app(history) as url:
        yield url, history


@pytest.fixture(params=list(VIEWPORTS))
def page(request, tmp_path):
    viewport, mobile = VIEWPORTS[request.param]
    with chromium_page(tmp_path / "profile", viewport, mobile=mobile) as page:
        page.viewport_name = request.param
        yield page


def record(name: str, seconds: float) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "ui-timings.json"
    timings = json.loads(path.read_text()) if path.exists() else {}
    timings[name] = round(seconds, 3)
    path.write_text(json.dumps(timings, indent=2, sort_keys=True) + "\n")


def open_page(page, url: str, **fields: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.locator("#version")).to_contain_text("obclip", timeout=60_000)
    if fields:
        page.evaluate("document.getElementById('settings').open = true")
        for key, value in fields.items():
            page.fill(f"#{key}", value)


def type_prompt(page, prompt: str) -> None:
    from playwright.sync_api import expect

    page.fill("#prompt", prompt)
    expect(page.locator("#n")).not_to_have_text("0")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_cancel_stops_the_job(app, page):
    from playwright.sync_api import expect

    url, _ = app
    open_page(page, url, **SLOW)
    type_prompt(page, "portrait of an old woman")
    page.click("#generate")
    expect(page.locator("#status")).to_contain_text("cloud step", timeout=120_000)
    expect(page.locator("#cancel")).to_be_visible()
    page.click("#cancel")
    expect(page.locator("#status")).to_have_text("cancelled", timeout=SOON)
    expect(page.locator("#generate")).to_be_enabled()
    expect(page.locator("#cancel")).to_be_hidden()
    expect(page.locator("#result")).to_be_hidden()


def test_a_wrong_cloud_address_is_said_beside_the_cloud_setting(app, page):
    from playwright.sync_api import expect

    url, _ = app
    wrong = f"http://127.0.0.1:{free_port()}"
    open_page(page, url, **FAST, cloud=wrong)
    type_prompt(page, "a man with a hat")
    started = time.monotonic()
    page.click("#generate")
    expect(page.locator("#err-cloud")).to_contain_text("cannot reach the cloud", timeout=SOON)
    record(f"wrong cloud address [{page.viewport_name}]", time.monotonic() - started)
    expect(page.locator("#cloud")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#err-cloud")).to_be_in_viewport()
    expect(page.locator("#error")).to_be_hidden()
    page.fill("#cloud", "local")  # editing the setting clears its error
    expect(page.locator("#err-cloud")).to_be_hidden()


def test_an_unknown_hub_id_is_said_beside_the_model_setting(app, page):
    from playwright.sync_api import expect

    url, _ = app
    # HF_HUB_OFFLINE=1 (tests/conftest.py): a machine without the hub, where the id is in no cache
    open_page(page, url, **{**FAST, "large": "nobody/no-such-model"})
    type_prompt(page, "a man with a hat")
    started = time.monotonic()
    page.click("#generate")
    expect(page.locator("#err-large")).to_contain_text("nobody/no-such-model", timeout=SOON)
    record(f"unknown hub id [{page.viewport_name}]", time.monotonic() - started)
    expect(page.locator("#err-large")).to_be_in_viewport()
    expect(page.locator("#status")).to_have_text("failed")


def test_a_refused_prompt_clears_the_preview_and_is_said_beside_the_prompt(app, page):
    from playwright.sync_api import expect

    url, _ = app
    open_page(page, url, **FAST)
    type_prompt(page, "portrait of an old woman holding her hat")
    expect(page.locator("#candidates li")).not_to_have_count(0)
    page.fill("#prompt", "portrait of a man holding her hat")
    error = page.locator("#prompt-error")
    expect(error).to_contain_text("cannot vary gender")
    expect(page.locator("#n")).to_have_text("0")
    expect(page.locator("#candidates li")).to_have_count(0)
    expect(page.locator("#highlighted")).to_have_text("")
    expect(page.locator("#cost")).to_have_text("")
    below_prompt = page.locator("#prompt").bounding_box()
    box = error.bounding_box()
    assert 0 <= box["y"] - (below_prompt["y"] + below_prompt["height"]) < 40, "the message is not beside the prompt"
    page.fill("#prompt", "")
    page.click("#generate")
    expect(error).to_have_text("Type a prompt first")


def test_nothing_reaches_the_disk_unless_history_is_kept(app, page):
    from playwright.sync_api import expect

    url, history = app
    open_page(page, url, **FAST)
    expect(page.locator("#keep_history")).not_to_be_checked()
    type_prompt(page, "portrait of a young woman")
    page.click("#generate")
    expect(page.locator("#status")).to_have_text("done", timeout=120_000)
    expect(page.locator("#history li").first).to_contain_text("not kept")
    page.wait_for_function("document.getElementById('image').complete && document.getElementById('image').naturalWidth")
    assert not history.exists() or not any(history.rglob("*")), list(history.rglob("*"))


def test_an_incognito_app_offers_no_keeping(tmp_path):
    from playwright.sync_api import expect

    with running_app(tmp_path / "history", incognito=True) as url, chromium_page(tmp_path / "profile") as page:
        open_page(page, url, **FAST)
        expect(page.locator("#keep_history")).to_be_disabled()
        expect(page.locator("#where")).to_contain_text("incognito")
        type_prompt(page, "an old man")
        page.click("#generate")
        expect(page.locator("#status")).to_have_text("done", timeout=120_000)
    assert not (tmp_path / "history").exists()


def test_kept_history_can_be_reused_and_deleted(tmp_path):
    from playwright.sync_api import expect

    history = tmp_path / "history"
    with running_app(history) as url, chromium_page(tmp_path / "profile") as page:
        open_page(page, url, **FAST)
        page.check("#keep_history")
        type_prompt(page, "portrait of an old woman")
        page.click("#generate")
        expect(page.locator("#status")).to_have_text("done", timeout=120_000)
        assert "portrait of an old woman" in (history / "history.jsonl").read_text()
        page.fill("#prompt", "something else")
        page.fill("#steps", "7")
        page.locator("#history li .reuse").first.click()
        expect(page.locator("#prompt")).to_have_value("portrait of an old woman")
        expect(page.locator("#steps")).to_have_value("3")
        page.locator("#history li .delete").first.click()
        expect(page.locator("#history li")).to_have_count(0)
        expect(page.locator("#result")).to_be_hidden()
    assert not (history / "history.jsonl").exists() and not list(history.glob("*.png"))


def test_settings_are_remembered_and_the_token_only_when_asked(app, tmp_path):
    from playwright.sync_api import expect

    url, _ = app
    with chromium_page(tmp_path / "profile") as page:
        open_page(page, url, cloud="http://10.0.0.5:8000", token="secret-1", steps="9")
        page.locator("#steps").dispatch_event("change")
        page.reload()
        expect(page.locator("#version")).to_contain_text("obclip", timeout=60_000)
        expect(page.locator("#cloud")).to_have_value("http://10.0.0.5:8000")
        expect(page.locator("#steps")).to_have_value("9")
        expect(page.locator("#token")).to_have_value("")
        assert "secret-1" not in page.evaluate("JSON.stringify(localStorage)")
        page.fill("#token", "secret-2")
        page.check("#remember_token")
        page.reload()
        expect(page.locator("#version")).to_contain_text("obclip", timeout=60_000)
        expect(page.locator("#token")).to_have_value("secret-2")


def test_another_address_needs_the_token(tmp_path):
    from playwright.sync_api import expect

    with running_app(tmp_path / "history", token="phone-token-123") as url, chromium_page(tmp_path / "p") as page:
        page.goto(url)
        expect(page.locator("body")).to_contain_text("needs its token")
        page.goto(url + "/?token=phone-token-123")
        expect(page.locator("#version")).to_contain_text("obclip", timeout=60_000)
        assert "token" not in page.url  # the token left the address bar
        type_prompt(page, "an old man")


def test_the_phone_layout(app, tmp_path):
    """At 390 px: settings folded and Generate on the first screen, the cost said before it, no
    empty progress bar, candidate tiles a finger wide and "yours" outlined in a colour that shows."""
    from playwright.sync_api import expect

    url, _ = app
    with chromium_page(tmp_path / "profile", (390, 844), mobile=True) as page:
        open_page(page, url)
        expect(page.locator("#settings")).not_to_have_attribute("open", "")
        expect(page.locator("#progress")).to_be_hidden()
        generate = page.locator("#generate").bounding_box()
        assert generate["y"] + generate["height"] < 844 and generate["height"] >= 40
        page.evaluate("document.getElementById('settings').open = true")
        for key, value in FAST.items():
            page.fill(f"#{key}", value)
        page.locator("#settings summary").click()
        type_prompt(page, "portrait of an old man with dark skin wearing glasses")
        expect(page.locator("#cost")).to_contain_text("the cloud work of one image", timeout=60_000)
        page.click("#generate")
        expect(page.locator("#status")).to_have_text("done", timeout=120_000)
        page.wait_for_function("document.getElementById('strip').complete")
        n = int(page.locator("#n").inner_text())
        strip = page.locator("#strip").bounding_box()
        assert strip["width"] / n >= 48, "candidate tiles are too small to see on a phone"
        yours = page.locator("#yours")
        expect(yours).to_be_in_viewport()
        colour = yours.evaluate("(e) => getComputedStyle(e).borderTopColor")
        assert colour == "rgb(255, 176, 0)"
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
        overflowing = "[...document.querySelectorAll('#history .caption')].some(c => c.scrollWidth > c.clientWidth)"
        assert not page.evaluate(overflowing), "a history caption runs into its neighbour"
