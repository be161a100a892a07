"""Three-valued checks: unknown facts give unknown, a false part decides an AllOf."""

from __future__ import annotations

from stackrift.compliance.conditions import AllOf, AnyOf, FlagIs, Reaches, Truth, to_check
from stackrift.compliance.model import AiRole, Conditions

from .helpers import facts


def test_unknown_fact_is_unknown_and_named() -> None:
    result = FlagIs("generative", True).evaluate(facts())
    assert result.truth is Truth.UNKNOWN
    assert result.missing == ("generative",)


def test_false_part_decides_all_of_even_with_unknowns() -> None:
    check = AllOf((FlagIs("generative", True), FlagIs("public_facing", True)))
    assert check.evaluate(facts(public_facing=False)).truth is Truth.FALSE
    assert check.evaluate(facts(public_facing=True)).truth is Truth.UNKNOWN
    assert check.evaluate(facts(public_facing=True, generative=True)).truth is Truth.TRUE


def test_any_of_true_wins_over_unknown() -> None:
    check = AnyOf((FlagIs("generative", True), FlagIs("high_impact", True)))
    assert check.evaluate(facts(high_impact=True)).truth is Truth.TRUE
    assert check.evaluate(facts(high_impact=False)).truth is Truth.UNKNOWN
    assert check.evaluate(facts(high_impact=False, generative=False)).truth is Truth.FALSE


def test_eu_membership_and_subdivisions() -> None:
    eu = Reaches(("EU",))
    assert eu.evaluate(facts(users_in=frozenset({"DE"}), sites_in=frozenset({"US"}))
                       ).truth is Truth.TRUE
    assert eu.evaluate(facts(users_in=frozenset({"US"}), sites_in=frozenset({"US"}))
                       ).truth is Truth.FALSE
    # users 'in the US' may or may not be in Colorado: never guessed
    colorado = Reaches(("US-CO",), only="users_in")
    assert colorado.evaluate(facts(users_in=frozenset({"US"}))).truth is Truth.UNKNOWN
    assert colorado.evaluate(facts(users_in=frozenset({"US-CO"}))).truth is Truth.TRUE
    assert colorado.evaluate(facts(users_in=frozenset({"CN"}))).truth is Truth.FALSE


def test_unknown_sites_leave_reach_unknown_when_users_do_not_reach() -> None:
    result = Reaches(("CN",)).evaluate(facts(users_in=frozenset({"DE"})))
    assert result.truth is Truth.UNKNOWN
    assert "users_in/sites_in" in result.missing[0]


def test_conditions_record_becomes_checks() -> None:
    check = to_check(Conditions(roles=(AiRole.PROVIDER,), mlps_level_at_least=3,
                                adopted="iso-iec-42001"))
    known = facts(roles=frozenset({AiRole.PROVIDER}), mlps_level=3,
                  adopted_frameworks=frozenset({"iso-iec-42001"}))
    assert check.evaluate(known).truth is Truth.TRUE
    assert check.evaluate(facts(roles=frozenset({AiRole.PROVIDER}), mlps_level=2)
                          ).truth is Truth.FALSE
    assert to_check(None).evaluate(facts()).truth is Truth.TRUE
