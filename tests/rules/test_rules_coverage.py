"""Every packaged rule is exercised by some scenario, and each one starts (and stops) firing exactly
on its in-force dates."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, NamedTuple

import pytest
from tests.rules.rules_helpers import estate, flow
from tests.rules.test_rules_scenarios import SCENARIOS

from stackrift.estate.model import Estate
from stackrift.rules.engine import (
    RuleSet,
    evaluate_estate,
    evaluate_sites,
    evaluate_systems,
    load_rule_set,
)
from stackrift.rules.model import Rule, Scope

AS_OF = date(2026, 11, 29)


class Case(NamedTuple):
    name: str
    scope: Scope
    estate: Estate
    subject: str


COMPONENTS = [
    {"id": "h100", "type": "accelerator", "name": "NVIDIA H100", "vendor": "NVIDIA",
     "product": "H100"},
    {"id": "h20", "type": "accelerator", "name": "NVIDIA H20", "vendor": "NVIDIA",
     "product": "H20"},
    {"id": "ascend", "type": "accelerator", "name": "Ascend 910B", "vendor": "Huawei",
     "product": "Ascend 910B"},
]
SYSTEMS: list[dict[str, Any]] = [
    {"id": "cn-public-bot", "name": "Bot", "purpose": "Public chat service", "site": "cn-dc",
     "owner": "cn-sub", "generative": True, "public_facing": True, "users_countries": ["CN"],
     "components": ["ascend"]},
    {"id": "cn-h100", "name": "Trainer", "purpose": "Training", "site": "cn-dc",
     "components": ["h100"]},
    {"id": "cn-h20", "name": "Inference", "purpose": "Inference", "site": "cn-dc",
     "components": ["h20"]},
    {"id": "eu-gpai", "name": "Model", "purpose": "Foundation model", "ai_act_risk": "gpai",
     "generative": True, "users_countries": ["DE"], "training_compute_ops": 2.0e26},
    {"id": "cn-lab", "name": "Lab model", "purpose": "Foundation model research",
     "owner": "cn-sub", "site": "cn-dc", "generative": True, "training_compute_ops": 3.0e25},
    {"id": "eu-high", "name": "Safety", "purpose": "Machine safety controller",
     "ai_act_risk": "high", "criticality": "high", "users_countries": ["DE"]},
    {"id": "eu-banned", "name": "Scoring", "purpose": "Social scoring",
     "ai_act_risk": "prohibited", "users_countries": ["FR"]},
    {"id": "mo-h100", "name": "Macau trainer", "purpose": "Training", "site": "mo-dc",
     "components": ["h100"]},
    {"id": "kh-h100", "name": "Phnom Penh trainer", "purpose": "Training", "site": "kh-dc",
     "components": ["h100"]},
]
SITES = [{"id": "aws-fra", "name": "AWS Frankfurt", "kind": "cloud_region", "country": "DE",
          "provider": "Amazon Web Services"},
         {"id": "ftz", "name": "Lingang", "kind": "on_prem", "country": "CN", "entity": "cn-sub",
          "free_trade_zone": "Lingang Special Area"},
         {"id": "vn-us", "name": "HCMC office", "kind": "on_prem", "country": "VN",
          "entity": "us-hq"},
         {"id": "in-sdf-dc", "name": "Bengaluru DC", "kind": "on_prem", "country": "IN",
          "entity": "in-sdf"},
         {"id": "mo-dc", "name": "Macau DC", "kind": "on_prem", "country": "MO"},
         {"id": "kh-dc", "name": "Phnom Penh DC", "kind": "on_prem", "country": "KH"}]
ENTITIES = [{"id": "in-sdf", "name": "Big Platform Pvt", "country": "IN",
             "relationship": "partner", "significant_data_fiduciary": True},
            {"id": "kr-vendor", "name": "Seoul Co.", "country": "KR", "relationship": "vendor"},
            {"id": "epo", "name": "European Patent Organisation", "country": "DE",
             "relationship": "customer"}]
EXTRA_FLOWS = [
    flow("ftz-export", "ftz", "us-dc", ["personal"], subjects=10, subjects_countries=["CN"]),
    flow("gov-data", "us-dc", "cn-vendor", ["government_related"], subjects=5,
         subjects_countries=["US"], transfer_kind="vendor_agreement"),
    flow("sdf-export", "in-sdf-dc", "us-dc", ["personal"], subjects=10),
    flow("vn-foreign", "vn-us", "sg-dc", ["personal"], subjects=10),
    flow("de-kr", "de-dc", "kr-vendor", ["personal"], subjects=10),
    flow("de-epo", "de-dc", "epo", ["personal"], subjects=10),
]


def cases() -> list[Case]:
    found = [Case(s.name, Scope.FLOW, estate(s.spec), "f") for s in SCENARIOS]
    found += [Case(f["id"], Scope.FLOW, estate(f, sites=SITES, entities=ENTITIES), f["id"])
              for f in EXTRA_FLOWS]
    systems = estate(systems=SYSTEMS, components=COMPONENTS, sites=SITES, entities=ENTITIES)
    found += [Case(s["id"], Scope.SYSTEM, systems, s["id"]) for s in SYSTEMS]
    found.append(Case("aws-fra", Scope.SITE, systems, "aws-fra"))
    return found


CASES = cases()


def outcome(rules: RuleSet, case: Case, rule_id: str, day: date) -> str:
    """'fired', 'superseded', 'undetermined' or 'silent' for one rule on one case and day."""
    if case.scope is Scope.FLOW:
        verdicts: tuple[Any, ...] = evaluate_estate(case.estate, day, rules)
        v = next(x for x in verdicts if x.flow_id == case.subject)
    else:
        evaluate = evaluate_systems if case.scope is Scope.SYSTEM else evaluate_sites
        v = next(x for x in evaluate(case.estate, day, rules) if x.subject_id == case.subject)
    if rule_id in v.rules_fired:
        return "fired"
    if any(line.startswith(f"{rule_id} fired but is superseded") for line in v.trace):
        return "superseded"
    return "undetermined" if rule_id in v.rules_undetermined else "silent"


def probe_day(rule: Rule) -> date:
    return AS_OF if rule.in_force(AS_OF) else rule.in_force_from


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rule_set()


@pytest.fixture(scope="module")
def exercising(rules: RuleSet) -> dict[str, Case]:
    """For each rule, the first case on which it is not silent on a day it is in force."""
    found: dict[str, Case] = {}
    for case in CASES:
        for rule in rules.rules:
            if rule.id not in found and rule.scope is case.scope and \
                    outcome(rules, case, rule.id, probe_day(rule)) != "silent":
                found[rule.id] = case
    return found


def test_every_packaged_rule_is_exercised(rules: RuleSet, exercising: dict[str, Case]) -> None:
    missing = sorted(r.id for r in rules.rules if r.id not in exercising)
    assert not missing


RULE_IDS = [r.id for r in load_rule_set().rules]


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_is_silent_outside_its_in_force_dates(rules: RuleSet, exercising: dict[str, Case],
                                                   rule_id: str) -> None:
    rule = rules.rule(rule_id)
    assert rule is not None
    case = exercising[rule_id]
    one_day = timedelta(days=1)
    assert outcome(rules, case, rule_id, rule.in_force_from - one_day) == "silent"
    assert outcome(rules, case, rule_id, rule.in_force_from) != "silent"
    if rule.in_force_until is not None:
        assert outcome(rules, case, rule_id, rule.in_force_until) != "silent"
        assert outcome(rules, case, rule_id, rule.in_force_until + one_day) == "silent"
