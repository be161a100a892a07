"""The evaluation engine: rules as data applied to an estate, as of a date.

Public API (stable; other parts of StackRift call it)::

    load_rule_set(extra_dirs=()) -> RuleSet
    evaluate_estate(estate, as_of, rules) -> tuple[FlowVerdict, ...]
    evaluate_systems(estate, as_of, rules) -> tuple[SubjectVerdict, ...]
    evaluate_sites(estate, as_of, rules) -> tuple[SubjectVerdict, ...]
    detect_conflicts(estate, as_of, rules) -> tuple[ConflictHit, ...]

For each flow every rule in force on ``as_of`` is tested; rules that fire and are not superseded
by another fired rule each give a verdict; the worst verdict wins, and an ``allowed_with`` rule is
satisfied only when one of its mechanism sets is fully in place. Nothing here is legal advice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from stackrift.estate.model import DataFlow, Estate, Site, System
from stackrift.estate.yamlsource import load_yaml_data
from stackrift.findings import Citation
from stackrift.rules.conditions import EvalContext, evaluate
from stackrift.rules.facts import (
    EstateIndex,
    FactValue,
    ProviderCountry,
    site_facts,
    system_facts,
)
from stackrift.rules.loader import RuleSet, load_rules
from stackrift.rules.model import Rule, Scope, Verdict

__all__ = ["Citation", "ConflictHit", "FlowVerdict", "RuleSet", "SubjectVerdict", "Verdict",
           "detect_conflicts", "evaluate_estate", "evaluate_sites", "evaluate_systems",
           "load_rule_set"]

DISCLAIMER = ("Not legal advice: StackRift applies encoded rules to what the estate declares; "
              "a qualified lawyer must confirm every conclusion against the cited sources.")


@dataclass(frozen=True)
class FlowVerdict:
    """The combined verdict of every regime on one data flow, with its explanation."""

    flow_id: str
    verdict: Verdict
    regimes: tuple[str, ...]
    mechanisms_required: tuple[str, ...]
    mechanisms_missing: tuple[str, ...]
    obligations: tuple[str, ...]
    rules_fired: tuple[str, ...]
    citations: tuple[Citation, ...]
    trace: tuple[str, ...]
    origin: str | None = None
    destination: str | None = None
    rules_undetermined: tuple[str, ...] = ()
    missing_facts: tuple[str, ...] = ()
    """Facts the estate must record to decide the rules that leave the verdict undetermined."""
    rules_holding: tuple[str, ...] = ()
    """The undetermined rules that could prohibit the flow or demand a missing mechanism."""

    @property
    def lawful(self) -> bool:
        """Not prohibited, not undetermined, and no required mechanism is missing."""
        return (self.verdict not in (Verdict.PROHIBITED, Verdict.UNDETERMINED)
                and not self.mechanisms_missing)


@dataclass(frozen=True)
class SubjectVerdict:
    """The combined verdict of system-scope (or site-scope) rules on one estate object."""

    kind: Scope
    subject_id: str
    verdict: Verdict
    regimes: tuple[str, ...]
    mechanisms_required: tuple[str, ...]
    mechanisms_missing: tuple[str, ...]
    obligations: tuple[str, ...]
    rules_fired: tuple[str, ...]
    citations: tuple[Citation, ...]
    trace: tuple[str, ...]
    rules_undetermined: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConflictHit:
    """A conflict found on one estate object: both regimes' demands, sources and ways out."""

    conflict_id: str
    title: str
    kind: Scope
    subject_id: str
    related: tuple[tuple[str, str], ...]
    regimes: tuple[str, str]
    demands: tuple[str, str]
    citations: tuple[Citation, Citation]
    why: str
    resolutions: tuple[str, ...]
    severity: str
    confidence: str
    trace: tuple[str, ...]


def packaged_provider_countries() -> ProviderCountry:
    """The catalogue's vendor country, else the rules package's small provider table (both
    from the active knowledge set)."""
    from stackrift.knowledge.sets import knowledge_path

    return _provider_countries(knowledge_path("rules/data") / "providers.yaml")


