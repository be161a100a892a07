"""What an estate file says about each system, as :class:`SystemFacts` (unknown stays unknown).

The estate gives defaults (``public_facing: false``) for keys a user did not write; only keys the
user wrote count as known here, so a missing key gives *undetermined* verdicts that name it rather
than a silent "not applicable". The facts only obligations need (AI role, sector, CII, MLPS
level, adopted frameworks, GPAI provider, high impact, frontier compute, recommender,
consequential decisions) are optional fields of a system; ``extra`` overrides any of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from stackrift.compliance.conditions import SystemFacts
from stackrift.compliance.model import AiRole, HighRiskRoute, RiskClass
from stackrift.estate.model import AIActRisk, Estate, System

# Art 51(2) AI Act: a general-purpose model trained with more than 10^25 operations is presumed
# to have systemic risk. Below it the Commission may still designate one, so below is unknown.
SYSTEMIC_RISK_OPS = 1e25

_RISK = {AIActRisk.PROHIBITED: RiskClass.PROHIBITED, AIActRisk.HIGH: RiskClass.HIGH,
         AIActRisk.LIMITED: RiskClass.LIMITED, AIActRisk.MINIMAL: RiskClass.MINIMAL,
         AIActRisk.NOT_IN_SCOPE: RiskClass.NOT_IN_SCOPE}


def _written(system: System, name: str) -> Any:
    return getattr(system, name) if name in system.model_fields_set else None


def system_facts(estate: Estate, system: System) -> SystemFacts:
    site = next((s for s in estate.sites if s.id == system.site), None) if system.site else None
    compute = system.training_compute_ops
    return SystemFacts(
        system_id=system.id,
        users_in=frozenset(system.users_countries) or None,
        sites_in=frozenset({site.country}) if site is not None else None,
        risk_class=_RISK.get(system.ai_act_risk),
        generative=_written(system, "generative"),
        public_facing=_written(system, "public_facing"),
        systemic_risk=True if compute is not None and compute > SYSTEMIC_RISK_OPS else None,
        roles=None if system.ai_roles is None else frozenset(
            AiRole(r.value) for r in system.ai_roles),
        high_risk_route=None if system.high_risk_route is None else HighRiskRoute(
            system.high_risk_route.value),
        interacts_with_people=system.interacts_with_people,
        opinion_influence=system.opinion_influence,
        federal=system.federal, cii=system.cii, sector=system.sector,
        mlps_level=system.mlps_level,
        adopted_frameworks=None if system.adopted_frameworks is None else frozenset(
            system.adopted_frameworks),
        gpai_provider=system.gpai_provider, high_impact=system.high_impact,
        frontier_compute=system.frontier_compute, recommender=system.recommender,
        consequential_decisions=system.consequential_decisions,
    )


def estate_facts(estate: Estate, extra: Mapping[str, Mapping[str, Any]] | None = None
                 ) -> tuple[SystemFacts, ...]:
    """Facts for every system; ``extra[system_id]`` sets further fields of its facts."""
    out = []
    for system in estate.systems:
        facts = system_facts(estate, system)
        if extra and system.id in extra:
            facts = replace(facts, **dict(extra[system.id]))
        out.append(facts)
    return tuple(out)
