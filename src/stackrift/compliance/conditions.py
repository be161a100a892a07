"""Facts about one system and small composable checks over them (three-valued).

A check answers ``TRUE``, ``FALSE`` or ``UNKNOWN`` and names the fact it read. ``AllOf`` is false
as soon as one part is false (an unknown elsewhere cannot change that) and otherwise unknown if any
part is; ``AnyOf`` mirrors it. Unknown facts therefore give *undetermined*, never a guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from stackrift.compliance.model import AiRole, Conditions, HighRiskRoute, RiskClass

# EU member states (ISO 3166-1 alpha-2; Greece as GR): a user in any of them is a user in the EU.
EU_MEMBERS = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "HU"})


class Truth(StrEnum):
    """Three-valued answer of a check."""

    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"


@dataclass(frozen=True, kw_only=True)
class SystemFacts:
    """What is known of one system; ``None`` means unknown, never 'no'."""

    system_id: str
    users_in: frozenset[str] | None = None
    sites_in: frozenset[str] | None = None
    roles: frozenset[AiRole] | None = None
    risk_class: RiskClass | None = None
    high_risk_route: HighRiskRoute | None = None
    generative: bool | None = None
    public_facing: bool | None = None
    interacts_with_people: bool | None = None
    opinion_influence: bool | None = None
    gpai_provider: bool | None = None
    systemic_risk: bool | None = None
    high_impact: bool | None = None
    frontier_compute: bool | None = None
    recommender: bool | None = None
    consequential_decisions: bool | None = None
    federal: bool | None = None
    cii: bool | None = None
    sector: str | None = None
    mlps_level: int | None = None
    adopted_frameworks: frozenset[str] | None = None


@dataclass(frozen=True)
class CheckResult:
    """A check's answer, the facts that decided it and the facts that were missing."""

    truth: Truth
    reasons: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


class Check(Protocol):
    """Anything that answers true, false or unknown for a system's facts."""

    def evaluate(self, facts: SystemFacts) -> CheckResult: ...


def _within(code: str, jurisdiction: str) -> Truth:
    """Whether a fact's place ``code`` lies in ``jurisdiction``; unknown when only the country of a
    subdivision is known (users 'in US' may or may not be in US-CO)."""
    code, jurisdiction = code.upper(), jurisdiction.upper()
    if code == jurisdiction or code.startswith(jurisdiction + "-"):
        return Truth.TRUE
    if jurisdiction == "EU" and code.split("-")[0] in EU_MEMBERS:
        return Truth.TRUE
    if "-" in jurisdiction and "-" not in code and jurisdiction.split("-")[0] == code:
        return Truth.UNKNOWN
    return Truth.FALSE


def _any_place(places: Iterable[str], targets: Sequence[str]) -> Truth:
    outcomes = {_within(p, t) for p in places for t in targets}
    if Truth.TRUE in outcomes:
        return Truth.TRUE
    return Truth.UNKNOWN if Truth.UNKNOWN in outcomes else Truth.FALSE


@dataclass(frozen=True)
class Reaches:
    """Users or sites in any of the jurisdictions."""

    jurisdictions: tuple[str, ...]
    only: str | None = None  # "users_in" or "sites_in"; both when None

    def evaluate(self, facts: SystemFacts) -> CheckResult:
        where = "/".join(self.jurisdictions)
        names = [self.only] if self.only else ["users_in", "sites_in"]
        groups: list[frozenset[str] | None] = [getattr(facts, n) for n in names]
        outcomes = [_any_place(g, self.jurisdictions) for g in groups if g is not None]
        fact = "/".join(names)
        if Truth.TRUE in outcomes:
            return CheckResult(Truth.TRUE, (f"{fact} reaches {where}",))
        if Truth.UNKNOWN in outcomes or any(g is None for g in groups):
            return CheckResult(Truth.UNKNOWN, missing=(f"{fact} (whether it reaches {where})",))
        return CheckResult(Truth.FALSE, (f"{fact} does not reach {where}",))


@dataclass(frozen=True)
class IsOneOf:
    """A single-valued or set-valued fact takes one of the allowed values."""

    fact: str
    allowed: frozenset[str]

    def evaluate(self, facts: SystemFacts) -> CheckResult:
        value = getattr(facts, self.fact)
        wanted = "/".join(sorted(self.allowed))
        if value is None:
            return CheckResult(Truth.UNKNOWN, missing=(f"{self.fact} (is it {wanted}?)",))
        values = {str(v).lower() for v in value} if isinstance(value, frozenset) else {
            str(value).lower()}
        if values & {a.lower() for a in self.allowed}:
            return CheckResult(Truth.TRUE, (f"{self.fact} is {wanted}",))
        return CheckResult(Truth.FALSE, (f"{self.fact} is not {wanted}",))


