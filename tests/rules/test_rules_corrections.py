"""The corrections of 2026-12-03: each corrected fact at its boundary date, the engine's new
outcomes (undetermined, localisation that prohibits) and the history of replaced rules."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.cli.helpers import run_cli
from tests.rules.rules_helpers import estate, flow

from stackrift.rules.engine import (
    FlowVerdict,
    RuleSet,
    Verdict,
    evaluate_estate,
    evaluate_systems,
    load_rule_set,
)

SA_SITES = [{"id": "sa-dc", "name": "Riyadh DC", "kind": "on_prem", "country": "SA"}]


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rule_set()


def verdict(rules: RuleSet, spec: dict[str, Any], day: str, **kw: Any) -> FlowVerdict:
    return evaluate_estate(estate(spec, **kw), date.fromisoformat(day), rules)[0]


def fired(rules: RuleSet, spec: dict[str, Any], day: str, **kw: Any) -> tuple[str, ...]:
    return verdict(rules, spec, day, **kw).rules_fired


# -- Russia: 152-FZ Art 18(5) as reworded by 23-FZ -------------------------------------------------

RU_COLLECTED_ABROAD = flow("f", "ru-dc", "de-dc", ["personal"], subjects=500,
                           subjects_countries=["RU"], initial_collection=True)


def test_collecting_russian_citizens_data_abroad_is_prohibited_from_2025_07_01(
        rules: RuleSet) -> None:
    before = verdict(rules, RU_COLLECTED_ABROAD, "2025-06-30")
    assert before.verdict is Verdict.ALLOWED_WITH and before.lawful
    assert "ru.152fz.18-5.localisation" in before.rules_fired
    after = verdict(rules, RU_COLLECTED_ABROAD, "2025-07-01")
    assert after.verdict is Verdict.PROHIBITED and not after.lawful
    assert "ru.152fz.18-5.localisation-2025" in after.rules_fired


def test_collection_into_a_russian_database_is_not_caught(rules: RuleSet) -> None:
    spec = {**RU_COLLECTED_ABROAD, "to": "ru-dc", "from": "de-dc"}
    assert "ru.152fz.18-5.localisation-2025" not in fired(rules, spec, "2026-11-29")


def test_unknown_collection_point_leaves_the_flow_undetermined(rules: RuleSet) -> None:
    spec = {k: v for k, v in RU_COLLECTED_ABROAD.items() if k != "initial_collection"}
    v = verdict(rules, spec, "2026-11-29")
    assert v.verdict is Verdict.UNDETERMINED and not v.lawful
    assert v.missing_facts == ("initial_collection",)
    assert v.rules_holding == ("ru.152fz.18-5.localisation-2025",)


def test_statutory_exception_is_the_way_out(rules: RuleSet) -> None:
    spec = {**RU_COLLECTED_ABROAD, "purpose": "scientific research on public health"}
    v = verdict(rules, spec, "2026-11-29")
    assert v.verdict is Verdict.ALLOWED_WITH and v.lawful
    assert "ru.152fz.18-5.statutory-exception" in v.rules_fired


# -- Undetermined is not lawful, and fails the gate -----------------------------------------------

GEO_NO_SUBJECTS = flow("f", "us-dc", "cn-vendor", ["precise_geolocation"], subjects=5000,
                       devices=5000, transfer_kind="vendor_agreement")


def test_missing_subjects_countries_makes_a_us_cn_geolocation_flow_undetermined(
        rules: RuleSet) -> None:
    v = verdict(rules, GEO_NO_SUBJECTS, "2026-11-29")
    assert v.verdict is Verdict.UNDETERMINED and not v.lawful
    assert "subjects_countries" in v.missing_facts
    assert "us.doj.401.restricted" in v.rules_holding
    # Recording the fact decides it.
    known = verdict(rules, {**GEO_NO_SUBJECTS, "subjects_countries": ["US"]}, "2026-11-29")
    assert known.verdict is Verdict.PROHIBITED


def test_an_undetermined_exemption_does_not_hold_the_verdict(rules: RuleSet) -> None:
    # The FTZ exemption is undetermined (negative list not recorded); the ordinary CAC rules decide.
    v = verdict(rules, flow("f", "ftz", "us-dc", ["personal"], subjects=10,
                            subjects_countries=["CN"], mechanisms=["pipia", "separate_consent"]),
                "2026-11-29", sites=[FTZ_SITE])
    assert "cn.cac.6.ftz-negative-list" in v.rules_undetermined
    assert v.verdict is Verdict.ALLOWED_WITH and v.lawful and not v.rules_holding


def test_a_restricting_rule_whose_mechanism_is_in_place_does_not_hold_the_verdict(
        rules: RuleSet) -> None:
    spec = {**GEO_NO_SUBJECTS, "mechanisms": ["cisa_security_requirements"],
            "transfer_kind": "vendor_agreement"}
    v = verdict(rules, spec, "2026-11-29")
    assert "us.doj.401.restricted" in v.rules_undetermined
    assert "us.doj.401.restricted" not in v.rules_holding


def _write_estate(tmp_path: Path, flows: list[dict[str, Any]]) -> Path:
    doc = {"organisation": {"name": "Test Group", "hq_country": "US"},
           "entities": [{"id": "us-hq", "name": "HQ Inc.", "country": "US"},
                        {"id": "cn-vendor", "name": "Hangzhou Vendor", "country": "CN",
                         "relationship": "vendor"}],
           "sites": [{"id": "us-dc", "name": "Virginia DC", "kind": "on_prem", "country": "US",
                      "entity": "us-hq"}],
           "data_flows": flows}
    path = tmp_path / "estate.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def test_undetermined_flow_through_the_cli_fails_fail_on_high(tmp_path: Path) -> None:
    path = _write_estate(tmp_path, [GEO_NO_SUBJECTS])
    shown = run_cli("transfers", str(path), "--as-of", "2026-11-29", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    item = json.loads(shown.stdout)["flows"][0]
    assert item["verdict"] == "undetermined" and item["lawful"] is False
    assert "subjects_countries" in item["missing_facts"]
    gate = run_cli("assess", str(path), "--as-of", "2026-11-29", "--analysis", "transfers",
                   "--format", "json", "--fail-on", "high")
    assert gate.returncode == 1, gate.stderr
    report = json.loads(gate.stdout)
    findings = report["findings"]
    assert any(f["rule"] == "undetermined-flow" and f["severity"] == "high" for f in findings)


def test_the_same_flow_with_its_facts_recorded_and_safe_passes_the_gate(tmp_path: Path) -> None:
    # Subjects are all German: the DOJ rule is decided (not covered) and nothing is high.
    path = _write_estate(tmp_path, [{**GEO_NO_SUBJECTS, "subjects_countries": ["DE"]}])
    gate = run_cli("assess", str(path), "--as-of", "2026-11-29", "--analysis", "transfers",
                   "--format", "json", "--fail-on", "high")
    assert gate.returncode == 0, gate.stdout


# -- India: RBI payment-data storage ---------------------------------------------------------------

def test_rbi_payment_data_stored_abroad_is_prohibited_from_2018_10_15(rules: RuleSet) -> None:
    spec = flow("f", "in-dc", "us-dc", ["payment"], subjects=10)
    assert "in.rbi.payment-localisation" not in fired(rules, spec, "2018-10-14")
    v = verdict(rules, spec, "2018-10-15")
    assert v.verdict is Verdict.PROHIBITED
    returned = verdict(rules, {**spec, "mechanisms": ["return_within_24h"]}, "2019-06-26")
    assert returned.verdict is Verdict.ALLOWED_WITH and returned.lawful


# -- China: CAC 2024 Provisions, their predecessors, FTZ lists, certification, CSL ----------------

CN_150K = flow("f", "cn-dc", "us-dc", ["personal"], subjects=150_000, subjects_countries=["CN"])
FTZ_SITE = {"id": "ftz", "name": "Lingang", "kind": "on_prem", "country": "CN",
            "entity": "cn-sub", "free_trade_zone": "Lingang Special Area"}


@pytest.mark.parametrize(("day", "expected"), [
    ("2022-08-31", "cn.pipl.38.mechanism"),
    ("2022-09-01", "cn.sa-measures-2022.4.security-assessment"),
    ("2024-03-21", "cn.sa-measures-2022.4.security-assessment"),
    ("2024-03-22", "cn.cac.8.nonsensitive-100k"),
])
def test_cac_hand_over_days_for_150k_individuals(rules: RuleSet, day: str,
                                                 expected: str) -> None:
    v = verdict(rules, CN_150K, day)
    assert expected in v.rules_fired
    if expected != "cn.pipl.38.mechanism":  # PIPL 38 alone accepts any of the three tools
        required = {"cn.sa-measures-2022.4.security-assessment": "cac_security_assessment",
                    "cn.cac.8.nonsensitive-100k": "cac_standard_contract"}[expected]
        assert required in v.mechanisms_required


@pytest.mark.parametrize(("day", "rule"), [
    ("2023-05-31", None), ("2023-06-01", "cn.scc-measures-2023.4.contract-tier"),
    ("2024-03-21", "cn.scc-measures-2023.4.contract-tier"), ("2024-03-22", None),
])
def test_standard_contract_measures_window(rules: RuleSet, day: str, rule: str | None) -> None:
    small = {**CN_150K, "subjects": 5_000}
    ids = fired(rules, small, day)
    if rule is None:
        assert "cn.scc-measures-2023.4.contract-tier" not in ids
    else:
        assert rule in ids


def test_hr_exemption_exists_only_from_2024_03_22(rules: RuleSet) -> None:
    hr = flow("f", "cn-dc", "de-dc", ["employee_hr"], subjects=500, subjects_countries=["CN"],
              transfer_kind="intra_group", mechanisms=["pipia", "separate_consent"])
    assert not verdict(rules, hr, "2024-03-21").lawful
    assert verdict(rules, hr, "2024-03-22").lawful


def test_ftz_data_off_the_negative_list_is_exempt(rules: RuleSet) -> None:
    spec = flow("f", "ftz", "us-dc", ["personal"], subjects=150_000, subjects_countries=["CN"],
                mechanisms=["pipia", "separate_consent"], on_ftz_negative_list=False)
    v = verdict(rules, spec, "2026-11-29", sites=[FTZ_SITE])
    assert "cn.cac.6.ftz-negative-list" in v.rules_fired
    assert v.lawful and "cn.cac.8.nonsensitive-100k" not in v.rules_fired
    listed = verdict(rules, {**spec, "on_ftz_negative_list": True}, "2026-11-29",
                     sites=[FTZ_SITE])
    assert "cn.cac.8.nonsensitive-100k" in listed.rules_fired and not listed.lawful
    assert "cn.cac.6.ftz-listed" in listed.rules_fired


def test_certification_measures_from_2026_01_01(rules: RuleSet) -> None:
    spec = {**CN_150K, "mechanisms": ["cac_certification", "pipia", "separate_consent"]}
    assert "cn.cert-measures.outbound-certification" not in fired(rules, spec, "2025-12-31")
    assert "cn.cert-measures.outbound-certification" in fired(rules, spec, "2026-01-01")


def test_amended_csl_renumbers_the_ciio_rule_on_2026_01_01(rules: RuleSet) -> None:
    spec = flow("f", "jv-dc", "us-dc", ["personal"], subjects=10, subjects_countries=["CN"])
    old = verdict(rules, spec, "2025-12-31")
    assert "cn.csl.37.ciio-localisation" in old.rules_fired
    new = verdict(rules, spec, "2026-01-01")
    assert "cn.csl.39.ciio-localisation" in new.rules_fired
    assert "cn.csl.37.ciio-localisation" not in new.rules_fired
    assert new.verdict is Verdict.PROHIBITED  # no security assessment in place


def test_no_cac_citation_names_a_third_item_of_article_7(rules: RuleSet) -> None:
    sections = [r.citation.section or "" for r in rules.rules]
    assert not [s for s in sections if "7(3)" in s]
    by_id = {r.id: r.citation.section for r in rules.rules}
    assert by_id["cn.cac.7.nonsensitive-1m"] == by_id["cn.cac.7.sensitive-10k"] == "Art 7(2)"


# -- EU: Art 46 history, Brazil, UK ---------------------------------------------------------------

EU_US = flow("f", "de-dc", "us-plain", ["personal"], subjects=10)


@pytest.mark.parametrize(("day", "rule", "needs_tia"), [
    ("2018-05-24", None, False),
    ("2018-05-25", "eu.gdpr.46.safeguards-2018", False),
    ("2020-07-15", "eu.gdpr.46.safeguards-2018", False),
    ("2020-07-16", "eu.gdpr.46.safeguards-schrems2", True),
    ("2021-06-26", "eu.gdpr.46.safeguards-schrems2", True),
    ("2021-06-27", "eu.gdpr.46.safeguards", True),
])
def test_gdpr_art_46_hand_over_days(rules: RuleSet, day: str, rule: str | None,
                                    needs_tia: bool) -> None:
    v = verdict(rules, {**EU_US, "mechanisms": ["scc"]}, day)
    if rule is None:
        assert not v.rules_fired
        return
    assert v.rules_fired == (rule,)
    assert v.lawful is not needs_tia


def test_brazil_adequacy_from_its_decision_date(rules: RuleSet) -> None:
    br = [{"id": "br", "name": "Sao Paulo Ltda", "country": "BR", "relationship": "vendor"}]
    spec = flow("f", "de-dc", "br", ["personal"], subjects=10)
    assert fired(rules, spec, "2026-01-25", entities=br) == ("eu.gdpr.46.safeguards",)
    assert fired(rules, spec, "2026-01-26", entities=br) == ("eu.gdpr.45.brazil",)


# -- Saudi Arabia ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("day", "expected"), [
    ("2023-09-13", ()),
    ("2023-09-14", ("sa.pdpl.29.grace-period",)),
    ("2024-09-13", ("sa.pdpl.29.grace-period",)),
    ("2024-09-14", ("sa.pdpl.29.safeguards",)),
])
def test_saudi_pdpl_grace_period_and_transfer_regulation(rules: RuleSet, day: str,
                                                         expected: tuple[str, ...]) -> None:
    spec = flow("f", "sa-dc", "us-dc", ["personal"], subjects=10)
    assert fired(rules, spec, day) == expected


# -- Vietnam --------------------------------------------------------------------------------------

def test_vietnam_law_on_data_from_2025_07_01(rules: RuleSet) -> None:
    spec = flow("f", "vn-dc", "sg-dc", ["important_data"])
    assert "vn.data-law.important-data" not in fired(rules, spec, "2025-06-30")
    v = verdict(rules, spec, "2025-07-01")
    assert "vn.data-law.important-data" in v.rules_fired and v.verdict is Verdict.PROHIBITED


# -- US: Hong Kong in the D:5 check ---------------------------------------------------------------

CHIPS = [{"id": "h100", "type": "accelerator", "name": "NVIDIA H100", "vendor": "NVIDIA",
          "product": "H100"},
         {"id": "a100", "type": "accelerator", "name": "NVIDIA A100", "vendor": "NVIDIA",
          "product": "A100"},
         {"id": "h800", "type": "accelerator", "name": "NVIDIA H800", "vendor": "NVIDIA",
          "product": "H800"}]


def chip_rules(rules: RuleSet, country: str, chip: str, day: str) -> tuple[str, ...]:
    site = {"id": "site", "name": "DC", "kind": "on_prem", "country": country}
    system = {"id": "sys", "name": "Trainer", "purpose": "Training", "site": "site",
              "components": [chip]}
    found = estate(sites=[site], components=CHIPS, systems=[system])
    return tuple(r for r in evaluate_systems(found, date.fromisoformat(day), rules)[0].rules_fired
                 if r.startswith("us.ear.3a090"))


def test_h100_at_a_hong_kong_site_triggers_the_3a090_rule(rules: RuleSet) -> None:
    assert chip_rules(rules, "HK", "h100", "2026-11-29") == ("us.ear.3a090.d5",)
    assert chip_rules(rules, "HK", "h100", "2022-10-07") == ("us.ear.3a090.china-2022",)


def test_a100_in_china_needs_a_licence_from_2022_10_07(rules: RuleSet) -> None:
    assert chip_rules(rules, "CN", "a100", "2022-10-06") == ()
    assert chip_rules(rules, "CN", "a100", "2022-10-07") == ("us.ear.3a090.china-2022",)


def test_h800_class_is_caught_from_2023_11_17(rules: RuleSet) -> None:
    assert chip_rules(rules, "CN", "h800", "2023-11-16") == ()
    assert chip_rules(rules, "CN", "h800", "2023-11-17") == ("us.ear.3a090.d5",)


def test_macau_added_2023_01_17(rules: RuleSet) -> None:
    assert chip_rules(rules, "MO", "h100", "2023-01-16") == ()
    assert chip_rules(rules, "MO", "h100", "2023-01-17") == ("us.ear.3a090.macau-2023",)


def test_cambodia_leaves_d5_with_its_itar_removal(rules: RuleSet) -> None:
    assert chip_rules(rules, "KH", "h100", "2025-11-06") == ("us.ear.3a090.cambodia",)
    assert chip_rules(rules, "KH", "h100", "2025-11-07") == ()
