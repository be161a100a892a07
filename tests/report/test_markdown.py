"""The Markdown report: same content as the HTML one, with estate text escaped."""

from __future__ import annotations

import re

from stackrift.report.base import renderer
from stackrift.report.markdown import md
from stackrift.report.model import Report


def test_structure(report: Report) -> None:
    text = renderer("md").render(report)
    lines = text.splitlines()
    assert lines[0].startswith("# StackRift assessment: Acme ")
    assert "- As of: 2026-11-15" in lines
    assert "- Catalogue: 2026.11" in lines
    assert "**1 finding at or above `high`: the assessment fails.**" in lines
    assert "| analysis | critical | high | medium | low | info | total |" in lines
    assert "| Provenance | 1 | 0 | 1 | 1 | 0 | 3 |" in lines
    assert "| \\*\\*all\\*\\* | 1 | 0 | 1 | 1 | 1 | 4 |" not in lines  # label is bold, not escaped
    assert "| **all** | 1 | 0 | 1 | 1 | 1 | 4 |" in lines
    assert [line for line in lines if line.startswith("## ")] == [
        "## Executive summary", "## Summary", "## Provenance", "## Estate hygiene"]
    assert "### Bloc per layer" in lines
    # stacked chart as a table with totals; heatmap with its cell text
    assert "|  | us | cn | unknown | total |" in lines
    assert "| support-bot | 0 | 4 | 1 | 5 |" in lines
    assert "| us | 3 systems | 2 | n/a |" in lines
    assert "> Not drawn: not drawn: charts\\[1\\].kind is 'pie', expected 'bar' or 'heatmap'" \
        in lines
    assert lines[-1].startswith("*Not legal advice.*")


def test_findings_with_citations(report: Report) -> None:
    text = renderer("md").render(report)
    assert "#### CRITICAL: Ascend 910B is made by an Entity-Listed vendor (Huawei)" in text
    assert "- Defined at: `estates/acme.yaml:40:7`" in text
    assert "- listed\\_since: 2019-05-16" in text
    assert ("  1. [15 CFR 744, Supplement No. 4](<https://www.ecfr.gov/current/title-15/part-744>)"
            " (in force from 2019-05-16)") in text
    assert "  2. Trade press (unverified)" in text  # javascript: URL not linked
    assert "- **Recommendation:** Check licensing before any US-origin item reaches it." in text


def test_hostile_text_is_escaped(report: Report, hostile: str) -> None:
    text = renderer("md").render(report)
    # every "<" is escaped, except the one opening a citation's link destination
    assert re.findall(r"(?<!\\)<(?!https://)", text) == []
    assert md(hostile) in text
    assert md("a|b\nc [x](javascript:y)") == "a\\|b c \\[x\\](javascript:y)"
    assert md("R&D <b>") == "R&amp;D \\<b\\>"