@cache
def _provider_countries(path: Path) -> ProviderCountry:
    from stackrift.catalog.catalogue import load_catalogue

    catalogue = load_catalogue()
    text = path.read_text("utf-8")
    providers = load_yaml_data(text, str(path)).get("providers")
    table = {name.casefold(): (entry["country"] if isinstance(entry, dict) else entry)
             for name, entry in (providers or {}).items()}

    def lookup(name: str) -> str | None:
        vendor = catalogue.vendor_by_name(name)
        if vendor is not None and vendor.country:
            return vendor.country
        return table.get(name.casefold())

    return lookup


def load_rule_set(extra_dirs: Sequence[Path] = ()) -> RuleSet:
    """The packaged packs plus user packs from ``extra_dirs`` (raises InvalidInputError)."""
    return load_rules(tuple(extra_dirs))


@dataclass
class _Outcome:
    verdict: Verdict
    regimes: set[str]
    required: list[str]
    missing: list[str]
    obligations: list[str]
    fired: list[str]
    undetermined: list[str]
    citations: list[Citation]
    trace: list[str]
    missing_facts: list[str]
    holding: list[str]

    def verdict_fields(self) -> dict[str, Any]:
        """The fields every verdict record shares, frozen into tuples."""
        return {"verdict": self.verdict, "regimes": tuple(sorted(self.regimes)),
                "mechanisms_required": tuple(self.required),
                "mechanisms_missing": tuple(self.missing),
                "obligations": tuple(self.obligations), "rules_fired": tuple(self.fired),
                "citations": tuple(self.citations), "trace": tuple(self.trace),
                "rules_undetermined": tuple(self.undetermined)}

    def flow_fields(self) -> dict[str, Any]:
        """The verdict fields of a flow verdict (subject verdicts have no missing_facts)."""
        return {**self.verdict_fields(), "missing_facts": tuple(self.missing_facts),
                "rules_holding": tuple(self.holding)}


def _restricts(rule: Rule, mechanisms: frozenset[str]) -> bool:
    """Whether ``rule``, were it to fire, could make the verdict unlawful: it prohibits, or it
    demands a mechanism set of which none is fully in place."""
    if rule.outcome is Verdict.PROHIBITED:
        return True
    return bool(rule.mechanisms) and not any(set(s.all_of) <= mechanisms
                                             for s in rule.mechanisms)


def _hold_undetermined(out: _Outcome, rules: RuleSet, superseded_by: Mapping[str, str],
                       missing_facts: Mapping[str, list[str]],
                       mechanisms: frozenset[str]) -> None:
    """Fail closed: an undetermined rule that could prohibit the flow or demand a missing
    mechanism (and that no fired rule displaces) makes the verdict ``undetermined``."""
    deciding = [rid for rid in out.undetermined if rid not in superseded_by
                and (rule := rules.rule(rid)) is not None and _restricts(rule, mechanisms)]
    if not deciding:
        return
    facts = sorted({f for rid in deciding for f in missing_facts[rid]})
    out.missing_facts = facts
    out.holding = deciding
    for rid in deciding:
        rule = rules.rule(rid)
        assert rule is not None
        out.regimes.add(rules.regime_of(rule))
        out.citations.append(rule.cited())
    if out.verdict.rank < Verdict.UNDETERMINED.rank:
        out.verdict = Verdict.UNDETERMINED
        out.trace.insert(0, f"verdict undetermined: {', '.join(deciding)} could prohibit this "
                         f"flow or demand a missing mechanism; record {', '.join(facts)}")


def _apply_fired(out: _Outcome, rules: RuleSet, rule: Rule, lines: list[str],
                 mechanisms: frozenset[str]) -> None:
    """Add one fired, not superseded rule's verdict, mechanisms, duties and trace to ``out``."""
    regime = rules.regime_of(rule)
    verdict = rule.outcome
    note = ""
    if rule.mechanisms:
        options = sorted(rule.mechanisms, key=lambda s: len(set(s.all_of) - mechanisms))
        chosen = options[0]
        gap = [m for m in chosen.all_of if m not in mechanisms]
        out.required += [m for m in chosen.all_of if m not in out.required]
        out.missing += [m for m in gap if m not in out.missing]
        alternatives = " | ".join("+".join(s.all_of) for s in rule.mechanisms)
        note = (f"; needs {alternatives}; in place: {', '.join(sorted(mechanisms)) or 'none'}"
                f"; missing: {', '.join(gap) or 'none'}")
        if gap and rule.if_missing == "prohibited":
            verdict = Verdict.PROHIBITED
            note += " -> prohibited without it"
    out.verdict = max(out.verdict, verdict, key=lambda v: v.rank)
    if verdict is not Verdict.NOT_APPLICABLE:
        out.regimes.add(regime)
    out.fired.append(rule.id)
    out.obligations += [o for o in rule.obligations if o not in out.obligations]
    out.obligations += [f"deadline: {d}" for d in rule.deadlines
                        if f"deadline: {d}" not in out.obligations]
    out.citations.append(rule.cited())
    conf = " (unverified)" if rule.confidence.value == "unverified" else ""
    out.trace.append(f"{rule.id} [{regime}] fired -> {verdict.value}{note}{conf}: "
                     + "; ".join(lines))


