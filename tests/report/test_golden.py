"""Golden test: the demo estate's JSON report, as of a fixed date, byte for byte.

When an analysis, the catalogue or the demo estate changes on purpose, regenerate with
``STACKRIFT_UPDATE_GOLDEN=1 pytest tests/report/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import difflib
import json
import os
from datetime import date
from pathlib import Path

import jsonschema
import lxml.html
import pytest

from stackrift.analyses.base import AnalysisContext
from stackrift.catalog.catalogue import load_catalogue
from stackrift.estate.loader import load_estate
from stackrift.pipeline import assess
from stackrift.report.base import renderer
from stackrift.report.json_schema import report_schema

REPO_ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden" / "demo-report.json"
AS_OF = date(2026, 11, 15)


def demo_json(monkeypatch: pytest.MonkeyPatch, demo_estate: Path) -> str:
    # Loaded by its path relative to the repository, so the report (estate path and every
    # finding's location) is the same on every machine and in every checkout.
    monkeypatch.chdir(REPO_ROOT)
    relative = demo_estate.resolve().relative_to(REPO_ROOT)
    context = AnalysisContext(as_of=AS_OF, catalogue=load_catalogue())
    return renderer("json").render(assess(load_estate(relative), context))


def test_demo_report_matches_golden(monkeypatch: pytest.MonkeyPatch, demo_estate: Path) -> None:
    text = demo_json(monkeypatch, demo_estate)
    if os.environ.get("STACKRIFT_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
        pytest.skip(f"regenerated {GOLDEN.relative_to(REPO_ROOT)}")
    expected = GOLDEN.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(list(difflib.unified_diff(
            expected.splitlines(keepends=True), text.splitlines(keepends=True),
            "golden/demo-report.json", "now"))[:80])
        pytest.fail("the demo report differs from the golden file; if the change is intended, "
                    "run STACKRIFT_UPDATE_GOLDEN=1 pytest tests/report/test_golden.py\n" + diff)


def test_golden_is_a_valid_report() -> None:
    document = json.loads(GOLDEN.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(report_schema()).validate(document)
    assert document["as_of"] == AS_OF.isoformat()
    assert document["estate"]["path"] == "src/stackrift/demo/estate.yaml"
    assert document["estate"]["organisation"] == "Meridian Dynamics Group"
    for finding in document["findings"]:
        assert finding["location"]["file"] == "src/stackrift/demo/estate.yaml"
        assert finding["location"]["line"] > 0


def test_demo_html_has_bloc_composition_and_severity_charts(
        monkeypatch: pytest.MonkeyPatch, demo_estate: Path) -> None:
    """The acceptance check on the real demo: one stacked bar per system, coloured by bloc."""
    monkeypatch.chdir(REPO_ROOT)
    loaded = load_estate(demo_estate)
    report = assess(loaded, AnalysisContext(as_of=AS_OF, catalogue=load_catalogue()))
    page = lxml.html.document_fromstring(renderer("html").render(report))
    assert len(page.xpath("//figure[@class='severity-chart']//rect[@class='bar']")) == 6
    charts = page.xpath("//section[@id='analysis-provenance']"
                        "//svg[@aria-label='Bloc composition per system']")
    if report.section("provenance") is None:
        pytest.skip("the provenance analysis is not installed")
    assert len(charts) == 1
    labels = {bar.get("data-label") for bar in charts[0].xpath(".//rect[@class='bar']")}
    assert labels == {s.id for s in loaded.estate.systems}
    assert charts[0].xpath(".//g[@class='legend-item']")
