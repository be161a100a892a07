"""The transfers and rules commands and the two analyses, on the demo estate."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from tests.cli.helpers import run_cli

from stackrift.catalog.catalogue import load_catalogue
from stackrift.estate.loader import load_estate
from stackrift.findings import Severity
from stackrift.pipeline import assess
from stackrift.report.model import Report

AS_OF = "2026-11-29"
SEVEN = {"conflict.cn-us.blocking-vs-cloud-act", "conflict.eu-us.art48-vs-cloud-act",
         "conflict.us-cn.mirror-image", "conflict.us.padfa-vs-doj",
         "conflict.localisation-vs-central-pipeline", "conflict.vulnerability-reporting-cra",
         "conflict.content-labelling"}


@pytest.fixture(scope="module")
def demo_json(demo_estate: Path) -> dict[str, object]:
    result = run_cli("transfers", str(demo_estate), "--as-of", AS_OF, "--format", "json")
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_every_demo_flow_has_a_verdict_with_citations(demo_json: dict[str, object],
                                                      demo_estate: Path) -> None:
    every = demo_json["flows"]
    assert isinstance(every, list)
    # Flows implied by systems' users (users_countries) are listed too, marked by their id.
    flows = [f for f in every if not f["id"].startswith("implied:")]
    assert len(every) > len(flows) and all(f["verdict"] for f in every)
    assert len(flows) == len(load_estate(demo_estate).estate.data_flows) == 13
    for item in flows:
        assert set(item) >= {"id", "verdict", "regimes", "mechanisms_required", "obligations",
                             "rules_fired", "citations", "trace"}
        assert item["verdict"] in {"allowed", "allowed_with", "prohibited", "not_applicable"}
        assert item["citations"] and all(c["source"] and c["in_force_from"]
                                         for c in item["citations"])
        assert item["trace"]
    by_id = {f["id"]: f for f in flows}
    assert by_id["us-audience-to-adreach"]["verdict"] == "prohibited"
    assert by_id["eu-customers-to-northwind"]["verdict"] == "allowed"
    assert by_id["cn-tickets-to-rag"]["mechanisms_missing"][0] == "cac_security_assessment"


def test_demo_json_has_matrix_sources_disclaimer_and_seven_conflicts(
        demo_json: dict[str, object]) -> None:
    assert "Not legal advice" in str(demo_json["disclaimer"])
    matrix = demo_json["matrix"]
    assert isinstance(matrix, dict)
    # Declared flows leave CN, DE, SG and US; implied users' data adds FR, ID, MY and NL.
    assert matrix["origins"] == ["CN", "DE", "FR", "ID", "MY", "NL", "SG", "US"]
    assert "prohibited" in matrix["cells"][matrix["origins"].index("US")][0]
    assert {s["pack"] for s in demo_json["sources"]} >= {"cn", "us", "eu", "conflicts"}
    conflicts = demo_json["conflicts"]
    assert {c["id"] for c in conflicts} >= SEVEN
    for conflict in conflicts:
        assert len(conflict["sides"]) == 2 and all(s["citation"]["source"]
                                                   for s in conflict["sides"])
        assert conflict["related"] and conflict["resolutions"]


def test_transfers_terminal_prints_matrix_and_disclaimer(demo_estate: Path) -> None:
    result = run_cli("transfers", str(demo_estate), "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    assert "Origin × destination" in result.stdout
    assert "us-ids-to-annotation" in result.stdout and "prohibited" in result.stdout
    assert "Not legal advice" in result.stdout
    assert "202.401; 202.248" in result.stdout


def test_rules_list_json_has_45_cited_rules() -> None:
    result = run_cli("rules", "list", "--json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert len(data["rules"]) >= 45
    assert all(r["citation"] and r["in_force_from"] for r in data["rules"])
    assert {r["confidence"] for r in data["rules"]} == {"verified", "unverified"}


def test_rules_list_terminal_shows_sources_and_disclaimer() -> None:
    result = run_cli("rules", "list")
    assert result.returncode == 0
    assert "cn.cac.7.nonsensitive-1m" in result.stdout and "2024-03-22" in result.stdout
    assert "Not legal advice" in result.stdout


def test_assess_with_a_broken_rules_folder_exits_2(tmp_path: Path, demo_estate: Path) -> None:
    (tmp_path / "bad.yaml").write_text("pack: x\ntitle: X\nregime: X\nversion: '1'\n"
                                       "rules: [{id: x.1}]\n", encoding="utf-8")
    result = run_cli("assess", str(demo_estate), "--rules", str(tmp_path), "-a", "transfers")
    assert result.returncode == 2
    assert f"{tmp_path / 'bad.yaml'}:5:9: missing required key 'title'" in result.stderr


def test_rules_show_and_unknown_id() -> None:
    shown = run_cli("rules", "show", "us.doj.401.restricted")
    assert shown.returncode == 0
    record = json.loads(shown.stdout)
    assert record["if_missing"] == "prohibited" and record["in_force_from"] == "2025-04-08"
    missing = run_cli("rules", "show", "us.doj.401.restricte")
    assert missing.returncode == 2
    assert "did you mean us.doj.401.restricted" in missing.stderr


@pytest.fixture(scope="module")
def report(demo_estate: Path) -> Report:
    from stackrift.analyses.base import AnalysisContext

    context = AnalysisContext(as_of=date.fromisoformat(AS_OF), catalogue=load_catalogue())
    return assess(load_estate(demo_estate), context,
                  only=frozenset({"transfers", "conflicts"}))


def test_assess_has_transfers_heatmap_and_findings(report: Report) -> None:
    section = next(s for s in report.sections if s.name == "transfers")
    chart = section.summary["charts"][0]
    assert chart["kind"] == "heatmap"
    assert len(chart["values"]) == len(chart["y_labels"]) == len(chart["cells"])
    severities = {f.subject.id: f.severity for f in section.findings
                  if f.rule in {"prohibited-flow", "missing-mechanism"}}
    assert severities["us-audience-to-adreach"] is Severity.CRITICAL
    assert severities["us-ids-to-annotation"] is Severity.HIGH
    assert severities["us-telematics-to-cn"] is Severity.MEDIUM  # unverified intra-group reading
    assert severities["eu-customers-to-brightline"] is Severity.HIGH
    assert "eu-customers-to-northwind" not in severities
    assert all(f.citations for f in section.findings if f.subject.kind.value == "data_flow")


def test_assess_has_conflicts_table_with_both_citations(report: Report) -> None:
    section = next(s for s in report.sections if s.name == "conflicts")
    assert {f.rule for f in section.findings} >= SEVEN
    table = section.summary["tables"][0]
    assert table["columns"][3:5] == ["citation (side 1)", "citation (side 2)"]
    assert all(row[3] and row[4] for row in table["rows"])
    for finding in section.findings:
        assert len(finding.citations) == 2 and finding.related and finding.recommendation


def test_transfers_on_an_estate_without_flows(tmp_path: Path) -> None:
    path = tmp_path / "estate.yaml"
    path.write_text("organisation: {name: Solo, hq_country: US}\n", encoding="utf-8")
    result = run_cli("transfers", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["flows"] == [] and data["matrix"] == {"origins": [], "destinations": [],
                                                      "cells": []}
