"""Properties over the whole range of volumes: the tier a count falls in never depends on anything
but the thresholds."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.rules.rules_helpers import estate, flow

from stackrift.rules.engine import evaluate_estate, load_rule_set

RULES = load_rule_set()
AS_OF = date(2026, 11, 29)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=3_000_000))
def test_cac_tier_follows_the_thresholds(subjects: int) -> None:
    spec = flow("f", "cn-dc", "us-dc", ["personal"], subjects=subjects, subjects_countries=["CN"])
    fired = set(evaluate_estate(estate(spec), AS_OF, RULES)[0].rules_fired)
    tiers = {"cn.cac.5.under-100k", "cn.cac.8.nonsensitive-100k", "cn.cac.7.nonsensitive-1m"}
    expected = ("cn.cac.5.under-100k" if subjects < 100_000 else
                "cn.cac.8.nonsensitive-100k" if subjects < 1_000_000 else
                "cn.cac.7.nonsensitive-1m")
    assert fired & tiers == {expected}


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=400_000), st.integers(min_value=0, max_value=400_000))
def test_doj_identifier_threshold_sums_two_flows(first: int, second: int) -> None:
    flows = [flow(name, "us-dc", "cn-vendor", ["covered_personal_identifiers"], subjects=count,
                  subjects_countries=["US"], transfer_kind="vendor_agreement",
                  start="2026-06-01")
             for name, count in (("a", first), ("b", second))]
    verdict = evaluate_estate(estate(*flows), AS_OF, RULES)[0]
    restricted = "us.doj.401.restricted" in verdict.rules_fired
    assert restricted is (first + second > 100_000)
