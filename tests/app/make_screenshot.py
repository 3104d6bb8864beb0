"""Regenerate the app's screenshots in docs/: the desktop page after one generation with the
portrait pair (docs/ui.png), and a phone at 390 px before and after one (docs/ui-phone.png,
docs/ui-phone-result.png).

.venv/bin/python tests/app/make_screenshot.py [docs]
"""

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from browser import chromium_page, running_app

PROMPT = "portrait of an old man with dark skin wearing glasses, blue background"


def generate(page, url: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.locator("#version")).to_contain_text("obclip", timeout=60_000)
    page.evaluate("document.getElementById('settings').open = true")
    page.fill("#seed", "0")
    page.evaluate("document.getElementById('settings').open = window.innerWidth >= 700")
    page.locator("#prompt").press_sequentially(PROMPT)
    expect(page.locator("#n")).to_have_text("18")
    expect(page.locator("#cost")).to_contain_text("cloud work", timeout=120_000)


def finish(page) -> None:
    from playwright.sync_api import expect

    page.click("#generate")
    expect(page.locator("#status")).to_have_text("done", timeout=300_000)
    page.wait_for_function("document.getElementById('strip').complete")
    page.wait_for_timeout(300)  # the outline is placed once the strip has its size


def main(out: str = "docs") -> None:
    out_dir = Path(out)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        with running_app(tmp / "history") as url:
            with chromium_page(tmp / "desktop", viewport=(1000, 1300)) as page:
                generate(page, url)
                page.locator("#candidates-box summary").click()
                finish(page)
                page.screenshot(path=str(out_dir / "ui.png"), full_page=True)
            with chromium_page(tmp / "phone", viewport=(390, 844), mobile=True) as page:
                generate(page, url)
                page.evaluate("window.scrollTo(0, 0)")
                page.screenshot(path=str(out_dir / "ui-phone.png"))
                finish(page)
                page.screenshot(path=str(out_dir / "ui-phone-result.png"))
    print(out_dir / "ui.png", out_dir / "ui-phone.png", out_dir / "ui-phone-result.png")


if __name__ == "__main__":
    main(*sys.argv[1:])
