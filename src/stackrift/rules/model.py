"""The rule-pack format: rules as data, validated with located errors.

A pack is one YAML file holding rules (and, in the conflicts pack, conflicts). A rule selects the
flows, systems or sites it applies to with a :class:`Condition` over named facts (see
:mod:`stackrift.rules.facts`), and states an outcome with the mechanisms, obligations and deadlines
it requires, a citation, in-force dates and a confidence. Nothing here is legal advice.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from stackrift.enums import RankedStrEnum
from stackrift.estate.model import DataCategory, Identifier
from stackrift.findings import Citation


class Verdict(RankedStrEnum):
    """What a rule (or the combination of rules) says about a flow. Later members are worse.

    ``undetermined`` is never a rule's outcome: the engine gives it to a flow when a rule that
    could prohibit it or demand a missing mechanism depends on a fact the estate does not record.
    """

    NOT_APPLICABLE = "not_applicable"
    ALLOWED = "allowed"
    ALLOWED_WITH = "allowed_with"
    UNDETERMINED = "undetermined"
    PROHIBITED = "prohibited"



class Scope(StrEnum):
    """What a rule is evaluated against."""

    FLOW = "flow"
    SYSTEM = "system"
    SITE = "site"


class Confidence(StrEnum):
    """How well the source behind a rule was confirmed (the facts sheet's V and U)."""

    VERIFIED = "verified"
    UNVERIFIED = "unverified"


class PackRecord(BaseModel):
    """Base of every pack record: immutable, and unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


Scalar = str | int | float | bool


class Volume(PackRecord):
    """How many subjects (or devices) a rule counts, over which window and grouping.

    ``per: exporter`` sums every flow the same exporting entity sends out of the flow's origin
    country (the CAC's per-handler count); ``per: counterparty`` sums every flow from the origin
    country to the same recipient (the DOJ's per-counterparty look-back); ``per: flow`` counts the
    flow alone.
    """

    unit: Literal["subjects", "devices"] = "subjects"
    categories: tuple[DataCategory, ...] = Field(min_length=1)
    window: Literal["flow", "calendar_year", "since_previous_year", "rolling_12_months"] = "flow"
    per: Literal["flow", "exporter", "counterparty"] = "flow"
    exclude: Condition | None = Field(
        default=None, description="Flows (other than the one evaluated) for which this flow "
        "condition holds are not counted, e.g. flows an exemption covers.")
    exclude_self: bool = Field(default=False, description="Also apply ``exclude`` to the flow "
                               "being evaluated.")
    subjects_countries: tuple[str, ...] = Field(
        default=(), description="Count only flows concerning subjects of these countries.")


FLOW_FACTS: dict[str, str] = {
    "origin_country": "str", "destination_country": "str", "exporter_country": "str",
    "recipient_country": "str", "recipient_name": "str", "cross_border": "bool",
    "categories": "set",
    "subjects": "number", "devices": "number", "subjects_countries": "set",
    "transfer_kind": "str", "mechanisms": "set", "exporter_ciio": "bool",
    "exporter_data_broker": "bool", "exporter_significant_data_fiduciary": "bool",
    "recipient_dpf_certified": "bool", "recipient_in_group": "bool",
    "recipient_is_exporter_subsidiary": "bool", "government_request": "bool",
    "anonymised": "bool", "purpose": "str", "origin_free_trade_zone": "bool",
    "origin_provider_country": "str", "destination_provider_country": "str",
    "destination_system_origin_countries": "set", "destination_system_users_countries": "set",
    "recipient_ownership": "number", "exporter_ownership": "number",
    "initial_collection": "bool", "on_ftz_negative_list": "bool",
}
SYSTEM_FACTS: dict[str, str] = {
    "site_country": "str", "site_provider_country": "str", "owner_country": "str",
    "owner_ciio": "bool", "users_countries": "set", "public_facing": "bool",
    "generative": "bool", "ai_act_risk": "str", "criticality": "str", "products": "set",
    "purpose": "str",
    "vendors": "set", "inbound_origin_countries": "set", "inbound_categories": "set",
    "inbound_subjects_countries": "set", "inbound_from_ciio": "bool",
    "inbound_origin_count": "number",
    "inbound_from_significant_data_fiduciary": "bool", "owner_ownership": "number",
    "training_compute_ops": "number",
}
SITE_FACTS: dict[str, str] = {
    "site_country": "str", "site_provider_country": "str", "site_operator": "str",
    "site_entity_country": "str", "site_entity_ciio": "bool", "categories": "set",
    "subjects_countries": "set", "site_entity_ownership": "number",
    "site_kind": "str",
}
SCOPE_FACTS: dict[Scope, dict[str, str]] = {Scope.FLOW: FLOW_FACTS, Scope.SYSTEM: SYSTEM_FACTS,
                                            Scope.SITE: SITE_FACTS}
OWNERSHIP_FACTS = frozenset({"recipient_ownership", "exporter_ownership", "owner_ownership",
                             "site_entity_ownership"})

_OPS_BY_TYPE: dict[str, frozenset[str]] = {
    "str": frozenset({"eq", "in_", "not_in", "matches", "known"}),
    "bool": frozenset({"eq", "known"}),
    "number": frozenset({"gt", "gte", "lt", "lte", "eq", "known"}),
    "set": frozenset({"any_of", "all_of", "none_of", "only", "empty", "known"}),
}
MAX_PATTERN = 300
# A group that repeats and is itself repeated, e.g. (a+)+ or (\w*)*: exponential backtracking.
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{]")


def _check_pattern(pattern: str) -> None:
    """Reject patterns that are too long or could backtrack catastrophically on user text."""
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"'matches' pattern is {len(pattern)} characters; at most {MAX_PATTERN}")
    if _NESTED_QUANTIFIER.search(pattern):
        raise ValueError("'matches' pattern repeats a group that itself repeats (catastrophic "
                         "backtracking); use a simpler alternation")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"'matches' is not a valid regular expression ({exc})") from None


_OP_NAMES = ("eq", "in_", "not_in", "matches", "gt", "gte", "lt", "lte", "any_of", "all_of",
             "none_of", "only", "empty", "known")


class Condition(PackRecord):
    """One node of a condition tree: a combinator, a reference, a fact test or a volume test.

    Exactly one of ``all``, ``any``, ``not``, ``ref``, ``fact`` or ``volume`` is given. A fact test
    names one fact and one operator; a volume test compares an aggregated count with ``gt``/
    ``gte``/``lt``/``lte`` or with ``gt_lowest_of`` (the lowest threshold among the listed
    categories that are present, as 28 CFR 202.205(g) does for combined data).
    """

    all: tuple[Condition, ...] | None = None
    any: tuple[Condition, ...] | None = None
    not_: Condition | None = Field(default=None, alias="not")
    ref: str | None = Field(default=None, description="Name of a condition defined in the pack.")
    fact: str | None = None
    countries: tuple[str, ...] = Field(default=(), description="For ownership facts: whose stake.")
    volume: Volume | None = None
    eq: Scalar | None = None
    in_: tuple[str, ...] | None = Field(default=None, alias="in")
    not_in: tuple[str, ...] | None = None
    matches: str | None = None
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None
    gt_lowest_of: dict[DataCategory, int] | None = None
    any_of: tuple[str, ...] | None = None
    all_of: tuple[str, ...] | None = None
    none_of: tuple[str, ...] | None = None
    only: tuple[str, ...] | None = None
    empty: bool | None = None
    known: bool | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        forms = [name for name in ("all", "any", "not_", "ref", "fact", "volume")
                 if getattr(self, name) is not None]
        if len(forms) != 1:
            raise ValueError("a condition needs exactly one of all, any, not, ref, fact, volume "
                             f"(found {', '.join(f.rstrip('_') for f in forms) or 'none'})")
        ops = [op for op in _OP_NAMES if getattr(self, op) is not None]
        if self.volume is not None:
            numeric = [op for op in ("gt", "gte", "lt", "lte") if getattr(self, op) is not None]
            if not numeric and self.gt_lowest_of is None:
                raise ValueError("a volume test needs gt, gte, lt, lte or gt_lowest_of")
            if set(ops) - {"gt", "gte", "lt", "lte"}:
                raise ValueError("a volume test takes only gt, gte, lt, lte, gt_lowest_of")
        elif self.fact is not None:
            if len(ops) != 1:
                raise ValueError(f"fact test on '{self.fact}' needs exactly one operator "
                                 f"(found {', '.join(o.rstrip('_') for o in ops) or 'none'})")
            if self.matches is not None:
                _check_pattern(self.matches)
        elif ops or self.gt_lowest_of is not None:
            raise ValueError("operators belong to a fact or volume test")
        return self

    def check_facts(self, scope: Scope, defined: frozenset[str]
                    ) -> list[tuple[tuple[str | int, ...], str]]:
        """Problems with fact names, operators or references for ``scope``, each with the path
        (relative to this condition) of the node at fault; empty when fine."""
        problems: list[tuple[tuple[str | int, ...], str]] = []
        facts = SCOPE_FACTS[scope]
        children: list[tuple[tuple[str | int, ...], Condition, Scope]] = [
            *((("all", i), c, scope) for i, c in enumerate(self.all or ())),
            *((("any", i), c, scope) for i, c in enumerate(self.any or ())),
            *(((("not",), self.not_, scope),) if self.not_ is not None else ()),
            *(((("volume", "exclude"), self.volume.exclude, Scope.FLOW),)
              if self.volume is not None and self.volume.exclude is not None else ())]
        for path, child, child_scope in children:
            problems += [((*path, *sub), message)
                         for sub, message in child.check_facts(child_scope, defined)]
        if self.ref is not None and self.ref not in defined:
            problems.append((("ref",), f"unknown condition ref '{self.ref}' (defined: "
                             f"{', '.join(sorted(defined)) or 'none'})"))
        if self.volume is not None and scope is not Scope.FLOW:
            problems.append((("volume",), "volume tests apply to flow rules only"))
        if self.fact is not None:
            kind = facts.get(self.fact)
            if kind is None:
                problems.append((("fact",), f"unknown {scope.value} fact '{self.fact}' (known: "
                                 f"{', '.join(sorted(facts))})"))
                return problems
            op = next(o for o in _OP_NAMES if getattr(self, o) is not None)
            if op not in _OPS_BY_TYPE[kind]:
                allowed = ", ".join(sorted(o.rstrip("_") for o in _OPS_BY_TYPE[kind]))
                problems.append(((op.rstrip("_"),), f"operator '{op.rstrip('_')}' does not apply "
                                 f"to {kind} fact '{self.fact}' (use {allowed})"))
            if (self.fact in OWNERSHIP_FACTS) != bool(self.countries):
                problems.append((("fact",), f"'countries' is required with ownership facts and "
                                 f"only with them (fact '{self.fact}')"))
        return problems


class MechanismSet(PackRecord):
    """Mechanisms that together satisfy a rule; a rule lists alternative sets."""

    all_of: tuple[str, ...] = Field(min_length=1)


class InForce:
    """In-force dates and a cited source, shared by rules and conflict sides.

    The fields themselves are declared on each record (pydantic keeps their order there); this
    only names them for the type checker.
    """

    if TYPE_CHECKING:
        citation: Citation
        in_force_from: date
        in_force_until: date | None
        confidence: Confidence

    def in_force(self, as_of: date) -> bool:
        """Whether this applies on ``as_of`` (``in_force_until`` is the last day in force)."""
        return self.in_force_from <= as_of and (self.in_force_until is None
                                                or as_of <= self.in_force_until)

    def cited(self) -> Citation:
        """The citation carrying these in-force dates and this confidence."""
        return self.citation.model_copy(update={
            "in_force_from": self.in_force_from, "in_force_until": self.in_force_until,
            "confidence": self.confidence.value})


class Rule(PackRecord, InForce):
    """One rule: which objects it selects, what it says about them, and its source."""

    id: Identifier
    title: str = Field(min_length=1)
    regime: str | None = Field(default=None, description="Defaults to the pack's regime.")
    scope: Scope = Scope.FLOW
    when: Condition
    outcome: Verdict
    mechanisms: tuple[MechanismSet, ...] = Field(
        default=(), description="Alternative sets of mechanisms; any one set satisfies the rule.")
    if_missing: Literal["allowed_with", "prohibited"] = Field(
        default="allowed_with", description="Verdict when no mechanism set is fully in place.")
    obligations: tuple[str, ...] = ()
    deadlines: tuple[str, ...] = ()
    supersedes: tuple[str, ...] = Field(default=(), description="Rules this one displaces when "
                                        "both fire (e.g. an exemption or a stricter tier).")
    explanation: str | None = None
    citation: Citation
    in_force_from: date
    in_force_until: date | None = None
    confidence: Confidence

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        if self.in_force_until is not None and self.in_force_until < self.in_force_from:
            raise ValueError("in_force_until is before in_force_from")
        if self.mechanisms and self.outcome is not Verdict.ALLOWED_WITH:
            raise ValueError("only an allowed_with rule may require mechanisms")
        if self.outcome is Verdict.UNDETERMINED:
            raise ValueError("'undetermined' is not a rule outcome (the engine reports it when "
                             "a fact is missing); use allowed, allowed_with, prohibited or "
                             "not_applicable")
        return self

    @property
    def can_prohibit(self) -> bool:
        """Whether this rule can give the verdict prohibited (outright or without a mechanism)."""
        return self.outcome is Verdict.PROHIBITED or (
            bool(self.mechanisms) and self.if_missing == "prohibited")


class ConflictSide(PackRecord, InForce):
    """One regime's demand in a conflict."""

    regime: str
    demand: str = Field(min_length=1)
    when: Condition
    citation: Citation
    in_force_from: date
    in_force_until: date | None = None
    confidence: Confidence


class Conflict(PackRecord):
    """Obligations of two regimes on the same object that cannot both be met as things stand."""

    id: Identifier
    title: str = Field(min_length=1)
    scope: Scope
    sides: tuple[ConflictSide, ConflictSide]
    why: str = Field(min_length=1)
    resolutions: tuple[str, ...] = Field(min_length=1)
    severity: Literal["critical", "high", "medium", "low"] = "high"
    confidence: Confidence


class Pack(PackRecord):
    """One rule-pack file."""

    pack: Identifier
    title: str
    regime: str
    version: str
    description: str | None = None
    conditions: dict[str, Condition] = Field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    conflicts: tuple[Conflict, ...] = ()


Volume.model_rebuild()
Condition.model_rebuild()