def _decide(rules: RuleSet, scope: Scope, index: EstateIndex, subject: DataFlow | System | Site,
            facts: Mapping[str, FactValue], as_of: date, mechanisms: frozenset[str],
            hold_undetermined: bool = False) -> _Outcome:
    fired: dict[str, tuple[Rule, list[str]]] = {}
    undetermined: list[str] = []
    missing_facts: dict[str, list[str]] = {}
    trace: list[str] = []
    for rule in rules.rules:
        if rule.scope is not scope:
            continue
        if not rule.in_force(as_of):
            continue
        ctx = EvalContext(index, as_of, subject, facts, rules.conditions_for(rule.id))
        result = evaluate(rule.when, ctx)
        if result is True:
            fired[rule.id] = (rule, ctx.trace)
        elif result is None:
            undetermined.append(rule.id)
            missing_facts[rule.id] = sorted(ctx.unknown)
            trace.append(f"{rule.id} undetermined: unknown {', '.join(sorted(ctx.unknown))}")
    superseded = {target: rid for rid, (rule, _) in fired.items() for target in rule.supersedes
                  if target in fired}
    # Undetermined rules that a fired (and itself not superseded) rule would displace anyway.
    displaced = {target: rid for rid, (rule, _) in fired.items() if rid not in superseded
                 for target in rule.supersedes if target in undetermined}
    out = _Outcome(Verdict.NOT_APPLICABLE, set(), [], [], [], [], undetermined, [], [], [], [])
    for rid, (rule, lines) in sorted(fired.items()):
        if rid in superseded:
            trace.insert(0, f"{rid} fired but is superseded by {superseded[rid]}")
            continue
        _apply_fired(out, rules, rule, lines, mechanisms)
    out.trace = out.trace + trace
    if hold_undetermined:
        _hold_undetermined(out, rules, displaced, missing_facts, mechanisms)
    for rid in undetermined:
        out.obligations.append(f"establish {', '.join(missing_facts[rid]) or 'the missing facts'}"
                               f" to decide {rid}")
    return out


def _index(estate: Estate, provider_country: ProviderCountry | None) -> EstateIndex:
    return EstateIndex(estate, provider_country if provider_country is not None
                       else packaged_provider_countries())


def evaluate_estate(estate: Estate, as_of: date, rules: RuleSet, *,
                    provider_country: ProviderCountry | None = None) -> tuple[FlowVerdict, ...]:
    """One verdict per data flow, in the estate's order.

    ``provider_country`` maps a site's cloud provider to its home country; by default the packaged
    provenance catalogue answers.
    """
    index = _index(estate, provider_country)
    verdicts = []
    for flow in estate.data_flows:
        facts = index.flow_facts(flow)
        out = _decide(rules, Scope.FLOW, index, flow, facts, as_of,
                      frozenset(m.value for m in flow.mechanisms), hold_undetermined=True)
        origin, destination = facts["origin_country"], facts["destination_country"]
        if not out.fired:
            out.trace.insert(0, f"no rule in force on {as_of} applies to this flow "
                             f"({origin or '?'} -> {destination or '?'})")
        verdicts.append(FlowVerdict(
            flow_id=flow.id, origin=origin if isinstance(origin, str) else None,
            destination=destination if isinstance(destination, str) else None,
            **out.flow_fields()))
    return tuple(verdicts)


_Subject = TypeVar("_Subject", System, Site)


