"""The acceptance scenarios of the transfers engine."""

from __future__ import annotations

from datetime import date

import pytest
from tests.rules.rules_helpers import estate, flow

from stackrift.rules.engine import FlowVerdict, RuleSet, Verdict, evaluate_estate, load_rule_set

AS_OF = date(2026, 11, 29)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rule_set()


def one(rules: RuleSet, spec: dict[str, object], as_of: date = AS_OF) -> FlowVerdict:
    verdicts = evaluate_estate(estate(spec), as_of, rules)
    return verdicts[0]


def cn_us(subjects: int, source: str = "cn-dc", **extra: object) -> dict[str, object]:
    return flow("f", source, "us-dc", ["personal"], subjects=subjects, subjects_countries=["CN"],
                start="2026-02-01", **extra)


def test_cn_us_1_2m_non_ciio_needs_security_assessment(rules: RuleSet) -> None:
    v = one(rules, cn_us(1_200_000))
    assert "cn.cac.7.nonsensitive-1m" in v.rules_fired
    assert "cac_security_assessment" in v.mechanisms_required
    assert "cac_standard_contract" not in v.mechanisms_required
    assert v.verdict is Verdict.ALLOWED_WITH and not v.lawful


def test_cn_us_150k_needs_standard_contract_or_certification(rules: RuleSet) -> None:
    v = one(rules, cn_us(150_000))
    assert "cn.cac.8.nonsensitive-100k" in v.rules_fired
    assert "cac_standard_contract" in v.mechanisms_required
    assert "cac_security_assessment" not in v.mechanisms_required
    assert any("cac_certification" in line for line in v.trace)
    done = one(rules, cn_us(150_000, mechanisms=["cac_certification", "pipia",
                                                 "separate_consent"]))
    assert done.lawful and done.mechanisms_missing == ()


def test_cn_us_90k_non_ciio_is_exempt(rules: RuleSet) -> None:
    v = one(rules, cn_us(90_000))
    assert "cn.cac.5.under-100k" in v.rules_fired
    assert not {"cac_security_assessment", "cac_standard_contract",
                "cac_certification"} & set(v.mechanisms_required)
    assert any("superseded" in line and "cn.pipl.38.mechanism" in line for line in v.trace)


def test_cn_us_90k_from_ciio_needs_security_assessment(rules: RuleSet) -> None:
    v = one(rules, cn_us(90_000, source="jv-dc"))
    assert "cn.cac.7.ciio-pi" in v.rules_fired
    assert "cn.cac.5.under-100k" not in v.rules_fired
    assert "cac_security_assessment" in v.mechanisms_missing


US_IDS = {"subjects": 150_000, "subjects_countries": ["US"], "start": "2026-04-01"}


def test_us_cn_vendor_access_is_restricted_and_prohibited_without_cisa(rules: RuleSet) -> None:
    spec = flow("f", "us-dc", "cn-vendor", ["covered_personal_identifiers"],
                transfer_kind="vendor_agreement", **US_IDS)
    v = one(rules, spec)
    assert "us.doj.401.restricted" in v.rules_fired
    assert v.verdict is Verdict.PROHIBITED
    assert v.mechanisms_missing == ("cisa_security_requirements",)
    assert any(c.section and "202.401" in c.section for c in v.citations)
    ok = one(rules, {**spec, "mechanisms": ["cisa_security_requirements"]})
    assert ok.verdict is Verdict.ALLOWED_WITH and ok.lawful


def test_us_cn_brokerage_of_the_same_data_is_prohibited(rules: RuleSet) -> None:
    spec = flow("f", "us-dc", "cn-vendor", ["covered_personal_identifiers"],
                transfer_kind="data_brokerage", mechanisms=["cisa_security_requirements"],
                **US_IDS)
    v = one(rules, spec)
    assert v.verdict is Verdict.PROHIBITED
    assert "us.doj.301.brokerage-coc" in v.rules_fired


def test_eu_us_dpf_certified_is_allowed_under_art_45(rules: RuleSet) -> None:
    v = one(rules, flow("f", "de-dc", "us-dpf", ["personal"], subjects=1000,
                        transfer_kind="vendor_agreement"))
    assert v.verdict is Verdict.ALLOWED
    assert v.rules_fired == ("eu.dpf.certified-recipient",)
    assert any("Art 45" in str(c) for c in v.citations)


def test_eu_us_uncertified_needs_scc_and_tia(rules: RuleSet) -> None:
    v = one(rules, flow("f", "de-dc", "us-plain", ["personal"], subjects=1000,
                        transfer_kind="vendor_agreement"))
    assert v.verdict is Verdict.ALLOWED_WITH
    assert "eu.gdpr.46.safeguards" in v.rules_fired
    assert set(v.mechanisms_missing) == {"scc", "tia"}
