"""The assessment pipeline: runs analyses, orders findings, locates subjects, honours --fail-on."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import ClassVar

import pytest

from stackrift import pipeline
from stackrift.analyses.base import AnalysisContext, AnalysisResult
from stackrift.catalog.catalogue import load_catalogue
from stackrift.errors import UsageError
from stackrift.estate.loader import LoadedEstate, load_estate
from stackrift.findings import Finding, Severity, Subject, SubjectKind, finding_id


class SiteCounter:
    """A test analysis: one finding per site, severity from the site's country."""

    name: ClassVar[str] = "site-counter"
    title: ClassVar[str] = "Sites"
    order: ClassVar[int] = 1

    def run(self, estate: LoadedEstate, context: AnalysisContext) -> AnalysisResult:
        findings = [
            Finding(
                id=finding_id(self.name, "site", site.id),
                analysis=self.name,
                rule="site",
                severity=Severity.HIGH if site.country == "CN" else Severity.LOW,
                title=f"site {site.id}",
                subject=Subject(kind=SubjectKind.SITE, id=site.id, field="country"),
            )
            for site in estate.estate.sites
        ]
        return AnalysisResult(tuple(findings), {"sites": len(findings)})


@pytest.fixture
def only_site_counter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "registered_analyses", lambda: [SiteCounter()])


def _context() -> AnalysisContext:
    return AnalysisContext(as_of=date(2026, 11, 15), catalogue=load_catalogue())


@pytest.mark.usefixtures("only_site_counter")
def test_assess_orders_findings_and_locates_subjects(demo_estate: Path) -> None:
    loaded = load_estate(demo_estate)
    report = pipeline.assess(loaded, _context())
    assert report.as_of == date(2026, 11, 15)
    assert report.catalogue_version == load_catalogue().version
    assert [s.name for s in report.sections] == ["site-counter"]
    severities = [f.severity for f in report.findings]
    assert severities == sorted(severities, key=lambda s: -s.rank)
    cn_sites = {s.id for s in loaded.estate.sites if s.country == "CN"}
    assert {f.subject.id for f in report.failing()} == cn_sites
    location = report.locations[finding_id("site-counter", "site", "ali-hz")]
    assert location == loaded.locate("sites", "ali-hz", "country")
    assert location.line > 0
    assert report.estate.counts["systems"] == len(loaded.estate.systems)


@pytest.mark.usefixtures("only_site_counter")
def test_fail_on_threshold(demo_estate: Path) -> None:
    loaded = load_estate(demo_estate)
    critical_only = pipeline.assess(loaded, _context(), fail_on=Severity.CRITICAL)
    assert critical_only.failing() == ()
    everything = pipeline.assess(loaded, _context(), fail_on=Severity.LOW)
    assert len(everything.failing()) == len(loaded.estate.sites)


@pytest.mark.usefixtures("only_site_counter")
def test_unknown_analysis_is_a_usage_error(demo_estate: Path) -> None:
    with pytest.raises(UsageError, match="unknown analysis: nope; expected one of site-counter"):
        pipeline.assess(load_estate(demo_estate), _context(), only=frozenset({"nope"}))
