"""Facts from the demo estate: keys the user did not write stay unknown."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackrift.compliance.estate_facts import estate_facts
from stackrift.compliance.model import AiRole, HighRiskRoute, RiskClass
from stackrift.errors import InvalidInputError
from stackrift.estate.loader import load_estate

HEAD = "schema_version: 1\norganisation: {name: O, hq_country: KR}\n"


def test_demo_estate_facts(demo_estate: Path) -> None:
    estate = load_estate(demo_estate).estate
    by_id = {f.system_id: f for f in estate_facts(estate, {"us-fraud": {"cii": False}})}
    bot = by_id["cn-support-bot"]
    assert bot.users_in == frozenset({"CN"}) and bot.sites_in == frozenset({"CN"})
    assert bot.generative is True and bot.public_facing is True
    assert bot.risk_class is RiskClass.NOT_IN_SCOPE
    fraud = by_id["us-fraud"]
    assert fraud.risk_class is RiskClass.HIGH and fraud.sector == "finance"
    assert fraud.generative is None  # not written in the estate: unknown, not "no"
    assert fraud.roles == frozenset({AiRole.DEPLOYER})  # the estate's optional ai_roles
    assert fraud.cii is False  # extra overrides or adds facts
    assert fraud.federal is None and fraud.adopted_frameworks is None  # not written: unknown
    assert bot.opinion_influence is True and bot.roles == frozenset({AiRole.PROVIDER})
    assert by_id["eu-hr-analytics"].high_risk_route is HighRiskRoute.ANNEX_III


def test_obligation_facts_from_estate_fields_and_absent_stays_unknown(tmp_path: Path) -> None:
    path = tmp_path / "estate.yaml"
    path.write_text(
        HEAD + "entities:\n  - {id: e1, name: E, country: KR}\nsystems:\n"
        "  - id: s1\n    name: S\n    purpose: p\n    owner: e1\n    users_countries: [KR]\n"
        "    high_impact: true\n    frontier_compute: false\n    recommender: true\n"
        "    gpai_provider: false\n    consequential_decisions: true\n"
        "  - {id: s2, name: T, purpose: p, owner: e1}\n", encoding="utf-8")
    facts = {f.system_id: f for f in estate_facts(load_estate(path).estate)}
    s1, s2 = facts["s1"], facts["s2"]
    assert (s1.high_impact, s1.frontier_compute, s1.recommender, s1.gpai_provider,
            s1.consequential_decisions) == (True, False, True, False, True)
    assert (s2.high_impact, s2.frontier_compute, s2.recommender, s2.gpai_provider,
            s2.consequential_decisions) == (None, None, None, None, None)


def test_obligation_fact_of_the_wrong_type_is_located(tmp_path: Path) -> None:
    path = tmp_path / "estate.yaml"
    path.write_text(HEAD + "systems:\n  - id: s1\n    name: S\n    purpose: p\n"
                    "    recommender: sometimes\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"estate.yaml:7:18: .*recommender"):
        load_estate(path)


def test_estate_fields_decide_korean_high_impact_duties(tmp_path: Path) -> None:
    from datetime import date

    from stackrift.compliance.engine import Applicability, evaluate_systems

    from .helpers import packaged

    path = tmp_path / "estate.yaml"
    path.write_text(
        HEAD + "systems:\n  - {id: s1, name: S, purpose: p, users_countries: [KR], "
        "high_impact: true}\n  - {id: s2, name: T, purpose: p, users_countries: [KR], "
        "high_impact: false}\n  - {id: s3, name: U, purpose: p, users_countries: [KR]}\n",
        encoding="utf-8")
    verdicts = evaluate_systems(packaged(), estate_facts(load_estate(path).estate),
                                date(2026, 12, 4))
    status = {v.system_id: v.status for v in verdicts
              if v.ref == "kr-ai-basic-act:art34-high-impact"}
    assert status == {"s1": Applicability.APPLIES, "s2": Applicability.NOT_APPLICABLE,
                      "s3": Applicability.UNDETERMINED}
