"""The demo report in a real browser: first screen, phone width, print to PDF, no console errors."""

from __future__ import annotations

import base64
import re
import subprocess
from datetime import date
from pathlib import Path

import lxml.html
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.print_page_options import PrintOptions
from selenium.webdriver.remote.webdriver import WebDriver
from tests.browser_support import chromium_factory, console_errors, save_artefact, start_chromium

from stackrift.analyses.base import AnalysisContext
from stackrift.catalog.catalogue import load_catalogue
from stackrift.estate.loader import load_estate
from stackrift.pipeline import assess
from stackrift.report.base import renderer

__all__ = ["chromium_factory"]  # the fixture, imported so pytest finds it here

AS_OF = date(2026, 11, 15)


@pytest.fixture(scope="module")
def demo_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    demo = Path(__file__).resolve().parents[2] / "src" / "stackrift" / "demo" / "estate.yaml"
    report = assess(load_estate(demo), AnalysisContext(as_of=AS_OF, catalogue=load_catalogue()))
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(renderer("html").render(report), encoding="utf-8")
    return path


def _open(started: list[WebDriver], width: int, height: int, url: str) -> WebDriver:
    """A window of this size showing ``url``, closed by the fixture after the test."""
    chrome = start_chromium(width, height)
    started.append(chrome)
    chrome.get(url)
    return chrome


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def test_wide_screen_shows_the_executive_summary_first(
    demo_html: Path, chromium_factory: list[WebDriver]
) -> None:
    chrome = _open(chromium_factory, 1400, 900, demo_html.as_uri())
    save_artefact("report-1400.png", chrome.get_screenshot_as_png())
    summary = chrome.find_element(By.ID, "summary")
    gate = summary.find_element(By.CSS_SELECTOR, ".gate")
    risks = summary.find_elements(By.CSS_SELECTOR, "ol.risks > li")
    assert gate.is_displayed() and gate.location["y"] + gate.size["height"] <= 900
    assert 1 <= len(risks) <= 10
    assert risks[0].location["y"] < 900, "the first risk is below the first screen"
    assert console_errors(chrome) == []


def test_findings_table_filters_with_the_script_allowed_by_hash(
    demo_html: Path, chromium_factory: list[WebDriver]
) -> None:
    chrome = _open(chromium_factory, 1400, 900, demo_html.as_uri() + "#all-findings")
    chrome.find_element(By.CSS_SELECTOR, "#all-findings details > summary").click()
    controls = chrome.find_element(By.ID, "findings-controls")
    assert controls.is_displayed(), "the script did not run (blocked by the CSP?)"
    rows = chrome.find_elements(By.CSS_SELECTOR, "#findings-table tbody tr")
    chrome.find_element(By.ID, "findings-filter").send_keys("CVE-2021-37678")
    visible = [r for r in rows if r.is_displayed()]
    assert 0 < len(visible) < len(rows)
    assert all("CVE-2021-37678" in r.text for r in visible)
    # following an evidence link opens the collapsed section it points into
    link = chrome.find_element(By.CSS_SELECTOR, "ol.risks a.evidence-link")
    target = link.get_attribute("href").split("#", 1)[1]
    chrome.get(demo_html.as_uri() + "#" + target)
    assert chrome.find_element(By.ID, target).is_displayed()
    assert console_errors(chrome) == []


def test_phone_width_has_no_horizontal_overflow(
    demo_html: Path, chromium_factory: list[WebDriver]
) -> None:
    chrome = _open(chromium_factory, 390, 844, demo_html.as_uri())
    # open everything so wide tables and charts are laid out too
    chrome.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    save_artefact("report-390.png", chrome.get_screenshot_as_png())
    widths = chrome.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
        " document.body.scrollWidth]")
    offenders = chrome.execute_script(
        "const clipped = e => { for (let p = e.parentElement; p; p = p.parentElement) {"
        " const o = getComputedStyle(p).overflowX; if (o !== 'visible') return true; }"
        " return false; };"
        "return Array.from(document.querySelectorAll('body *'))"
        ".filter(e => e.getBoundingClientRect().right > 391 && !clipped(e))"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className + ': '"
        " + e.textContent.slice(0, 60));")
    # a phone widens its layout viewport to fit content that overflows: compare with 390 itself
    assert widths[0] <= 390 and widths[1] == 390 and widths[2] <= 390, (widths, offenders)
    # headers wrap between words only
    header_words = chrome.execute_script(
        "return Array.from(document.querySelectorAll('header dd, header h1, h2'))"
        ".map(e => [e.textContent, e.getClientRects().length, e.scrollWidth <= e.clientWidth])")
    assert all(fits for _, _, fits in header_words), header_words
    summary = chrome.find_element(By.ID, "summary")
    assert summary.location["y"] < 844, "the executive summary starts below the first screen"
    assert console_errors(chrome) == []


def test_print_keeps_every_table_column(
    demo_html: Path, chromium_factory: list[WebDriver], tmp_path: Path
) -> None:
    chrome = _open(chromium_factory, 1400, 900, demo_html.as_uri())
    options = PrintOptions()
    options.orientation = "landscape"
    options.background = True
    pdf = base64.b64decode(chrome.print_page(options))
    path = save_artefact("report.pdf", pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True,
                          check=True, text=True, timeout=120).stdout
    printed = _words(text)
    page = lxml.html.fromstring(demo_html.read_bytes())
    columns = {_words(th.text_content()) for th in page.xpath("//table/thead/tr/th")}
    assert "entity list" in columns
    missing = sorted(c for c in columns if c and c not in printed)
    assert missing == [], f"columns missing from the printed report: {missing}"
    # collapsed findings are printed too
    assert "cve-2021-37678" in printed
    assert console_errors(chrome) == []
