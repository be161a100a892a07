"""A rule not yet or no longer in force does not fire: every in-force boundary, both sides."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from tests.rules.rules_helpers import estate, flow

from stackrift.rules.engine import (
    RuleSet,
    detect_conflicts,
    evaluate_estate,
    evaluate_systems,
    load_rule_set,
)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rule_set()


def fired(rules: RuleSet, spec: dict[str, Any], day: str, **kw: Any) -> tuple[str, ...]:
    return evaluate_estate(estate(spec, **kw), date.fromisoformat(day), rules)[0].rules_fired


def system_fired(rules: RuleSet, system: dict[str, Any], day: str) -> tuple[str, ...]:
    return evaluate_systems(estate(systems=[system]), date.fromisoformat(day), rules)[0].rules_fired


CN_90K = flow("f", "cn-dc", "us-dc", ["personal"], subjects=90_000, subjects_countries=["CN"])
US_VENDOR = flow("f", "us-dc", "cn-vendor", ["covered_personal_identifiers"], subjects=150_000,
                 subjects_countries=["US"], transfer_kind="vendor_agreement")
US_BROKER = flow("f", "us-dc", "cn-vendor", ["precise_geolocation"], subjects=5, devices=5,
                 subjects_countries=["US"], transfer_kind="data_brokerage")


def eu_to(country: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    entity = {"id": "dest", "name": "Recipient", "country": country, "relationship": "vendor"}
    return flow("f", "de-dc", "dest", ["personal"], subjects=10), [entity]


@pytest.mark.parametrize(("spec", "rule", "before", "from_day"), [
    (CN_90K, "cn.cac.5.under-100k", "2024-03-21", "2024-03-22"),
    (CN_90K, "cn.pipl.38.mechanism", "2021-10-31", "2021-11-01"),
    (US_VENDOR, "us.doj.401.restricted", "2025-04-07", "2025-04-08"),
    (US_VENDOR, "us.doj.1001.compliance-programme", "2025-10-05", "2025-10-06"),
    (US_BROKER, "us.padfa.sale-to-adversary", "2024-06-22", "2024-06-23"),
])
def test_flow_rule_starts_on_its_day(rules: RuleSet, spec: dict[str, Any], rule: str,
                                     before: str, from_day: str) -> None:
    assert rule not in fired(rules, spec, before)
    assert rule in fired(rules, spec, from_day)


def test_before_the_cac_provisions_the_2023_contract_tier_applies(rules: RuleSet) -> None:
    ids = fired(rules, CN_90K, "2024-03-21")
    assert "cn.scc-measures-2023.4.contract-tier" in ids
    assert not any(i.startswith("cn.cac.") for i in ids)
    # Before the standard-contract measures only PIPL Art 38 itself applied.
    assert "cn.pipl.38.mechanism" in fired(rules, CN_90K, "2023-05-31")


@pytest.mark.parametrize(("country", "rule", "before", "from_day"), [
    ("BR", "eu.gdpr.45.brazil", "2026-01-25", "2026-01-26"),
    ("KR", "eu.gdpr.45.korea", "2021-12-16", "2021-12-17"),
    ("JP", "eu.gdpr.45.japan", "2019-01-22", "2019-01-23"),
    ("GB", "eu.gdpr.45.uk-2025", "2025-12-18", "2025-12-19"),
])
def test_adequacy_decisions_start_on_their_dates(rules: RuleSet, country: str, rule: str,
                                                 before: str, from_day: str) -> None:
    spec, entities = eu_to(country)
    earlier = fired(rules, spec, before, entities=entities)
    assert rule not in earlier
    later = fired(rules, spec, from_day, entities=entities)
    assert rule in later and "eu.gdpr.46.safeguards" not in later


def test_brazil_needs_sccs_the_day_before_adequacy(rules: RuleSet) -> None:
    spec, entities = eu_to("BR")
    assert fired(rules, spec, "2026-01-25", entities=entities) == ("eu.gdpr.46.safeguards",)


def test_uk_decisions_hand_over_and_expire(rules: RuleSet) -> None:
    spec, entities = eu_to("GB")
    assert fired(rules, spec, "2025-12-27", entities=entities) == (
        "eu.gdpr.45.uk-2021", "eu.gdpr.45.uk-2025")
    assert fired(rules, spec, "2025-12-28", entities=entities) == ("eu.gdpr.45.uk-2025",)
    assert fired(rules, spec, "2031-12-28", entities=entities) == ("eu.gdpr.46.safeguards",)


def test_epo_adequacy_from_2025_07_15(rules: RuleSet) -> None:
    epo = [{"id": "epo", "name": "European Patent Organisation", "country": "DE",
            "relationship": "customer"}]
    spec = flow("f", "de-dc", "epo", ["personal"], subjects=10)
    assert fired(rules, spec, "2025-07-14", entities=epo) == ("eu.gdpr.46.safeguards",)
    assert fired(rules, spec, "2025-07-15", entities=epo) == ("eu.gdpr.45.epo",)


def test_dpf_starts_2023_07_10(rules: RuleSet) -> None:
    spec = flow("f", "de-dc", "us-dpf", ["personal"], subjects=10)
    assert "eu.dpf.certified-recipient" not in fired(rules, spec, "2023-07-09")
    assert fired(rules, spec, "2023-07-10") == ("eu.dpf.certified-recipient",)


def test_russian_localisation_tightens_2025_07_01(rules: RuleSet) -> None:
    spec = flow("f", "de-dc", "us-dc", ["personal"], subjects=10, subjects_countries=["RU"],
                initial_collection=False)
    assert "ru.152fz.18-5.localisation" in fired(rules, spec, "2025-06-30")
    later = fired(rules, spec, "2025-07-01")
    assert "ru.152fz.18-5.foreign-copy-2025" in later
    assert "ru.152fz.18-5.localisation" not in later


def test_vietnam_filing_moves_to_the_pdp_law_2026_01_01(rules: RuleSet) -> None:
    sites = [{"id": "vn-dc", "name": "Hanoi DC", "kind": "on_prem", "country": "VN"}]
    spec = flow("f", "vn-dc", "us-dc", ["personal"], subjects=10)
    assert "vn.decree13.transfer-dossier" in fired(rules, spec, "2025-12-31", sites=sites)
    later = fired(rules, spec, "2026-01-01", sites=sites)
    assert "vn.pdp.transfer-filing" in later and "vn.decree13.transfer-dossier" not in later


GENAI = {"id": "bot", "name": "Bot", "purpose": "chat", "generative": True,
         "users_countries": ["DE", "CN"], "components": []}


def test_ai_act_art_50_applies_from_2026_08_02(rules: RuleSet) -> None:
    assert "eu.aiact.50.transparency" not in system_fired(rules, GENAI, "2026-08-01")
    assert "eu.aiact.50.transparency" in system_fired(rules, GENAI, "2026-08-02")


def test_ai_act_prohibitions_from_2025_02_02(rules: RuleSet) -> None:
    banned = {**GENAI, "ai_act_risk": "prohibited"}
    assert "eu.aiact.5.prohibited-practice" not in system_fired(rules, banned, "2025-02-01")
    assert "eu.aiact.5.prohibited-practice" in system_fired(rules, banned, "2025-02-02")


def test_ai_act_high_risk_waits_for_the_omnibus_date(rules: RuleSet) -> None:
    high = {**GENAI, "ai_act_risk": "high"}
    assert "eu.aiact.high-risk-annex-iii" not in system_fired(rules, high, "2027-12-01")
    assert "eu.aiact.high-risk-annex-iii" in system_fired(rules, high, "2027-12-02")


def test_ai_diffusion_rule_is_gone_from_2025_05_13(rules: RuleSet) -> None:
    on = evaluate_systems(estate(systems=[GENAI]), date(2025, 5, 12), rules)[0]
    assert "us.bis.ai-diffusion" in on.rules_undetermined  # compute is not in the estate
    off = evaluate_systems(estate(systems=[GENAI]), date(2025, 5, 13), rules)[0]
    assert "us.bis.ai-diffusion" not in off.rules_undetermined + off.rules_fired


ASCEND = {"id": "npu", "type": "accelerator", "name": "Ascend 910B", "vendor": "Huawei",
          "product": "Ascend 910B"}


def test_bis_affiliates_rule_suspension_window(rules: RuleSet) -> None:
    system = {**GENAI, "components": ["npu"]}

    loaded = estate(systems=[system], components=[ASCEND])

    def ids(day: str) -> set[str]:
        return set(evaluate_systems(loaded, date.fromisoformat(day), rules)[0].rules_fired)

    affiliates = {"us.bis.affiliates-rule", "us.bis.affiliates-rule-resumed"}
    assert not ids("2025-09-28") & affiliates
    assert ids("2025-09-29") & affiliates == {"us.bis.affiliates-rule"}
    assert ids("2025-11-09") & affiliates == {"us.bis.affiliates-rule"}
    assert not ids("2025-11-10") & affiliates
    assert not ids("2026-11-09") & affiliates
    assert ids("2026-11-10") & affiliates == {"us.bis.affiliates-rule-resumed"}
    assert "us.bis.gp10-ascend" not in ids("2025-05-12")
    assert "us.bis.gp10-ascend" in ids("2025-05-13")


def test_cra_conflict_appears_2026_09_11(rules: RuleSet) -> None:
    system = {**GENAI, "site": "us-dc"}
    one = estate(systems=[system])
    before = {h.conflict_id for h in detect_conflicts(one, date(2026, 9, 10), rules)}
    after = {h.conflict_id for h in detect_conflicts(one, date(2026, 9, 11), rules)}
    assert "conflict.vulnerability-reporting-cra" not in before
    assert "conflict.vulnerability-reporting-cra" in after
    assert "conflict.content-labelling" in before  # both sides in force since 2026-08-02
