"""Facts from the demo estate: keys the user did not write stay unknown."""

from __future__ import annotations

from pathlib import Path

from stackrift.compliance.estate_facts import estate_facts
from stackrift.compliance.model import AiRole, HighRiskRoute, RiskClass
from stackrift.estate.loader import load_estate


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