def _subject_verdicts(scope: Scope, index: EstateIndex, subjects: Sequence[_Subject],
                      facts_of: Callable[[EstateIndex, _Subject], Mapping[str, FactValue]],
                      as_of: date, rules: RuleSet) -> tuple[SubjectVerdict, ...]:
    """Verdicts of the ``scope`` rules on each subject (no mechanisms: those belong to flows)."""
    return tuple(
        SubjectVerdict(kind=scope, subject_id=subject.id,
                       **_decide(rules, scope, index, subject, facts_of(index, subject), as_of,
                                 frozenset()).verdict_fields())
        for subject in subjects)


def evaluate_systems(estate: Estate, as_of: date, rules: RuleSet, *,
                     provider_country: ProviderCountry | None = None
                     ) -> tuple[SubjectVerdict, ...]:
    """Verdicts of system-scope rules (AI Act, generative-AI, labelling, export controls)."""
    return _subject_verdicts(Scope.SYSTEM, _index(estate, provider_country), estate.systems,
                             system_facts, as_of, rules)


def evaluate_sites(estate: Estate, as_of: date, rules: RuleSet, *,
                   provider_country: ProviderCountry | None = None) -> tuple[SubjectVerdict, ...]:
    """Verdicts of site-scope rules (e.g. compelled disclosure reaching a provider's region)."""
    return _subject_verdicts(Scope.SITE, _index(estate, provider_country), estate.sites,
                             site_facts, as_of, rules)


def _related(index: EstateIndex, subject: DataFlow | System | Site) -> tuple[tuple[str, str], ...]:
    estate = index.estate
    related: list[tuple[str, str]] = []
    if isinstance(subject, DataFlow):
        related += [("site", r) for r in (subject.source, subject.destination) if r in index.sites]
        related += [("entity", r) for r in (subject.source, subject.destination, subject.recipient)
                    if r is not None and r in index.entities]
        if subject.system:
            related.append(("system", subject.system))
    elif isinstance(subject, System):
        related += [("data_flow", f.id) for f in index.flows_by_system.get(subject.id, [])]
        if subject.site:
            related.append(("site", subject.site))
        if subject.owner:
            related.append(("entity", subject.owner))
    else:
        related += [("system", s.id) for s in estate.systems if s.site == subject.id]
        related += [("data_flow", f.id) for f in estate.data_flows
                    if subject.id in (f.source, f.destination)]
        if subject.entity:
            related.append(("entity", subject.entity))
    return tuple(dict.fromkeys(related))


def detect_conflicts(estate: Estate, as_of: date, rules: RuleSet, *,
                     provider_country: ProviderCountry | None = None) -> tuple[ConflictHit, ...]:
    """Every conflict whose two sides are both in force and both hold on the same object."""
    index = _index(estate, provider_country)
    subjects: dict[Scope, list[tuple[DataFlow | System | Site, Mapping[str, FactValue]]]] = {
        Scope.FLOW: [(f, index.flow_facts(f)) for f in estate.data_flows],
        Scope.SYSTEM: [(s, system_facts(index, s)) for s in estate.systems],
        Scope.SITE: [(s, site_facts(index, s)) for s in estate.sites],
    }
    hits = []
    for conflict in rules.conflicts:
        sides = conflict.sides
        if not all(side.in_force(as_of) for side in sides):
            continue
        conditions = rules.conditions_for(conflict.id)
        for subject, facts in subjects[conflict.scope]:
            traces: list[str] = []
            results = []
            for side in sides:
                ctx = EvalContext(index, as_of, subject, facts, conditions)
                results.append(evaluate(side.when, ctx))
                traces.append(f"{side.regime}: " + "; ".join(ctx.trace))
            if all(r is True for r in results):
                hits.append(ConflictHit(
                    conflict.id, conflict.title, conflict.scope, subject.id,
                    _related(index, subject), (sides[0].regime, sides[1].regime),
                    (sides[0].demand, sides[1].demand), (sides[0].cited(), sides[1].cited()),
                    conflict.why, conflict.resolutions, conflict.severity,
                    conflict.confidence.value, tuple(traces)))
    return tuple(sorted(hits, key=lambda h: (h.conflict_id, h.kind.value, h.subject_id)))
