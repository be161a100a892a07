"""The vulnerabilities analysis on the demo estate, with the starter pack in a fresh store."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest

from stackrift.analyses.base import AnalysisContext
from stackrift.analyses.vulnerabilities import VulnerabilitiesAnalysis, _first_line_naming
from stackrift.catalog.catalogue import load_catalogue
from stackrift.estate.loader import load_estate
from stackrift.report._view import summary_problems


def test_demo_estate_has_findings_from_the_starter_pack(demo_estate: Path,
                                                         tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite"
    context = AnalysisContext.default(date(2026, 11, 15), catalogue=load_catalogue(), db=db)
    result = VulnerabilitiesAnalysis().run(load_estate(demo_estate), context)
    by_id = {f.id: f for f in result.findings}
    assert len(by_id) == len(result.findings)  # no duplicates
    tf = by_id["vulnerabilities:known-vulnerability:CVE-2021-37678:tensorflow"]
    assert tf.subject.id == "tensorflow" and tf.severity.value == "high"
    assert tf.evidence["sources"] == ["cnvd", "osv"]
    assert {"CNVD-2021-63084", "PYSEC-2021-300", "GHSA-r6jx-9g48-2r5r"} <= set(tf.evidence["ids"])
    assert "vulnerabilities:known-vulnerability:CVE-2025-32434:torch" in by_id
    assert {f.subject.id for f in result.findings} >= {"torch", "tensorflow", "transformers",
                                                       "vllm", "langchain", "mlflow"}
    summary = result.summary
    assert summary["store"]["starter_pack"] is True
    assert summary["coverage"]["both"] >= 5 and summary["coverage"]["western-only"] >= 10
    assert summary_problems(summary) == ()
    # the second run reuses the store without importing again
    again = VulnerabilitiesAnalysis().run(load_estate(demo_estate), context)
    assert [f.id for f in again.findings] == [f.id for f in result.findings]


def test_an_sbom_that_cannot_be_read_is_a_finding(tmp_path: Path) -> None:
    """Called on its own (the pipeline stops earlier with a located error), the analysis
    reports an unreadable SBOM as a finding of unknown severity, not as a clean system."""
    (tmp_path / "broken.cdx.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "estate.yaml").write_text(
        "organisation: {name: Org, hq_country: US}\n"
        "entities: [{id: hq, name: HQ, country: US}]\n"
        "sites: [{id: s, name: S, kind: on_prem, country: US, entity: hq}]\n"
        "systems: [{id: a, name: A, purpose: p, owner: hq, site: s,\n"
        "           sboms: [broken.cdx.json]}]\n", encoding="utf-8")
    context = AnalysisContext.default(date(2026, 11, 15), catalogue=load_catalogue(),
                                      db=tmp_path / "store.sqlite")
    result = VulnerabilitiesAnalysis().run(load_estate(tmp_path / "estate.yaml"), context)
    [finding] = [f for f in result.findings if f.rule == "sbom-not-read"]
    assert finding.severity.value == "unknown" and finding.subject.id == "a"
    assert finding.evidence["sbom"] == "broken.cdx.json"
    assert result.summary["sbom_problems"]


def test_an_assessment_reads_each_sbom_once(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The pipeline merges SBOM components into the estate and the analysis makes targets of
    the same documents: one read of each file serves both."""
    from stackrift import pipeline
    from stackrift.bom import base as bom_base
    from stackrift.bom import estate as bom_estate

    (tmp_path / "app.cdx.json").write_text(
        '{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": '
        '[{"type": "library", "bom-ref": "t", "name": "torch", "version": "2.5.1", '
        '"purl": "pkg:pypi/torch@2.5.1"}]}', encoding="utf-8")
    (tmp_path / "estate.yaml").write_text(
        "organisation: {name: Org, hq_country: US}\n"
        "entities: [{id: hq, name: HQ, country: US}]\n"
        "sites: [{id: s, name: S, kind: on_prem, country: US, entity: hq}]\n"
        "systems: [{id: a, name: A, purpose: p, owner: hq, site: s,\n"
        "           sboms: [app.cdx.json]}]\n", encoding="utf-8")
    reads: list[Path] = []
    real = bom_estate.read_bom

    def counted(path: Path) -> object:
        reads.append(path)
        return real(path)

    monkeypatch.setattr(bom_estate, "read_bom", counted)
    monkeypatch.setattr(bom_base, "read_bom", counted)
    bom_estate._read.cache_clear()
    context = AnalysisContext.default(date(2026, 11, 15), catalogue=load_catalogue(),
                                      db=tmp_path / "store.sqlite")
    report = pipeline.assess(load_estate(tmp_path / "estate.yaml"), context,
                             only=frozenset({"vulnerabilities"}))
    assert [p.name for p in reads] == ["app.cdx.json"]
    # the SBOM's torch is both merged (its component id) and scanned (its finding)
    assert [(f.rule, f.subject.id) for f in report.findings] == [
        ("known-vulnerability", "app.cdx.json:t")]


@pytest.mark.parametrize(("length", "places"), [(256, 200_000), (10, 200_000), (256, 0)])
def test_first_line_naming_is_the_first_line_holding_the_text(
        length: int, places: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where a scan's report locates a component: the first line holding its purl or name (1
    when none does), as a search line by line finds it; also with purl texts indexed shorter
    than some purls, and with none indexed (too many places, as in a hostile SBOM)."""
    import re

    from stackrift.analyses import vulnerabilities

    monkeypatch.setattr(vulnerabilities, "PURL_TEXT_LENGTH", length)
    monkeypatch.setattr(vulnerabilities, "PURL_TEXT_PLACES", places)
    monkeypatch.setattr(vulnerabilities, "_PURL_TEXT",
                        re.compile(f'(?=(pkg:[^"\\n]{{0,{length - 4}}}))'))
    chooser = random.Random(5)
    pieces = ["pkg:pypi/a@1", "a", "b\u2028c", "", " ", '"purl": "pkg:pypi/b@2"', "x\ry", "名",
              "pkg:", "pkg:pkg:pypi/a@1", '"pkg:pypi/a@1.0"', 'pkg:pypi/"a"@1', "@1"]
    for _ in range(1000):
        lines = [chooser.choice(pieces) + chooser.choice(pieces)
                 for _ in range(chooser.randint(0, 8))]
        first_line = _first_line_naming(lines)
        for needle in [*pieces, "a\nb", "pkg:pypi/a@1pkg", "zzz", "\r", "pkg:pypi/a", "pkg:pypi/",
                       "pkg:pypi/a@1.0", "pkg:pypi/b@2\"", "pkg:pkg", "pkg:p\nkg"]:
            expected = next((i for i, text in enumerate(lines, 1) if needle in text), 1)
            assert first_line(needle) == expected, (lines, needle)


def test_first_line_naming_of_a_hostile_sbom_stays_bounded() -> None:
    """A text made of "pkg:" places (millions of overlapping purl texts) is searched whole,
    not indexed: the answer is the same and no index of its suffixes is built."""
    import tracemalloc

    hostile = ["{", "pkg:" * 300_000 + "pypi/a@1", "}"]
    tracemalloc.start()
    try:
        first_line = _first_line_naming(hostile)
        assert first_line("pkg:pypi/a@1") == 2 and first_line("pkg:npm/b@2") == 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20  # indexing its 300,000 places would hold ~75 MB of texts
