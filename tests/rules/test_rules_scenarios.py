"""A suite of realistic flows, each with its expected verdict and the rule that decides it."""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

import pytest
from tests.rules.rules_helpers import estate, flow

from stackrift.rules.engine import RuleSet, Verdict, evaluate_estate, load_rule_set

AS_OF = date(2026, 11, 29)
CN_ALL = ["pipia", "separate_consent"]


class Scenario(NamedTuple):
    name: str
    spec: dict[str, Any]
    verdict: Verdict
    deciding: str
    lawful: bool
    as_of: date = AS_OF


def f(source: str, destination: str, categories: list[str], **extra: Any) -> dict[str, Any]:
    return flow("f", source, destination, categories, **extra)


CN = {"subjects_countries": ["CN"], "start": "2026-02-01"}
US = {"subjects_countries": ["US"], "start": "2026-06-01"}
A, W, P, N = Verdict.ALLOWED, Verdict.ALLOWED_WITH, Verdict.PROHIBITED, Verdict.NOT_APPLICABLE
U = Verdict.UNDETERMINED

SCENARIOS = [
    # China: CAC 2024 Provisions tiers and exemptions, PIPL, DSL
    Scenario("cn-us 1.2m, nothing in place", f("cn-dc", "us-dc", ["personal"], subjects=1_200_000,
             **CN), W, "cn.cac.7.nonsensitive-1m", False),
    Scenario("cn-us 1.2m with assessment", f("cn-dc", "us-dc", ["personal"], subjects=1_200_000,
             mechanisms=["cac_security_assessment", *CN_ALL], **CN), W,
             "cn.cac.7.nonsensitive-1m", True),
    Scenario("cn-us 150k with standard contract", f("cn-dc", "us-dc", ["personal"],
             subjects=150_000, mechanisms=["cac_standard_contract", *CN_ALL], **CN), W,
             "cn.cac.8.nonsensitive-100k", True),
    Scenario("cn-us 150k with only a standard contract filed", f(
             "cn-dc", "us-dc", ["personal"], subjects=150_000, mechanisms=["cac_standard_contract"],
             **CN), W, "cn.pipl.55.pipia", False),
    Scenario("cn-us 90k non-CIIO", f("cn-dc", "us-dc", ["personal"], subjects=90_000,
             mechanisms=CN_ALL, **CN), W, "cn.cac.5.under-100k", True),
    # A CIIO exports only after a security assessment (PIPL Art 40, CSL Art 39): prohibited without.
    Scenario("cn-us 90k from a CIIO", f("jv-dc", "us-dc", ["personal"], subjects=90_000,
             mechanisms=CN_ALL, **CN), P, "cn.pipl.40.ciio-localisation", False),
    Scenario("cn-us 150k under certification", f("cn-dc", "us-dc", ["personal"], subjects=150_000,
             mechanisms=["cac_certification", *CN_ALL], **CN), W,
             "cn.cert-measures.outbound-certification", True),
    Scenario("cn-de sensitive 5k", f("cn-dc", "de-dc", ["sensitive_personal"], subjects=5_000,
             **CN), W, "cn.cac.8.sensitive-under-10k", False),
    Scenario("cn-de sensitive 20k", f("cn-dc", "de-dc", ["health"], subjects=20_000, **CN), W,
             "cn.cac.7.sensitive-10k", False),
    # DSL Art 31: important data leaves only after a security assessment, so not at all without.
    Scenario("cn-us important data", f("cn-dc", "us-dc", ["important_data"]), P,
             "cn.dsl.31.important-data", False),
    Scenario("cn-us important data assessed", f("cn-dc", "us-dc", ["important_data"],
             mechanisms=["cac_security_assessment"]), W, "cn.dsl.31.important-data", True),
    Scenario("cn-us engineering data", f("cn-dc", "us-dc", ["non_personal"]), A,
             "cn.cac.3.no-pi", True),
    Scenario("cn-us bookings for the traveller", f("cn-dc", "us-dc", ["personal"],
             subjects=500_000, transfer_kind="contract_with_individual", mechanisms=CN_ALL, **CN),
             W, "cn.cac.5.contract-necessity", True),
    Scenario("cn-de payroll", f("cn-dc", "de-dc", ["employee_hr", "personal"], subjects=3_000,
             mechanisms=CN_ALL, **CN), W, "cn.cac.5.hr-management", True),
    Scenario("cn-us medical evacuation", f("cn-dc", "us-dc", ["personal"], subjects=200_000,
             purpose="Emergency medical evacuation of staff", mechanisms=CN_ALL, **CN), W,
             "cn.cac.5.emergency", True),
    Scenario("cn-us foreign customers' data returned", f(
             "cn-dc", "us-dc", ["personal"], subjects=300_000, subjects_countries=["JP", "US"],
             mechanisms=CN_ALL), W, "cn.cac.4.foreign-collected", True),
    Scenario("cn-us court order without approval", f(
             "cn-dc", "us-dc", ["personal"], subjects=10, government_request=True,
             mechanisms=CN_ALL, **CN), P, "cn.pipl.41.foreign-authority", False),
    Scenario("cn-us court order with PRC approval", f(
             "cn-dc", "us-dc", ["personal"], subjects=10, government_request=True,
             mechanisms=["prc_approval", *CN_ALL], **CN), W, "cn.dsl.36.foreign-authority", True),
    Scenario("cn-us anonymised statistics", f("cn-dc", "us-dc", ["personal"], subjects=2_000_000,
             anonymised=True, **CN), A, "cn.cac.3.no-pi", True),
    # United States: 28 CFR 202 and PADFA
    Scenario("us-cn vendor 150k identifiers", f("us-dc", "cn-vendor",
             ["covered_personal_identifiers"], subjects=150_000, transfer_kind="vendor_agreement",
             **US), P, "us.doj.401.restricted", False),
    Scenario("us-cn vendor with CISA requirements", f(
             "us-dc", "cn-vendor", ["covered_personal_identifiers"], subjects=150_000,
             transfer_kind="vendor_agreement", mechanisms=["cisa_security_requirements"], **US),
             W, "us.doj.401.restricted", True),
    Scenario("us-cn brokerage 150k identifiers", f(
             "us-dc", "cn-vendor", ["covered_personal_identifiers"], subjects=150_000,
             transfer_kind="data_brokerage", **US), P, "us.doj.301.brokerage-coc", False),
    Scenario("us-cn vendor 5k health records", f("us-dc", "cn-vendor", ["health"], subjects=5_000,
             transfer_kind="vendor_agreement", **US), N, "us.doj.205.below-bulk", True),
    Scenario("us-cn payroll to own subsidiary", f(
             "us-dc", "cn-sub", ["employee_hr", "covered_personal_identifiers"], subjects=150_000,
             purpose="Group payroll", **US), A, "us.doj.506.intra-group-exemption", True),
    Scenario("us-cn subsidiary access for a PRC demand", f(
             "us-dc", "cn-sub", ["employee_hr", "covered_personal_identifiers"], subjects=150_000,
             government_request=True, **US), P, "us.doj.401.restricted-intra-group", False),
    Scenario("us-cn genomic sequencing vendor", f("us-dc", "cn-vendor", ["human_genomic"],
             subjects=500, transfer_kind="vendor_agreement",
             mechanisms=["cisa_security_requirements"], **US), P, "us.doj.303.omic-access",
             False),
    Scenario("us-sg brokerage without onward ban", f(
             "us-dc", "sg-buyer", ["covered_personal_identifiers"], subjects=200_000,
             transfer_kind="data_brokerage", **US), P, "us.doj.302.brokerage-foreign", False),
    Scenario("us-sg brokerage with onward ban", f(
             "us-dc", "sg-buyer", ["covered_personal_identifiers"], subjects=200_000,
             transfer_kind="data_brokerage", mechanisms=["onward_transfer_ban"], **US), W,
             "us.doj.302.brokerage-foreign", True),
    Scenario("us-hk biometric vendor", f("us-dc", "hk-vendor", ["biometric"], subjects=2_000,
             transfer_kind="vendor_agreement", **US), P, "us.doj.401.restricted", False),
    Scenario("us-ru geolocation contractors", f("us-dc", "ru-vendor", ["precise_geolocation"],
             devices=2_000, subjects=1_900, transfer_kind="employment_agreement", **US), P,
             "us.doj.401.restricted", False),
    Scenario("us broker sells 50 devices to a 25% PRC-owned partner", f(
             "us-broker", "sg-quarter", ["precise_geolocation"], devices=50, subjects=50,
             transfer_kind="data_brokerage", mechanisms=["onward_transfer_ban"], **US), P,
             "us.padfa.sale-to-adversary", False),
    # European Union: GDPR Chapter V
    Scenario("de-us DPF-certified vendor", f("de-dc", "us-dpf", ["personal"], subjects=400_000,
             transfer_kind="vendor_agreement"), A, "eu.dpf.certified-recipient", True),
    Scenario("de-us uncertified vendor", f("de-dc", "us-plain", ["personal"], subjects=50_000,
             transfer_kind="vendor_agreement"), W, "eu.gdpr.46.safeguards", False),
    Scenario("de-us uncertified vendor with SCCs and TIA", f(
             "de-dc", "us-plain", ["personal"], subjects=50_000, transfer_kind="vendor_agreement",
             mechanisms=["scc", "tia"]), W, "eu.gdpr.46.safeguards", True),
    Scenario("de-jp vendor", f("de-dc", "jp-vendor", ["personal"], subjects=10), A,
             "eu.gdpr.45.japan", True),
    Scenario("de-gb vendor", f("de-dc", "gb-vendor", ["personal"], subjects=10), A,
             "eu.gdpr.45.uk-2025", True),
    Scenario("de-br vendor after adequacy", f("de-dc", "br-vendor", ["personal"], subjects=10), A,
             "eu.gdpr.45.brazil", True, date(2026, 3, 1)),
    Scenario("de-ch vendor", f("de-dc", "ch-vendor", ["personal"], subjects=10), A,
             "eu.gdpr.45.adequacy", True),
    Scenario("de-ca vendor", f("de-dc", "ca-vendor", ["personal"], subjects=10), W,
             "eu.gdpr.45.canada", True),
    Scenario("de-cn vendor", f("de-dc", "cn-vendor", ["personal"], subjects=10), W,
             "eu.gdpr.46.safeguards", False),
    Scenario("de-us hotel booking for the customer", f(
             "de-dc", "us-plain", ["personal"], subjects=10,
             transfer_kind="contract_with_individual"), W, "eu.gdpr.49.derogation", True),
    Scenario("de-us discovery order without MLAT", f(
             "de-dc", "us-plain", ["personal"], subjects=10, government_request=True,
             mechanisms=["scc", "tia"]), P, "eu.gdpr.48.foreign-order", False),
    Scenario("de-fr within the EEA", f("de-dc", "fr-dc", ["personal"], subjects=10), N,
             "eu.gdpr.44.intra-eea", True),
    Scenario("de-cn drawings", f("de-dc", "cn-dc", ["non_personal"]), N,
             "eu.gdpr.4.non-personal", True),
    # Russia, India, Vietnam, Saudi Arabia, Singapore
    Scenario("ru-de transfer from the Russian database", f(
             "ru-dc", "de-dc", ["personal"], subjects=10, subjects_countries=["RU"],
             initial_collection=False), W, "ru.152fz.12.cross-border-notice", True),
    Scenario("ru-de collected straight into a German database", f(
             "ru-dc", "de-dc", ["personal"], subjects=10, subjects_countries=["RU"],
             initial_collection=True), P, "ru.152fz.18-5.localisation-2025", False),
    Scenario("ru-de collected abroad for a newspaper", f(
             "ru-dc", "de-dc", ["personal"], subjects=10, subjects_countries=["RU"],
             initial_collection=True, purpose="journalism"), W,
             "ru.152fz.18-5.statutory-exception", True),
    Scenario("ru-de without saying whether it is the collection", f(
             "ru-dc", "de-dc", ["personal"], subjects=10, subjects_countries=["RU"]), U,
             "ru.152fz.12.cross-border-notice", False),
    Scenario("de-us copy of Russian citizens' data", f(
             "de-dc", "us-dpf", ["personal"], subjects=10, subjects_countries=["RU"],
             initial_collection=False), W, "ru.152fz.18-5.foreign-copy-2025", True),
    Scenario("in-us card payments stored abroad", f("in-dc", "us-dc", ["payment"], subjects=10),
             P, "in.rbi.payment-localisation", False),
    Scenario("in-us card payments processed abroad and returned", f(
             "in-dc", "us-dc", ["payment"], subjects=10, mechanisms=["return_within_24h"]), W,
             "in.rbi.processing-abroad", True),
    Scenario("vn-sg important data without approval", f("vn-dc", "sg-dc", ["important_data"]), P,
             "vn.data-law.important-data", False),
    Scenario("in-us customer data once DPDP s.16 applies", f("in-dc", "us-dc", ["personal"],
             subjects=10), A, "in.dpdp.16.transfer", True, date(2027, 6, 1)),
    Scenario("vn-sg domestic firm's users", f("vn-dc", "sg-dc", ["personal"], subjects=10,
             mechanisms=["transfer_impact_filing"]), W, "vn.csl.26.domestic-localisation", True),
    Scenario("vn-sg without the transfer filing", f("vn-dc", "sg-dc", ["personal"], subjects=10),
             W, "vn.pdp.transfer-filing", False),
    Scenario("sa-us without safeguards", f("sa-dc", "us-dc", ["personal"], subjects=10), W,
             "sa.pdpl.29.safeguards", False),
    Scenario("sa-us for the customer's contract", f("sa-dc", "us-dc", ["personal"], subjects=10,
             transfer_kind="contract_with_individual"), W, "sa.pdpl.29.derogation", True),
    Scenario("sg-us with binding corporate rules", f("sg-dc", "us-dc", ["personal"], subjects=10,
             mechanisms=["bcr"]), W, "sg.pdpa.26.transfer-limitation", True),
]


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rule_set()


def test_suite_is_large_enough() -> None:
    assert len(SCENARIOS) >= 40
    assert len({s.name for s in SCENARIOS}) == len(SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(rules: RuleSet, scenario: Scenario) -> None:
    v = evaluate_estate(estate(scenario.spec), scenario.as_of, rules)[0]
    assert v.verdict is scenario.verdict, v.trace
    assert scenario.deciding in v.rules_fired, v.trace
    assert v.lawful is scenario.lawful, (v.mechanisms_missing, v.trace)
    assert v.citations, "every verdict shows its sources"
