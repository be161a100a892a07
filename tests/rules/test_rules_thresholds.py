"""Every threshold, on both sides of its boundary ("以上" includes it; "more than" does not)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from tests.rules.rules_helpers import estate, flow

from stackrift.rules.engine import FlowVerdict, RuleSet, Verdict, evaluate_estate, load_rule_set

AS_OF = date(2026, 11, 29)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rule_set()


def verdict_of(rules: RuleSet, spec: dict[str, Any], **kw: Any) -> FlowVerdict:
    return evaluate_estate(estate(spec, **kw), AS_OF, rules)[0]


def cn_export(categories: list[str], subjects: int) -> dict[str, Any]:
    return flow("f", "cn-dc", "us-dc", categories, subjects=subjects, subjects_countries=["CN"],
                start="2026-03-01")


@pytest.mark.parametrize(("subjects", "deciding", "absent"), [
    (99_999, "cn.cac.5.under-100k", "cn.cac.8.nonsensitive-100k"),
    (100_000, "cn.cac.8.nonsensitive-100k", "cn.cac.5.under-100k"),
    (999_999, "cn.cac.8.nonsensitive-100k", "cn.cac.7.nonsensitive-1m"),
    (1_000_000, "cn.cac.7.nonsensitive-1m", "cn.cac.8.nonsensitive-100k"),
])
def test_cac_non_sensitive_tiers(rules: RuleSet, subjects: int, deciding: str, absent: str) -> None:
    v = verdict_of(rules, cn_export(["personal"], subjects))
    assert deciding in v.rules_fired
    assert absent not in v.rules_fired
    assert any(f"= {subjects:,}" in line for line in v.trace)


@pytest.mark.parametrize(("subjects", "deciding", "mechanism"), [
    (1, "cn.cac.8.sensitive-under-10k", "cac_standard_contract"),
    (9_999, "cn.cac.8.sensitive-under-10k", "cac_standard_contract"),
    (10_000, "cn.cac.7.sensitive-10k", "cac_security_assessment"),
])
def test_cac_sensitive_tiers(rules: RuleSet, subjects: int, deciding: str, mechanism: str) -> None:
    v = verdict_of(rules, cn_export(["sensitive_personal"], subjects))
    assert deciding in v.rules_fired
    assert mechanism in v.mechanisms_required


def test_cac_important_data_always_needs_assessment(rules: RuleSet) -> None:
    v = verdict_of(rules, flow("f", "cn-dc", "us-dc", ["important_data"]))
    assert {"cn.cac.7.important-data", "cn.dsl.31.important-data"} <= set(v.rules_fired)
    assert v.mechanisms_missing == ("cac_security_assessment",)


def test_cac_non_personal_is_exempt(rules: RuleSet) -> None:
    v = verdict_of(rules, flow("f", "cn-dc", "us-dc", ["non_personal"]))
    assert v.rules_fired == ("cn.cac.3.no-pi",)
    assert v.verdict is Verdict.ALLOWED and v.lawful


def doj(categories: list[str], subjects: int | None = None, devices: int | None = None,
        kind: str = "vendor_agreement") -> dict[str, Any]:
    extra: dict[str, Any] = {"subjects_countries": ["US"], "transfer_kind": kind,
                             "start": "2026-06-01"}
    if subjects is not None:
        extra["subjects"] = subjects
    if devices is not None:
        extra["devices"] = devices
    return flow("f", "us-dc", "cn-vendor", categories, **extra)


@pytest.mark.parametrize(("category", "limit"), [
    ("biometric", 1_000), ("health", 10_000), ("financial", 10_000),
    ("covered_personal_identifiers", 100_000),
])
def test_doj_person_thresholds_are_more_than(rules: RuleSet, category: str, limit: int) -> None:
    at = verdict_of(rules, doj([category], subjects=limit))
    assert at.rules_fired == ("us.doj.205.below-bulk",)
    assert at.verdict is Verdict.NOT_APPLICABLE
    above = verdict_of(rules, doj([category], subjects=limit + 1))
    assert "us.doj.401.restricted" in above.rules_fired
    assert above.verdict is Verdict.PROHIBITED


def test_doj_precise_geolocation_counts_devices(rules: RuleSet) -> None:
    at = verdict_of(rules, doj(["precise_geolocation"], subjects=50_000, devices=1_000))
    assert at.verdict is Verdict.NOT_APPLICABLE
    above = verdict_of(rules, doj(["precise_geolocation"], subjects=10, devices=1_001))
    assert "us.doj.401.restricted" in above.rules_fired
    assert any("volume devices" in line and "1,001" in line for line in above.trace)


def test_doj_precise_geolocation_without_device_count_is_undetermined(rules: RuleSet) -> None:
    v = verdict_of(rules, doj(["precise_geolocation"], subjects=50_000))
    assert "us.doj.401.restricted" in v.rules_undetermined
    assert "us.doj.401.restricted" not in v.rules_fired


@pytest.mark.parametrize(("category", "limit"), [("human_genomic", 100), ("human_omic", 1_000)])
def test_doj_omic_access_is_prohibited_above_threshold(rules: RuleSet, category: str,
                                                       limit: int) -> None:
    at = verdict_of(rules, doj([category], subjects=limit))
    assert "us.doj.303.omic-access" not in at.rules_fired
    above = verdict_of(rules, doj([category], subjects=limit + 1,
                                  kind="vendor_agreement"))
    assert "us.doj.303.omic-access" in above.rules_fired
    assert above.verdict is Verdict.PROHIBITED


def test_doj_combined_data_uses_lowest_threshold(rules: RuleSet) -> None:
    spec = doj(["health", "covered_personal_identifiers"], subjects=10_001)
    v = verdict_of(rules, spec)
    assert "us.doj.401.restricted" in v.rules_fired
    assert any("> 10,000: yes" in line for line in v.trace)


def test_doj_government_related_has_no_threshold(rules: RuleSet) -> None:
    v = verdict_of(rules, doj(["government_related"], subjects=3))
    assert "us.doj.401.restricted" in v.rules_fired
    assert "us.doj.222.government-related" in v.rules_fired


SG_BUYER = [{"id": "sg-buyer", "name": "SG Buyer", "country": "SG", "relationship": "vendor",
             "other_owners": [{"name": "PRC Fund", "country": "CN", "percent": 0}]}]


def owned(percent: float) -> list[dict[str, Any]]:
    return [{**SG_BUYER[0], "other_owners": [{"name": "PRC Fund", "country": "CN",
                                              "percent": percent}]}]


@pytest.mark.parametrize(("percent", "covered"), [(49.0, False), (50.0, True)])
def test_doj_covered_person_is_50_percent_owned(rules: RuleSet, percent: float,
                                                covered: bool) -> None:
    spec = flow("f", "us-dc", "sg-buyer", ["covered_personal_identifiers"], subjects=150_000,
                subjects_countries=["US"], transfer_kind="vendor_agreement")
    v = verdict_of(rules, spec, entities=owned(percent))
    assert ("us.doj.401.restricted" in v.rules_fired) is covered


@pytest.mark.parametrize(("percent", "prohibited"), [(19.0, False), (20.0, True)])
def test_padfa_control_is_20_percent_without_volume(rules: RuleSet, percent: float,
                                                    prohibited: bool) -> None:
    spec = flow("f", "us-dc", "sg-buyer", ["precise_geolocation"], subjects=12, devices=12,
                subjects_countries=["US"], transfer_kind="data_brokerage",
                mechanisms=["onward_transfer_ban"])
    v = verdict_of(rules, spec, entities=owned(percent))
    assert ("us.padfa.sale-to-adversary" in v.rules_fired) is prohibited
    assert (v.verdict is Verdict.PROHIBITED) is prohibited


def test_ownership_through_a_covered_parent_counts_in_full(rules: RuleSet) -> None:
    chain = [{"id": "hk-hold", "name": "HK Holdings", "country": "HK", "relationship": "vendor"},
             {"id": "sg-op", "name": "SG OpCo", "country": "SG", "relationship": "vendor",
              "parent": "hk-hold", "ownership_pct": 60}]
    spec = flow("f", "us-dc", "sg-op", ["health"], subjects=20_000, subjects_countries=["US"],
                transfer_kind="vendor_agreement")
    v = verdict_of(rules, spec, entities=chain)
    assert "us.doj.401.restricted" in v.rules_fired
    assert any("recipient_ownership" in line and "60" in line for line in v.trace)
