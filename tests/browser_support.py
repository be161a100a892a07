"""Debian's Chromium driven by Selenium, for tests that look at pages as a person does.

The Makefile installs ``chromium`` and ``chromium-driver`` when they are missing. Without them a
test fails under CI (where it must run) and is skipped, loudly, elsewhere.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ARTEFACTS = Path(__file__).resolve().parents[1] / "build" / "test-artefacts"


def _binaries() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)
    if browser and driver:
        return browser, driver
    message = ("Chromium and chromedriver are needed (Debian packages chromium, chromium-driver; "
               "`make test` installs them)")
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def start_chromium(width: int, height: int) -> webdriver.Chrome:
    """A headless Chromium window of the given size that records console messages."""
    browser, driver = _binaries()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                     "--disable-dev-shm-usage", f"--window-size={width},{height}",
                     "--force-device-scale-factor=1"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(options=options, service=Service(driver))
    chrome.set_page_load_timeout(60)
    # --window-size sets the outer window; make the page's viewport exactly the size asked for
    chrome.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    return chrome


@pytest.fixture
def chromium_factory() -> Iterator[list[webdriver.Chrome]]:
    """Start windows with ``start_chromium``; append them here and they are closed afterwards."""
    started: list[webdriver.Chrome] = []
    yield started
    for chrome in started:
        chrome.quit()


def console_errors(chrome: webdriver.Chrome) -> list[str]:
    """Console messages of level SEVERE (script errors, CSP violations, failed loads)."""
    return [entry["message"] for entry in chrome.get_log("browser")
            if entry.get("level") == "SEVERE"]


def save_artefact(name: str, data: bytes) -> Path:
    """Keep a screenshot or PDF under build/test-artefacts for people to look at."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / name
    path.write_bytes(data)
    return path
