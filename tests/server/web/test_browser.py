"""The web interface in Debian's Chromium against a real ``stackrift serve``: log in, create a
project, upload the demo estate, watch its assessment finish, open a finding, filter, upload a
changed estate, assess again and see the change in the diff; at 390 px no page scrolls sideways;
no console errors. Screenshots go to build/test-artefacts."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait
from tests.browser_support import chromium_factory, console_errors, save_artefact, start_chromium
from tests.server.serving import ServeProcess

__all__ = ["chromium_factory"]  # the fixture, imported so pytest finds it here

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "src" / "stackrift" / "demo" / "estate.yaml"
REMOVED_FLOW = "us-audience-to-adreach"
WIDE, PHONE = (1280, 900), (390, 844)


@dataclass(frozen=True)
class LiveServer:
    url: str
    username: str
    password: str


def _first_admin(path: Path, process: subprocess.Popen[bytes]) -> dict[str, str]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"stackrift serve exited with {process.returncode}")
        if path.exists() and "API token" in path.read_text(encoding="utf-8"):
            lines = path.read_text(encoding="utf-8").splitlines()
            return dict(line.split(": ", 1) for line in lines if ": " in line)
        time.sleep(0.2)
    raise AssertionError("stackrift serve did not create its first administrator")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``stackrift serve`` on a free port with a fresh SQLite database, and a unit made by the
    first administrator through the API."""
    folder = tmp_path_factory.mktemp("web-live")
    server = ServeProcess(folder, "-f", "terminal", "-o", str(folder / "server.log"), env={
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT),
                                       os.environ.get("PYTHONPATH", "")]),
        "STACKRIFT_SERVER_POLL_SECONDS": "0.2"})
    try:
        admin = _first_admin(folder / "first-admin.txt", server.process)
        made = httpx.post(f"{server.base}/api/v1/units", json={"name": "Group IT"}, timeout=10,
                          headers={"Authorization": f"Bearer {admin['API token']}"})
        assert made.status_code == 201, made.text
        yield LiveServer(server.base, admin["user"], admin["password"])
    finally:
        server.stop()


def _changed_estate(folder: Path) -> Path:
    """The demo estate without one prohibited data flow."""
    text = DEMO.read_text(encoding="utf-8")
    start = text.index(f"  - id: {REMOVED_FLOW}\n")
    end = text.index("  - id: ", start + 1)
    path = folder / "estate.yaml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    return path


def _shot(chrome: WebDriver, name: str, errors: list[str]) -> None:
    save_artefact(f"web-{name}.png", chrome.get_screenshot_as_png())
    errors.extend(f"{name}: {e}" for e in console_errors(chrome))


def _replaced(page: WebElement) -> Callable[[WebDriver], bool]:
    """Whether the page ``page`` belongs to has been replaced by the next one. While the
    browser swaps documents, it may answer that the node belongs to no document: gone too."""
    def gone(_driver: WebDriver) -> bool:
        try:
            page.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc.msg):
                return True
            raise
        return False
    return gone


def _submit(chrome: WebDriver, form_css: str) -> None:
    """Submit a form and wait for the next page to replace this one."""
    page = chrome.find_element(By.TAG_NAME, "html")
    chrome.find_element(By.CSS_SELECTOR, f"{form_css} button[type=submit]").click()
    WebDriverWait(chrome, 30).until(_replaced(page))


def _log_in(chrome: WebDriver, server: LiveServer) -> None:
    chrome.get(server.url + "/")
    assert "/web/login" in chrome.current_url
    chrome.find_element(By.ID, "username").send_keys(server.username)
    chrome.find_element(By.ID, "password").send_keys(server.password)
    _submit(chrome, "main form")
    assert chrome.find_element(By.TAG_NAME, "h1").text == "Dashboard"


def _upload_and_assess(chrome: WebDriver, estate: Path) -> str:
    """Upload an estate on the open project page, assess it, wait for the job; its URL."""
    Select(chrome.find_element(By.ID, "upload-kind")).select_by_value("estate")
    chrome.find_element(By.ID, "upload-file").send_keys(str(estate))
    _submit(chrome, "form[enctype='multipart/form-data']")
    assert "#uploads" in chrome.current_url, chrome.find_element(By.TAG_NAME, "main").text
    _submit(chrome, "form[action$='/assessments']")
    assert re.search(r"/web/assessments/\d+$", chrome.current_url)
    label = "first" if estate == DEMO else "second"  # the job as it starts
    save_artefact(f"web-job-{label}.png", chrome.get_screenshot_as_png())
    # the page's script follows the job and reloads the page when it ends
    WebDriverWait(chrome, 120, poll_frequency=0.5).until(
        lambda c: c.find_elements(By.ID, "findings")
        or c.find_elements(By.CSS_SELECTOR, ".status-failed"))
    assert chrome.find_elements(By.ID, "findings"), chrome.find_element(By.ID, "job").text
    return str(chrome.current_url)


