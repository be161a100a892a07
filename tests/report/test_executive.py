"""Executive summary: risks grouped and ranked, and the comparison with a baseline report."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from tests.cli.helpers import run_cli

from stackrift.errors import InvalidInputError
from stackrift.findings import Finding, Severity, Subject, SubjectKind
from stackrift.report.executive import (
    ACTION_CHARS,
    compare_with_baseline,
    load_baseline,
    top_risks,
)
from stackrift.report.model import AnalysisSection, EstateIndex, EstateSummary, Report


def _finding(rule: str, severity: Severity, subject: Subject, *, analysis: str = "a",
             recommendation: str | None = None) -> Finding:
    return Finding(id=f"{analysis}:{rule}:{subject.id}", analysis=analysis, rule=rule,
                   severity=severity, title=f"{rule} on {subject.id}", subject=subject,
                   recommendation=recommendation)


def _report(findings: list[Finding], index: EstateIndex) -> Report:
    return Report("0", date(2026, 12, 3), "c", EstateSummary("e.yaml", "Org", {}),
                  (AnalysisSection("a", "A", tuple(sorted(findings, key=Finding.sort_key))),),
                  index=index)


def _component(ident: str) -> Subject:
    return Subject(kind=SubjectKind.COMPONENT, id=ident)


INDEX = EstateIndex(
    criticality={"pay": "critical", "wiki": "low", "hr": "medium"},
    systems_of={"component:lib": ("hr", "pay", "wiki"), "component:old": ("wiki",)})


def test_findings_of_one_kind_are_one_risk_with_the_systems_they_hit() -> None:
    report = _report([
        _finding("vuln", Severity.HIGH, _component("lib"), recommendation="Upgrade lib."),
        _finding("vuln", Severity.MEDIUM, _component("old")),
        _finding("note", Severity.INFO, _component("lib")),
    ], INDEX)
    (risk,) = top_risks(report)  # info is not a risk
    assert risk.severity is Severity.HIGH
    assert risk.systems == ("pay", "hr", "wiki")  # most critical first
    assert len(risk.finding_ids) == 2
    assert "and 1 more of this kind" in risk.headline and "3 systems hit" in risk.headline
    assert risk.sentence.endswith("— Upgrade lib.")


def test_ranked_by_severity_then_criticality_then_reach() -> None:
    pay = Subject(kind=SubjectKind.SYSTEM, id="pay")
    wiki = Subject(kind=SubjectKind.SYSTEM, id="wiki")
    report = _report([
        _finding("wiki-high", Severity.HIGH, wiki),
        _finding("pay-high", Severity.HIGH, pay),
        _finding("lib-medium", Severity.MEDIUM, _component("lib")),
        _finding("wiki-critical", Severity.CRITICAL, wiki),
    ], INDEX)
    assert [r.rule for r in top_risks(report)] == [
        "wiki-critical", "pay-high", "wiki-high", "lib-medium"]


def test_at_most_ten_risks_and_long_actions_cut_at_a_clause() -> None:
    long_action = "first do this; " * 30
    report = _report([_finding(f"rule-{i:02}", Severity.LOW, _component("old"),
                               recommendation=long_action) for i in range(14)], INDEX)
    risks = top_risks(report)
    assert len(risks) == 10
    assert risks[0].action == long_action
    assert len(risks[0].sentence) < len(risks[0].headline) + ACTION_CHARS + 10
    assert risks[0].sentence.endswith("first do this …")


def test_baseline_comparison_names_new_resolved_and_changed(tmp_path: Path) -> None:
    now = [_finding("x", Severity.HIGH, _component("lib")),
           _finding("y", Severity.LOW, _component("old"))]
    baseline = tmp_path / "before.json"
    baseline.write_text(json.dumps({"findings": [
        {"id": "a:y:old", "severity": "medium"}, {"id": "a:gone:lib", "severity": "high"}]}))
    changes = compare_with_baseline(now, load_baseline(baseline), str(baseline))
    assert changes.added == ("a:x:lib",)
    assert changes.resolved == ("a:gone:lib",)
    assert changes.changed == (("a:y:old", "medium", "low"),)


@pytest.mark.parametrize("text, problem", [
    ("not json", "not valid JSON"),
    ('{"findings": 3}', "no 'findings' list"),
    ('{"findings": [{"id": 1}]}', "findings[0]"),
])
def test_a_bad_baseline_is_a_located_error(tmp_path: Path, text: str, problem: str) -> None:
    baseline = tmp_path / "before.json"
    baseline.write_text(text)
    with pytest.raises(InvalidInputError) as raised:
        load_baseline(baseline)
    assert problem in "\n".join(raised.value.diagnostics())
    assert str(baseline) in "\n".join(raised.value.diagnostics())


def test_assess_with_a_baseline_reports_the_changes(tmp_path: Path, demo_estate: Path) -> None:
    before = tmp_path / "before.json"
    first = run_cli("assess", str(demo_estate), "--as-of", "2026-11-15", "-f", "json",
                    "-o", str(before))
    assert first.returncode == 1, first.stderr
    document = json.loads(before.read_text())
    dropped = document["findings"].pop(0)
    document["findings"].append({"id": "gone:finding", "severity": "high"})
    before.write_text(json.dumps(document))
    second = run_cli("assess", str(demo_estate), "--as-of", "2026-11-15", "-f", "json",
                     "--baseline", str(before))
    summary = json.loads(second.stdout)["executive_summary"]["baseline"]
    assert summary["added"] == [dropped["id"]] and summary["resolved"] == ["gone:finding"]
    markdown = run_cli("assess", str(demo_estate), "--as-of", "2026-11-15", "-f", "md",
                       "--baseline", str(before)).stdout
    assert "1 new, 1 resolved, 0 changed severity" in markdown
