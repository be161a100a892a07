"""OSCAL exports load with compliance-trestle's models and pass all of its validators."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from trestle.core.validator_factory import validator_factory
from trestle.oscal.assessment_results import AssessmentResults
from trestle.oscal.poam import PlanOfActionAndMilestones

from stackrift.compliance.engine import Applicability
from stackrift.compliance.oscal_export import assessment_results, plan_of_action, target_token
from stackrift.compliance.views import ComplianceOutcome, run_compliance
from stackrift.estate.loader import load_estate

from .helpers import DATA

AS_OF = date(2026, 12, 4)
TOKEN = re.compile(r"^[_A-Za-z][_A-Za-z0-9.\-]*$")


def _outcome(demo: Path, controls: Path | None) -> ComplianceOutcome:
    return run_compliance(load_estate(demo).estate, AS_OF, controls=controls,
                          with_plan=controls is not None)


@pytest.fixture(scope="module")
def with_controls(demo_estate: Path) -> ComplianceOutcome:
    return _outcome(demo_estate, DATA / "demo-controls.yaml")


def _valid(model: Any) -> None:
    # every validator trestle registers (duplicates, references, links, ...), as `trestle validate`
    validators = [v for v in validator_factory.get_all() if type(v).__name__ != "AllValidator"]
    assert len(validators) >= 4
    for validator in validators:
        assert validator.model_is_valid(model, True, None), validator.error_msg()


def _findings(document: dict[str, Any]) -> list[dict[str, Any]]:
    return list(document["assessment-results"]["results"][0]["findings"])


def _prop(finding: dict[str, Any], name: str) -> list[str]:
    return [p["value"] for p in finding["props"] if p["name"] == name]


def test_assessment_results_validate_with_trestle(with_controls: ComplianceOutcome) -> None:
    document = assessment_results(with_controls, estate_name="estate.yaml", as_of=AS_OF)
    # through JSON, as a user's tool would read the file
    model = AssessmentResults.model_validate(json.loads(json.dumps(document))[
        "assessment-results"])
    _valid(model)
    reported = [v for v in with_controls.verdicts
                if v.in_scope or v.status is Applicability.UNDETERMINED]
    findings = _findings(document)
    assert len(findings) == len(reported) == len(model.results[0].findings or [])
    keys = {(_prop(f, "system")[0], _prop(f, "requirement")[0]) for f in findings}
    assert keys == {(v.system_id, v.ref) for v in reported}  # one finding per obligation
    assert len({f["uuid"] for f in findings}) == len(findings)


def test_finding_states_never_claim_what_was_not_assessed(
        with_controls: ComplianceOutcome, demo_estate: Path) -> None:
    findings = _findings(assessment_results(with_controls, estate_name="e", as_of=AS_OF))
    by_key = {(_prop(f, "system")[0], _prop(f, "requirement")[0]): f for f in findings}
    met = by_key[("cn-support-bot", "cn-genai-measures:art17")]
    assert met["target"]["status"] == {"state": "satisfied", "reason": "pass"}
    assert _prop(met, "met-by") == ["CAC-FILING"]
    undetermined = next(f for f in findings if _prop(f, "applicability") == ["undetermined"])
    assert undetermined["target"]["status"]["state"] == "not-satisfied"
    assert _prop(undetermined, "missing-fact")
    assert all(TOKEN.match(f["target"]["target-id"]) for f in findings)
    # without controls nothing is satisfied: applicability alone assesses nothing
    bare = assessment_results(_outcome(demo_estate, None), estate_name="e", as_of=AS_OF)
    assert {f["target"]["status"]["state"] for f in _findings(bare)} == {"not-satisfied"}
    _valid(AssessmentResults.model_validate(bare["assessment-results"]))


def test_assessment_results_are_deterministic(with_controls: ComplianceOutcome) -> None:
    first = assessment_results(with_controls, estate_name="e", as_of=AS_OF)
    assert first == assessment_results(with_controls, estate_name="e", as_of=AS_OF)
    assert first["assessment-results"]["metadata"]["last-modified"] == "2026-12-04T00:00:00Z"


def test_plan_of_action_validates_and_links_controls_to_findings(
        with_controls: ComplianceOutcome) -> None:
    document = plan_of_action(with_controls, estate_name="estate.yaml", as_of=AS_OF)
    model = PlanOfActionAndMilestones.model_validate(document["plan-of-action-and-milestones"])
    _valid(model)
    poam = document["plan-of-action-and-milestones"]
    finding_ids = {f["uuid"] for f in poam["findings"]}
    assert with_controls.plan is not None
    chosen = {c.control_id for c in with_controls.plan.joint.chosen}
    items = {i["title"]: i for i in poam["poam-items"]}
    for control in chosen:
        item = items[f"Put control {control} in place"]
        related = {r["finding-uuid"] for r in item["related-findings"]}
        assert related and related <= finding_ids
    gaps = [i for i in poam["poam-items"] if i["title"].endswith("is not covered by the plan")]
    assert len(gaps) == len(with_controls.plan.joint.uncovered) + len(
        with_controls.plan.undetermined)


def test_target_tokens() -> None:
    assert target_token("eu-ai-act:art9") == "eu-ai-act_art9"
    assert target_token("cn-x:art5(1)(a)") == "cn-x_art5-1--a-"
    assert target_token("42-policy:r1") == "_42-policy_r1"


def test_the_validators_reject_a_broken_document(with_controls: ComplianceOutcome) -> None:
    """The validation above can fail: two findings with one UUID are refused."""
    document = assessment_results(with_controls, estate_name="e", as_of=AS_OF)
    findings = _findings(document)
    findings[1]["uuid"] = findings[0]["uuid"]
    document["assessment-results"]["results"][0]["findings"] = findings
    model = AssessmentResults.model_validate(document["assessment-results"])
    assert not all(v.model_is_valid(model, True, None) for v in validator_factory.get_all())
