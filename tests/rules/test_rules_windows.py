"""Volumes aggregate over each rule's window: calendar year per exporter (CAC), preceding
12 months per counterparty (DOJ); flows outside the window or covered by exemptions do not count."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from tests.rules.rules_helpers import estate, flow

from stackrift.rules.engine import RuleSet, evaluate_estate, load_rule_set

AS_OF = date(2026, 11, 29)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rule_set()


def cn(flow_id: str, subjects: int, **extra: Any) -> dict[str, Any]:
    return flow(flow_id, "cn-dc", "us-dc", ["personal"], subjects=subjects,
                subjects_countries=["CN"], **extra)


def fired(rules: RuleSet, *flows: dict[str, Any], as_of: date = AS_OF) -> dict[str, set[str]]:
    return {v.flow_id: set(v.rules_fired) for v in evaluate_estate(estate(*flows), as_of, rules)}


def test_cac_sums_the_exporters_flows_since_1_january(rules: RuleSet) -> None:
    result = fired(rules, cn("a", 60_000, start="2026-02-01"), cn("b", 50_000, start="2026-05-01"))
    assert "cn.cac.8.nonsensitive-100k" in result["a"]
    assert "cn.cac.8.nonsensitive-100k" in result["b"]


def test_cac_ignores_flows_that_ended_last_year(rules: RuleSet) -> None:
    result = fired(rules, cn("a", 60_000, start="2026-02-01"),
                   cn("b", 50_000, start="2025-01-01", end="2025-12-31"))
    assert "cn.cac.5.under-100k" in result["a"]


def test_cac_window_restarts_on_1_january(rules: RuleSet) -> None:
    flows = (cn("a", 60_000, start="2025-02-01"), cn("b", 50_000, start="2025-03-01",
                                                      end="2025-12-31"))
    assert "cn.cac.8.nonsensitive-100k" in fired(rules, *flows, as_of=date(2025, 12, 31))["a"]
    assert "cn.cac.5.under-100k" in fired(rules, *flows, as_of=date(2026, 1, 1))["a"]


def test_cac_ignores_flows_not_yet_started(rules: RuleSet) -> None:
    result = fired(rules, cn("a", 60_000, start="2026-02-01"), cn("b", 50_000, start="2027-01-01"))
    assert "cn.cac.5.under-100k" in result["a"]


def test_cac_does_not_count_exempt_hr_flows(rules: RuleSet) -> None:
    hr = flow("hr", "cn-dc", "de-dc", ["employee_hr", "personal"], subjects=80_000,
              subjects_countries=["CN"], start="2026-01-10")
    result = fired(rules, cn("a", 60_000, start="2026-02-01"), hr)
    assert "cn.cac.5.under-100k" in result["a"]
    assert "cn.cac.5.hr-management" in result["hr"]


def test_cac_counts_per_exporter_not_per_group(rules: RuleSet) -> None:
    other = flow("b", "jv-dc", "us-dc", ["personal"], subjects=50_000, subjects_countries=["CN"],
                 start="2026-02-01")
    result = fired(rules, cn("a", 60_000, start="2026-02-01"), other)
    assert "cn.cac.5.under-100k" in result["a"]


def us(flow_id: str, subjects: int, to: str = "cn-vendor", **extra: Any) -> dict[str, Any]:
    return flow(flow_id, "us-dc", to, ["covered_personal_identifiers"], subjects=subjects,
                subjects_countries=["US"], transfer_kind="vendor_agreement", **extra)


def test_doj_sums_the_preceding_12_months_per_counterparty(rules: RuleSet) -> None:
    result = fired(rules, us("a", 60_000, start="2026-06-01"),
                   us("b", 50_000, start="2025-12-01", end="2026-01-31"))
    assert "us.doj.401.restricted" in result["a"]


def test_doj_ignores_flows_older_than_12_months(rules: RuleSet) -> None:
    result = fired(rules, us("a", 60_000, start="2026-06-01"),
                   us("b", 50_000, start="2025-01-01", end="2025-11-29"))
    assert "us.doj.205.below-bulk" in result["a"]


def test_doj_12_month_window_boundary(rules: RuleSet) -> None:
    flows = (us("a", 60_000, start="2026-06-01"),
             us("b", 50_000, start="2025-01-01", end="2025-11-30"))
    assert "us.doj.401.restricted" in fired(rules, *flows)["a"]


def test_doj_does_not_sum_across_counterparties(rules: RuleSet) -> None:
    other = [{"id": "cn-vendor-2", "name": "Other", "country": "CN", "relationship": "vendor"}]
    flows = [us("a", 60_000, start="2026-06-01"),
             us("b", 50_000, to="cn-vendor-2", start="2026-06-01")]
    verdicts = evaluate_estate(estate(*flows, entities=other), AS_OF, rules)
    assert all("us.doj.205.below-bulk" in v.rules_fired for v in verdicts)
