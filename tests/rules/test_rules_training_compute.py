"""Rules stated in training compute fire once an estate declares it, and stay open until then."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.rules.rules_helpers import estate

from stackrift.rules.engine import evaluate_systems, load_rule_set

AS_OF = date(2026, 11, 29)


def _system(**extra: Any) -> dict[str, Any]:
    return {
        "id": "lab",
        "name": "Lab model",
        "purpose": "Foundation model research",
        "owner": "cn-sub",
        "site": "cn-dc",
        "generative": True,
        **extra,
    }


def _verdict(**extra: Any):  # type: ignore[no-untyped-def]
    verdicts = evaluate_systems(estate(systems=[_system(**extra)]), AS_OF, load_rule_set())
    return next(v for v in verdicts if v.subject_id == "lab")


def test_undeclared_compute_leaves_outbound_investment_rules_undetermined() -> None:
    verdict = _verdict()
    assert "us.treasury.850.prohibited" in verdict.rules_undetermined
    assert "us.treasury.850.prohibited" not in verdict.rules_fired


def test_compute_above_10e25_in_a_us_owned_chinese_entity_is_prohibited() -> None:
    verdict = _verdict(training_compute_ops=3.0e25)
    assert "us.treasury.850.prohibited" in verdict.rules_fired
    assert verdict.verdict.value == "prohibited"


def test_compute_between_thresholds_is_notifiable_only() -> None:
    verdict = _verdict(training_compute_ops=5.0e23)
    assert "us.treasury.850.notifiable" in verdict.rules_fired
    assert "us.treasury.850.prohibited" not in verdict.rules_fired
    assert verdict.verdict.value != "prohibited"