def _no_sideways_scroll(chrome: WebDriver, url: str) -> None:
    chrome.get(url)
    widths = chrome.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"{url} scrolls sideways at 390 px: {widths}"


def _estate_and_its_objects(chrome: WebDriver, assessment: str, errors: list[str]) -> None:
    """The estate map, then one system, vendor and data flow page linked from it."""
    chrome.get(assessment + "/estate")
    assert chrome.find_element(By.CSS_SELECTOR, "svg.estate-map").is_displayed()
    _shot(chrome, "estate", errors)
    for kind, name in (("systems", "System"), ("vendors", "Vendor"), ("flows", "Data flow")):
        target = chrome.find_element(By.CSS_SELECTOR, f"ul.columns a[href*='/{kind}/']")
        chrome.get(str(target.get_attribute("href")))
        assert chrome.find_element(By.TAG_NAME, "h1").text.startswith(name)
        assert chrome.find_elements(By.CSS_SELECTOR, "table")
        _shot(chrome, kind, errors)
        chrome.back()


def test_a_person_assesses_an_estate_and_sees_what_changed(
    live_server: LiveServer, chromium_factory: list[WebDriver],
    tmp_path: Path,
) -> None:
    chrome = start_chromium(*WIDE)
    chromium_factory.append(chrome)
    errors: list[str] = []
    _log_in(chrome, live_server)
    _shot(chrome, "dashboard", errors)
    # the first Tab reaches the skip link, which moves the focus to the main content
    chrome.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    skip = chrome.switch_to.active_element
    assert skip.get_attribute("class") == "skip" and skip.is_displayed()
    skip.send_keys(Keys.ENTER)
    assert chrome.switch_to.active_element.get_attribute("id") == "main"

    chrome.find_element(By.CSS_SELECTOR, "details.panel > summary").click()
    chrome.find_element(By.CSS_SELECTOR, "input[name=name]").send_keys("Demo estate")
    _submit(chrome, "details.panel form")
    project_url = chrome.current_url
    assert chrome.find_element(By.TAG_NAME, "h1").text == "Project Demo estate"

    first = _upload_and_assess(chrome, DEMO)
    _shot(chrome, "assessment", errors)
    total = int(re.search(r"of (\d+) matching", chrome.find_element(
        By.ID, "findings-count").text).group(1))  # type: ignore[union-attr]

    opened = chrome.find_element(By.TAG_NAME, "html")
    chrome.find_element(By.CSS_SELECTOR, "table.findings tbody tr a").click()
    WebDriverWait(chrome, 30).until(_replaced(opened))
    assert "/findings/" in chrome.current_url
    assert chrome.find_element(By.ID, "citations").is_displayed()
    assert chrome.find_element(By.ID, "evidence").is_displayed()
    _shot(chrome, "finding", errors)

    chrome.get(first)
    Select(chrome.find_element(By.ID, "f-severity")).select_by_value("critical")
    _submit(chrome, "form.filters")
    assert "severity=critical" in chrome.current_url
    rows = chrome.find_elements(By.CSS_SELECTOR, "table.findings tbody tr")
    assert 0 < len(rows) < total
    assert all(r.find_element(By.CSS_SELECTOR, ".sev").text == "critical" for r in rows)
    _shot(chrome, "filtered", errors)

    chrome.get(project_url)
    second = _upload_and_assess(chrome, _changed_estate(tmp_path))
    assert second != first
    chrome.get(project_url)
    _submit(chrome, "form[action$='/diff']")
    resolved = chrome.find_element(By.CSS_SELECTOR, "table.diff-removed").text
    assert REMOVED_FLOW in resolved
    assert "estate" in chrome.find_element(By.ID, "causes").find_element(
        By.XPATH, "..").text
    _shot(chrome, "diff", errors)
    diff_url = chrome.current_url

    _estate_and_its_objects(chrome, first, errors)

    chrome.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": True})
    for name, url in (("phone-dashboard", live_server.url + "/web/"),
                      ("phone-project", project_url), ("phone-assessment", first),
                      ("phone-estate", first + "/estate"), ("phone-diff", diff_url)):
        _no_sideways_scroll(chrome, url)
        _shot(chrome, name, errors)
    assert errors == []
