"""The app in a real browser (headless system Chromium driven by Playwright): type a prompt and
watch N follow it, generate with the tiny model, see the image and check it is not blank.

The page's screenshot is kept as a test artefact under out/test-artifacts/ (OBCLIP_ARTIFACTS).
"""

import os
from pathlib import Path

import pytest

from .browser import CHROMIUM, PIXEL_RANGE_JS, chromium_page, running_app

pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (`.ci/run` installs it)"),
]
ARTIFACTS = Path(os.environ.get("OBCLIP_ARTIFACTS", "out/test-artifacts"))


def expected_n(prompt: str) -> int:
    from obclip.api import resolve_taxonomy
    from obclip.privacy import build_candidate_set

    return len(build_candidate_set(prompt, taxonomy=resolve_taxonomy(None, "embedded:tiny-random")))


def test_type_see_n_generate_see_the_image(tmp_path):
    from playwright.sync_api import expect

    with running_app(tmp_path / "history") as url, chromium_page(tmp_path / "profile") as page:
        page.goto(url)
        expect(page.locator("#version")).to_contain_text("obclip", timeout=60_000)  # first call imports torch
        page.fill("#large", "embedded:tiny-random")
        page.fill("#steps", "3")
        page.fill("#switch_step", "1")
        page.fill("#seed", "0")

        page.locator("#prompt").press_sequentially("portrait of a man")
        expect(page.locator("#n")).to_have_text(str(expected_n("portrait of a man")))
        page.locator("#prompt").press_sequentially(" and an old woman")
        n = expected_n("portrait of a man and an old woman")
        expect(page.locator("#n")).to_have_text(str(n))
        expect(page.locator("#highlighted mark[data-attribute=age]")).to_have_text("old")
        expect(page.locator("#candidates li")).to_have_count(n)

        page.click("#generate")
        expect(page.locator("#status")).to_have_text("done", timeout=120_000)
        image = page.locator("#image")
        page.wait_for_function(
            "document.getElementById('image').complete && document.getElementById('image').naturalWidth > 0"
        )
        lo, hi = image.evaluate(PIXEL_RANGE_JS)
        assert hi - lo > 10, f"the image is blank (pixels span {lo}..{hi})"
        strip_width = page.locator("#strip").evaluate("(img) => img.naturalWidth")
        assert strip_width == n * image.evaluate("(img) => img.naturalWidth")
        expect(page.locator("#history li")).to_have_count(1)
        expect(page.locator("#download")).to_have_attribute("download", "obclip-0.png")

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "ui.png"), full_page=True)
