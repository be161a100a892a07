"""Colour contrast of the web interface (WCAG 2.2 AA: 4.5:1 for text, also kept for the map's
lines and the focus outline)."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from stackrift.server.web.estatemap import VERDICT_STYLES

CSS = (resources.files("stackrift.server.web") / "static" / "web.css").read_text("utf-8")
COLOURS = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6});", CSS))

# (text or line, background) pairs the stylesheet draws
PAIRS = [("fg", "bg"), ("fg", "panel"), ("muted", "bg"), ("muted", "panel"), ("link", "bg"),
         ("link", "panel"), ("error", "bg"), ("error", "panel"), ("focus", "bg"),
         ("on-dark", "link"), ("on-light", "sev-medium"),
         *(("on-dark", f"sev-{s}") for s in ("critical", "high", "unknown", "low", "info"))]


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(one: str, two: str) -> float:
    high, low = sorted((_luminance(one), _luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_contrast_formula() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize(("text", "background"), PAIRS)
def test_stylesheet_colours_have_enough_contrast(text: str, background: str) -> None:
    assert contrast(COLOURS[text], COLOURS[background]) >= 4.5, (text, background)


@pytest.mark.parametrize("verdict", sorted(VERDICT_STYLES))
def test_map_lines_have_enough_contrast_on_the_white_map(verdict: str) -> None:
    assert contrast(VERDICT_STYLES[verdict][0], "#ffffff") >= 4.5


def test_each_verdict_has_its_own_dash_pattern() -> None:
    dashes = [dash for _, dash in VERDICT_STYLES.values()]
    assert len(set(dashes)) == len(dashes)
