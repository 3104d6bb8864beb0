"""Regenerate docs/ui.png: the app in headless Chromium after one generation with the portrait pair.

.venv/bin/python tests/app/make_screenshot.py [docs/ui.png]
"""

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from browser import chromium_page, running_app

PROMPT = "portrait of an old man with dark skin wearing glasses, blue background"


def main(out: str = "docs/ui.png") -> None:
    from playwright.sync_api import expect

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        with running_app(tmp / "history") as url, chromium_page(tmp / "profile", viewport=(1000, 1300)) as page:
            page.goto(url)
            expect(page.locator("#version")).to_contain_text("obclip", timeout=60_000)
            page.fill("#seed", "0")
            page.locator("#prompt").press_sequentially(PROMPT)
            expect(page.locator("#n")).to_have_text("18")
            page.locator("#candidates-box summary").click()
            page.click("#generate")
            expect(page.locator("#status")).to_have_text("done", timeout=300_000)
            page.wait_for_function("document.getElementById('strip').complete")
            page.wait_for_timeout(300)
            page.screenshot(path=out, full_page=True)
    print(out)


if __name__ == "__main__":
    main(*sys.argv[1:])
