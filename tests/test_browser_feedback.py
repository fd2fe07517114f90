"""The feedback page of a Misconception 1 submission, read in Chromium at 1280 px, as a student reads it.

The diagnosis is on screen without scrolling sideways, the page shows no traceback frame and
no absolute path, the summary names each test, and the link to the book opens the right
section of the built book. Screenshots go to ``artifacts/``.
"""

import re
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest
from feedback_helpers import BOOK, feedback_page, graded_once

from autograder.sandbox import bwrap
from gpt2ln.grading import sections
from gpt2ln.paths import REPO_ROOT

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO_ROOT / "artifacts"
HOST_PATH = re.compile(r"(?<![\w.:/])/(work|root|home|tmp|usr|opt|var)/")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists() and not shutil.which("chromium"),
                       reason=f"Chromium is not installed ({CHROMIUM}; Debian package chromium)"),
    pytest.mark.skipif(not bwrap.available(), reason="the autograder's sandbox needs bubblewrap, setpriv and root"),
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the [dev] extra)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).exists()
                                              else shutil.which("chromium"), args=["--no-sandbox"], headless=True)
        yield chromium
        chromium.close()


def test_misconception_1_feedback_reads_at_1280_px(browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(feedback_page(graded_once(), "misconception_1").as_uri())
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "feedback_summary.png"))

    diagnosis = page.locator("div.gpt2ln-feedback", has_text="Misconception 1").first
    diagnosis.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "feedback_diagnosis.png"))
    page.screenshot(path=str(ARTIFACTS / "feedback_full.png"), full_page=True)
    assert diagnosis.is_visible()
    widths = diagnosis.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert widths[0] <= widths[1], f"the diagnosis scrolls sideways: scrollWidth {widths[0]} > clientWidth {widths[1]}"
    box = diagnosis.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1280, box
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    text = page.inner_text("body")
    assert "Traceback" not in text and not re.search(r"^\s*File ", text, re.MULTILINE)
    assert not HOST_PATH.search(text), HOST_PATH.search(text)

    tests = page.locator("#toc li").all_inner_texts()
    assert len(tests) == 8 and not any("Test cell" in t for t in tests), tests
    assert "PreLNBlock: gradients — 0.0 / 2.0" in tests and "PostLNBlock: forward — 2.0 / 2.0" in tests
    earned = sum(float(re.search(r"— ([\d.]+) /", t).group(1)) for t in tests)
    assert f"Total: {earned:.1f} / 15.0 points" in page.inner_text("#toc")

    link = diagnosis.locator("a", has_text="Misconception 1")
    href = link.get_attribute("href")
    assert href.endswith(f"#{sections.MISCONCEPTION_1.anchor}"), href
    if not (BOOK / "index.html").exists():
        pytest.skip("the book is not built (make book): the link's target cannot be opened")
    target = Path(urlparse(href).path)
    assert target.is_file(), href
    link.click()
    page.wait_for_load_state()
    assert page.url == href
    heading = page.locator(f"[id='{sections.MISCONCEPTION_1.anchor}'] h2, [id='{sections.MISCONCEPTION_1.anchor}'] h1")
    assert sections.MISCONCEPTION_1.title in heading.first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "feedback_book_link.png"))
