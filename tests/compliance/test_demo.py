"""The demo estate end to end: facts, obligations with citations, and the joint control plan."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from stackrift.compliance.cover import PlanStatus, plan_controls
from stackrift.compliance.engine import (
    Applicability,
    ObligationVerdict,
    evaluate_systems,
    implications,
)
from stackrift.compliance.estate_facts import estate_facts
from stackrift.compliance.loader import load_controls
from stackrift.compliance.model import AiRole, HighRiskRoute
from stackrift.estate.loader import load_estate

from .helpers import DATA, packaged

# what the estate file does not say yet, stated by the user
EXTRA: dict[str, dict[str, Any]] = {
    "cn-support-bot": {"opinion_influence": True, "roles": frozenset({AiRole.PROVIDER})},
    "eu-hr-analytics": {"roles": frozenset({AiRole.PROVIDER}),
                        "high_risk_route": HighRiskRoute.ANNEX_III},
    "us-fraud": {"roles": frozenset({AiRole.DEPLOYER})},
}


def _verdicts(demo_estate: Path, as_of: date) -> tuple[ObligationVerdict, ...]:
    estate = load_estate(demo_estate).estate
    facts = [f for f in estate_facts(estate, EXTRA) if f.system_id in EXTRA]
    return evaluate_systems(packaged(), facts, as_of)


def test_demo_obligations_with_citations(demo_estate: Path) -> None:
    verdicts = {(v.system_id, v.ref): v for v in _verdicts(demo_estate, date(2026, 12, 4))}
    bot_filing = verdicts[("cn-support-bot", "cn-genai-measures:art17")]
    assert bot_filing.status is Applicability.APPLIES and bot_filing.citations
    assert verdicts[("cn-support-bot", "cn-ai-labelling:explicit-label")].status \
        is Applicability.APPLIES
    hr = verdicts[("eu-hr-analytics", "eu-ai-act:art49")]
    assert hr.status is Applicability.FUTURE and hr.applies_from == date(2027, 12, 2)
    assert any("2026/1744" in c.source for c in hr.citations)
    fraud = [v for (s, _), v in verdicts.items() if s == "us-fraud"
             and v.framework_id == "nist-ai-rmf" and v.status is Applicability.APPLIES]
    assert len(fraud) == 72


def test_demo_joint_plan_is_smaller_than_per_framework_plans(demo_estate: Path) -> None:
    lib = packaged()
    verdicts = _verdicts(demo_estate, date(2026, 12, 4))
    catalogue = load_controls(DATA / "demo-controls.yaml", lib)
    comparison = plan_controls(verdicts, catalogue, implications(lib))
    joint = comparison.joint
    assert joint.status is PlanStatus.OPTIMAL
    # one shared risk process (5) instead of EU (3) + NIST (3) + TC260 (2) separately
    assert "AI-RISK-PROCESS" in joint.control_ids
    assert {"EU-RISK-ONLY", "NIST-RISK-ONLY", "TC260-GRADING"}.isdisjoint(joint.control_ids)
    assert comparison.saving == comparison.separate_cost - joint.cost > 0
    assert joint.uncovered  # most demo obligations have no declared control: they are named
    assert comparison.all_optimal
    # facts the demo does not give (e.g. whether us-fraud is generative) are listed, not dropped
    assert ("us-fraud", "eu-ai-act:art50-4") in comparison.undetermined