@dataclass(frozen=True)
class FlagIs:
    """A yes/no fact has the expected value."""

    fact: str
    expected: bool

    def evaluate(self, facts: SystemFacts) -> CheckResult:
        value: bool | None = getattr(facts, self.fact)
        if value is None:
            return CheckResult(Truth.UNKNOWN, missing=(self.fact,))
        said = self.fact if value else f"not {self.fact}"
        return CheckResult(Truth.TRUE if value == self.expected else Truth.FALSE, (said,))


@dataclass(frozen=True)
class AtLeast:
    """A numeric fact is at least a minimum."""

    fact: str
    minimum: int

    def evaluate(self, facts: SystemFacts) -> CheckResult:
        value: int | None = getattr(facts, self.fact)
        if value is None:
            return CheckResult(Truth.UNKNOWN, missing=(f"{self.fact} (at least {self.minimum}?)",))
        truth = Truth.TRUE if value >= self.minimum else Truth.FALSE
        return CheckResult(truth, (f"{self.fact} is {value}",))


@dataclass(frozen=True)
class AllOf:
    """Every part holds (false as soon as one part is false)."""

    parts: tuple[Check, ...] = field(default=())

    def evaluate(self, facts: SystemFacts) -> CheckResult:
        reasons: list[str] = []
        missing: list[str] = []
        for part in self.parts:
            result = part.evaluate(facts)
            if result.truth is Truth.FALSE:  # one false part decides, whatever is unknown
                return CheckResult(Truth.FALSE, result.reasons)
            reasons.extend(result.reasons)
            missing.extend(result.missing)
        return CheckResult(Truth.UNKNOWN if missing else Truth.TRUE, tuple(reasons),
                           tuple(missing))


@dataclass(frozen=True)
class AnyOf:
    """At least one part holds (true as soon as one part is true)."""

    parts: tuple[Check, ...]

    def evaluate(self, facts: SystemFacts) -> CheckResult:
        results = [p.evaluate(facts) for p in self.parts]
        true = [r for r in results if r.truth is Truth.TRUE]
        if true:
            return CheckResult(Truth.TRUE, true[0].reasons)
        missing = tuple(x for r in results for x in r.missing)
        if missing:
            return CheckResult(Truth.UNKNOWN, missing=missing)
        return CheckResult(Truth.FALSE, tuple(x for r in results for x in r.reasons))


_FLAGS = ("generative", "public_facing", "interacts_with_people", "opinion_influence",
          "gpai_provider", "systemic_risk", "high_impact", "frontier_compute", "recommender",
          "consequential_decisions", "federal", "cii")


def _place_checks(conditions: Conditions) -> Iterator[Check]:
    if conditions.reaches is not None:
        yield Reaches(conditions.reaches)
    if conditions.users_in is not None:
        yield Reaches(conditions.users_in, only="users_in")
    if conditions.sites_in is not None:
        yield Reaches(conditions.sites_in, only="sites_in")


def _value_checks(conditions: Conditions) -> Iterator[Check]:
    for fact, values in (("roles", conditions.roles), ("risk_class", conditions.risk_classes),
                         ("high_risk_route", conditions.high_risk_routes),
                         ("sector", conditions.sectors)):
        if values is not None:
            yield IsOneOf(fact, frozenset(str(v) for v in values))
    if conditions.mlps_level_at_least is not None:
        yield AtLeast("mlps_level", conditions.mlps_level_at_least)
    if conditions.adopted is not None:
        yield IsOneOf("adopted_frameworks", frozenset({conditions.adopted}))


def _flag_checks(conditions: Conditions) -> Iterator[Check]:
    for flag in _FLAGS:
        expected = getattr(conditions, flag)
        if expected is not None:
            yield FlagIs(flag, expected)


def facts_read(check: Check) -> frozenset[str] | None:
    """The names of the :class:`SystemFacts` fields ``check`` reads; ``None`` for a check of
    another kind (then nothing may be assumed about what it reads)."""
    if isinstance(check, Reaches):
        return frozenset([check.only] if check.only else ["users_in", "sites_in"])
    if isinstance(check, IsOneOf | FlagIs | AtLeast):
        return frozenset({check.fact})
    if isinstance(check, AllOf | AnyOf):
        parts = [facts_read(p) for p in check.parts]
        if any(p is None for p in parts):
            return None
        return frozenset().union(*(p for p in parts if p is not None))
    return None


def to_check(conditions: Conditions | None) -> Check:
    """The check a :class:`Conditions` record describes (no conditions: always true)."""
    if conditions is None:
        return AllOf(())
    parts = [*_place_checks(conditions), *_value_checks(conditions),
             *_flag_checks(conditions)]
    if conditions.any_of:
        parts.append(AnyOf(tuple(to_check(c) for c in conditions.any_of)))
    return AllOf(tuple(parts))
