"""The hygiene analysis: each gap is reported with the analyses that need the missing fact."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml

from stackrift.analyses.base import AnalysisContext, AnalysisResult
from stackrift.analyses.hygiene import HygieneAnalysis
from stackrift.catalog.catalogue import Catalogue
from stackrift.estate.loader import LoadedEstate, load_estate
from stackrift.findings import Finding, Severity

SITE = {
    "id": "use1",
    "name": "AWS use1",
    "kind": "cloud_region",
    "provider": "Amazon Web Services",
    "region": "us-east-1",
    "country": "US",
    "entity": "hq",
}
CN_SITE = {"id": "sh", "name": "Shanghai DC", "kind": "on_prem", "country": "CN", "entity": "hq"}
GOOD_FLOW = {
    "id": "f",
    "from": "sh",
    "to": "use1",
    "data_categories": ["personal"],
    "subjects": 10,
    "subjects_countries": ["CN"],
    "start": "2026-01-01",
}
GOOD_SYSTEM = {
    "id": "s",
    "name": "s",
    "purpose": "p",
    "owner": "hq",
    "site": "use1",
    "users_countries": ["US"],
    "components": ["torch"],
}
TORCH = {
    "id": "torch",
    "type": "framework",
    "name": "PyTorch",
    "version": "2.3.0",
    "purl": "pkg:pypi/torch@2.3.0",
}


def estate(tmp_path: Path, **parts: list[dict[str, Any]]) -> LoadedEstate:
    """A complete, gap-free estate in which ``parts`` replace whole lists."""
    document: dict[str, Any] = {
        "organisation": {"name": "Test Org", "hq_country": "US"},
        "entities": [{"id": "hq", "name": "HQ Inc.", "country": "US"}],
        "sites": [SITE, CN_SITE],
        "components": [TORCH],
        "systems": [GOOD_SYSTEM],
        "data_flows": [GOOD_FLOW],
    }
    document.update(parts)
    path = tmp_path / "estate.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return load_estate(path)


def run(loaded: LoadedEstate, catalogue: Catalogue) -> AnalysisResult:
    return HygieneAnalysis().run(
        loaded, AnalysisContext(as_of=date(2026, 11, 20), catalogue=catalogue)
    )


def rules(result: AnalysisResult) -> dict[str, Finding]:
    return {f.rule: f for f in result.findings}


def test_complete_estate_has_no_gaps(tmp_path: Path, catalogue: Catalogue) -> None:
    result = run(estate(tmp_path), catalogue)
    assert result.findings == ()
    assert HygieneAnalysis.order == 90


def test_personal_flow_without_counts(tmp_path: Path, catalogue: Catalogue) -> None:
    flow = {
        "id": "f",
        "from": "sh",
        "to": "use1",
        "data_categories": ["precise_geolocation", "health"],
    }
    found = rules(run(estate(tmp_path, data_flows=[flow]), catalogue))
    assert set(found) == {
        "flow-without-subjects",
        "flow-without-devices",
        "flow-without-subject-countries",
        "flow-without-start",
    }
    subjects = found["flow-without-subjects"]
    assert subjects.severity is Severity.LOW
    assert subjects.subject.field == "subjects"
    assert subjects.evidence["needed_by"] == ["transfers", "rules"]
    assert subjects.evidence["categories"] == ["health", "precise_geolocation"]
    assert found["flow-without-devices"].evidence["needed_by"] == ["transfers"]
    assert found["flow-without-start"].severity is Severity.LOW


def test_non_personal_flow_needs_no_counts(tmp_path: Path, catalogue: Catalogue) -> None:
    flow = {"id": "f", "from": "sh", "to": "use1", "data_categories": ["non_personal"]}
    (finding,) = run(estate(tmp_path, data_flows=[flow]), catalogue).findings
    assert finding.rule == "flow-without-start" and finding.severity is Severity.INFO


def test_system_without_site_owner_or_components(tmp_path: Path, catalogue: Catalogue) -> None:
    bare = {"id": "s", "name": "s", "purpose": "p"}
    found = rules(run(estate(tmp_path, systems=[bare]), catalogue))
    assert set(found) == {
        "system-without-site",
        "system-without-owner",
        "system-without-components",
        "system-without-user-countries",
    }
    assert "provenance" in found["system-without-site"].evidence["needed_by"]
    assert found["system-without-user-countries"].severity is Severity.INFO


def test_component_gaps(tmp_path: Path, catalogue: Catalogue) -> None:
    components = [
        {"id": "torch", "type": "framework", "name": "PyTorch", "purl": "pkg:pypi/torch"},
        {"id": "gpu", "type": "accelerator", "name": "NVIDIA H100", "vendor": "NVIDIA"},
        {"id": "tool", "type": "application", "name": "tool", "version": "1"},
        {"id": "rt", "type": "runtime", "name": "CUDA", "vendor": "NVIDIA", "version": "12"},
    ]
    result = run(estate(tmp_path, components=components), catalogue)
    found = {(f.rule, f.subject.id) for f in result.findings}
    assert found == {
        ("component-without-version", "torch"),
        ("component-without-origin", "tool"),
        ("component-without-package-id", "rt"),
    }
    version = next(f for f in result.findings if f.rule == "component-without-version")
    assert version.evidence["needed_by"] == ["vulnerabilities"]


def test_model_lineage_gaps(tmp_path: Path, catalogue: Catalogue) -> None:
    components = [
        TORCH,
        {
            "id": "ft",
            "type": "model",
            "name": "ft",
            "supplier_country": "US",
            "base_model_relation": "finetune",
        },
        {
            "id": "ft2",
            "type": "model",
            "name": "ft2",
            "supplier_country": "US",
            "base_models": ["Qwen/Qwen2.5-7B"],
        },
        {"id": "odd", "type": "model", "name": "odd", "hf_id": "nobody-knows/odd-7b"},
        {
            "id": "orphan",
            "type": "model",
            "name": "orphan",
            "supplier_country": "US",
            "base_models": ["nobody-knows/base"],
            "base_model_relation": "finetune",
        },
    ]
    result = run(estate(tmp_path, components=components), catalogue)
    found = {(f.rule, f.subject.id): f for f in result.findings}
    assert set(found) == {
        ("model-without-base", "ft"),
        ("model-without-relation", "ft2"),
        ("model-lineage-unknown", "odd"),
        ("model-lineage-unresolved", "orphan"),
    }
    assert found[("model-without-base", "ft")].severity is Severity.LOW
    assert found[("model-lineage-unresolved", "orphan")].evidence["chain"] == [
        "orphan",
        "nobody-knows/base",
    ]


def test_cloud_site_and_entity_gaps(tmp_path: Path, catalogue: Catalogue) -> None:
    sites = [SITE, CN_SITE, {"id": "c", "name": "c", "kind": "cloud_region", "country": "DE"}]
    entities = [
        {"id": "hq", "name": "HQ Inc.", "country": "US"},
        {"id": "sub", "name": "Sub GmbH", "country": "DE", "parent": "hq"},
    ]
    result = run(estate(tmp_path, sites=sites, entities=entities), catalogue)
    found = {(f.rule, f.subject.id) for f in result.findings}
    assert found == {("cloud-site-incomplete", "c"), ("entity-without-ownership", "sub")}


def test_demo_has_hygiene_findings(demo_estate: Path, catalogue: Catalogue) -> None:
    result = run(load_estate(demo_estate), catalogue)
    found = {(f.rule, f.subject.id) for f in result.findings}
    assert ("component-without-origin", "inspect-tool") in found
    assert ("component-without-version", "inspect-tool") in found
    assert all(f.severity in (Severity.LOW, Severity.INFO) for f in result.findings)
    assert all(f.evidence["needed_by"] for f in result.findings)
    tables = {t["title"]: t for t in result.summary["tables"]}
    assert set(tables) == {"Gaps by kind", "Gaps by the analysis that needs the fact"}
