"""The compliance analysis on the demo estate: obligations with citations, dates, undetermined
requirements reported (severity unknown, never dropped), and control status from a file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from stackrift.analyses.base import AnalysisContext
from stackrift.analyses.compliance import ComplianceAnalysis, ComplianceOptions
from stackrift.catalog.catalogue import load_catalogue
from stackrift.compliance.engine import Applicability
from stackrift.compliance.views import run_compliance
from stackrift.estate.loader import LoadedEstate, load_estate
from stackrift.findings import Finding, Severity

AS_OF = date(2026, 12, 4)

CONTROLS = """\
controls:
  - id: CAC-FILING
    satisfies: [cn-genai-measures:art17]
    systems: [cn-support-bot]
    evidence:
      - {location: "grc://cac/filing", last_tested: 2026-10-01}
  - id: MLPS-GRADING
    satisfies: [cn-mlps-l3:grading-filing]
    systems: [cn-support-bot]
  - id: LABELS
    satisfies: [cn-ai-labelling:explicit-label]
    status: partial
"""


@pytest.fixture(scope="module")
def demo(demo_estate: Path) -> LoadedEstate:
    return load_estate(demo_estate)


def _run(loaded: LoadedEstate, *options: object) -> dict[str, Finding]:
    context = AnalysisContext(as_of=AS_OF, catalogue=load_catalogue(), options=options)
    return {f.id: f for f in ComplianceAnalysis().run(loaded, context).findings}


def test_demo_obligations_severity_dates_and_citations(demo: LoadedEstate) -> None:
    findings = _run(demo)
    filing = findings["compliance:obligation:cn-support-bot:cn-genai-measures:art17"]
    assert filing.rule == "obligation-applies" and filing.severity is Severity.MEDIUM
    assert filing.citations and filing.evidence["kind"] == "filing"
    labels = findings["compliance:obligation:cn-support-bot:cn-ai-labelling:explicit-label"]
    assert labels.rule == "obligation-applies"
    # Annex III high-risk duties: postponed to 2027-12-02 by Regulation (EU) 2026/1744
    hr = findings["compliance:obligation:eu-hr-analytics:eu-ai-act:art49"]
    assert hr.rule == "obligation-future" and hr.severity is Severity.LOW
    assert hr.evidence["applies_from"] == "2027-12-02"
    assert any("2026/1744" in c.source for c in hr.citations)
    fraud = findings["compliance:framework-applies:us-fraud:nist-ai-rmf"]
    assert len(fraud.evidence["requirements"]) == 72 and fraud.severity is Severity.INFO


def test_undetermined_requirements_are_unknown_findings_never_dropped(
        demo: LoadedEstate) -> None:
    findings = _run(demo)
    undetermined = [f for f in findings.values() if f.rule == "obligation-undetermined"]
    binding = {"law", "mandatory_standard"}
    assert undetermined
    for finding in undetermined:
        # binding frameworks fail closed; an unknown adoption of a voluntary one is information
        expected_severity = (Severity.UNKNOWN if finding.evidence["binding"] in binding
                             else Severity.INFO)
        assert finding.severity is expected_severity, finding.id
    assert any(f.severity is Severity.UNKNOWN for f in undetermined)
    assert all(f.evidence["missing_facts"] for f in undetermined)
    listed = {(f.subject.id, r) for f in undetermined for r in f.evidence["requirements"]}
    outcome = run_compliance(demo.estate, AS_OF)
    expected = {(v.system_id, v.ref) for v in outcome.verdicts
                if v.status is Applicability.UNDETERMINED}
    assert expected and listed == expected


def test_controls_file_gives_met_partial_and_missing(demo: LoadedEstate,
                                                      tmp_path: Path) -> None:
    controls = tmp_path / "controls.yaml"
    controls.write_text(CONTROLS, encoding="utf-8")
    findings = _run(demo, ComplianceOptions(controls=controls))
    met = findings["compliance:obligation:cn-support-bot:cn-genai-measures:art17"]
    assert met.rule == "obligation-met" and met.severity is Severity.INFO
    assert met.evidence["evidence"] == ["grc://cac/filing"]
    partial = findings["compliance:obligation:cn-support-bot:cn-ai-labelling:explicit-label"]
    assert partial.rule == "obligation-partial"
    # a control scoped to one system meets nothing elsewhere, and missing a binding filing
    # weighs more than not knowing (medium -> high)
    assert findings["compliance:obligation:cn-support-bot:cn-mlps-l3:grading-filing"].rule \
        == "obligation-met"
    other = findings["compliance:obligation:cn-vision-qc:cn-mlps-l3:grading-filing"]
    assert other.rule == "obligation-missing" and other.severity is Severity.HIGH


def test_summary_has_tables_and_the_plan_with_controls(demo: LoadedEstate,
                                                       tmp_path: Path) -> None:
    controls = tmp_path / "controls.yaml"
    controls.write_text(CONTROLS, encoding="utf-8")
    context = AnalysisContext(as_of=AS_OF, catalogue=load_catalogue(),
                              options=(ComplianceOptions(controls=controls),))
    summary = ComplianceAnalysis().run(demo, context).summary
    titles = [t["title"] for t in summary["tables"]]
    assert titles[0] == "Obligations per system and jurisdiction"
    assert any(t.startswith("Control plan: joint cost") for t in titles)
    # without an OSCAL folder the SP 800-53 titles were not read: said, not hidden
    assert summary["caveats"] and "OSCAL" in summary["caveats"][0]
    assert "Not looked at" in titles
