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

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache, partial
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypeVar, cast

from stackrift.estate.model import DataFlow, Estate, Site, System
from stackrift.estate.yamlsource import load_yaml_data
from stackrift.findings import Citation
from stackrift.rules.conditions import (
    Compiled,
    EvalContext,
    FactGuard,
    Tri,
    casefolded,
    combined_guard,
    compile_condition,
    compile_guards,
    evaluate,
)
from stackrift.rules.facts import (
    EstateIndex,
    FactValue,
    ProviderCountry,
    site_facts,
    system_facts,
)
from stackrift.rules.loader import RuleSet, load_rules
from stackrift.rules.model import OWNERSHIP_FACTS, Condition, Rule, Scope, Verdict

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
    from stackrift.catalog.countries import packaged_vendor_countries

    vendors = packaged_vendor_countries()
    text = path.read_text("utf-8")
    providers = load_yaml_data(text, str(path)).get("providers")
    table = {name.casefold(): (entry["country"] if isinstance(entry, dict) else entry)
             for name, entry in (providers or {}).items()}

    known: dict[str, str | None] = {}  # asked for every flow end; names are few

    def lookup(name: str) -> str | None:
        if name not in known:
            known[name] = vendors.country(name) or table.get(name.casefold())
        return known[name]

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


_Made = TypeVar("_Made")


def _per_rule(rules: RuleSet, table: str, rule: Rule, extra: Hashable,
              make: Callable[[], _Made]) -> _Made:
    """``make()`` for ``rule`` (and ``extra``), remembered in the rule set's ``table``: thousands
    of flows ask the same few rules the same thing. Kept by the rule's id beside the rule, so
    an id reused by another rule object is never confused with it."""
    made = cast(dict[tuple[int, Hashable], tuple[Rule, _Made]],
                rules.derived.setdefault(table, {}))
    key = (id(rule), extra)
    found = made.get(key)
    if found is None or found[0] is not rule:
        found = made[key] = (rule, make())
    return found[1]


def _citation(rules: RuleSet, rule: Rule) -> Citation:
    """``rule.cited()``, made once per rule set (a citation is immutable: verdicts share it)."""
    return _per_rule(rules, "engine.citations", rule, None, rule.cited)


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
        out.citations.append(_citation(rules, rule))
    if out.verdict.rank < Verdict.UNDETERMINED.rank:
        out.verdict = Verdict.UNDETERMINED
        out.trace.insert(0, f"verdict undetermined: {', '.join(deciding)} could prohibit this "
                         f"flow or demand a missing mechanism; record {', '.join(facts)}")


class _FiredEffect(NamedTuple):
    """What one fired rule adds to a verdict, given the mechanisms in place: the same for every
    flow with those mechanisms, so worked out once per rule set (see ``_fired_effect``)."""

    verdict: Verdict
    regime: str
    required: tuple[str, ...]
    """The mechanisms of the set chosen (the one missing fewest)."""
    missing: tuple[str, ...]
    deadlines: tuple[str, ...]
    """The rule's deadlines as obligation lines."""
    trace_head: str
    """The start of the rule's trace line, before its condition's own lines."""


def _fired_effect(rules: RuleSet, rule: Rule, mechanisms: frozenset[str]) -> _FiredEffect:
    """``_effect_of`` the rule and mechanisms, remembered per rule set: flows repeat the same
    few mechanism sets, rule after rule."""
    return _per_rule(rules, "engine.fired_effects", rule, mechanisms,
                     partial(_effect_of, rules, rule, mechanisms))


def _effect_of(rules: RuleSet, rule: Rule, mechanisms: frozenset[str]) -> _FiredEffect:
    """What ``rule`` adds when it fires on a flow with ``mechanisms`` in place."""
    regime = rules.regime_of(rule)
    verdict = rule.outcome
    note = ""
    required: tuple[str, ...] = ()
    gap: tuple[str, ...] = ()
    if rule.mechanisms:
        options = sorted(rule.mechanisms, key=lambda s: len(set(s.all_of) - mechanisms))
        required = options[0].all_of
        gap = tuple(m for m in required if m not in mechanisms)
        alternatives = " | ".join("+".join(s.all_of) for s in rule.mechanisms)
        note = (f"; needs {alternatives}; in place: {', '.join(sorted(mechanisms)) or 'none'}"
                f"; missing: {', '.join(gap) or 'none'}")
        if gap and rule.if_missing == "prohibited":
            verdict = Verdict.PROHIBITED
            note += " -> prohibited without it"
    conf = " (unverified)" if rule.confidence.value == "unverified" else ""
    return _FiredEffect(verdict, regime, required, gap,
                        tuple(f"deadline: {d}" for d in rule.deadlines),
                        f"{rule.id} [{regime}] fired -> {verdict.value}{note}{conf}: ")


def _apply_fired(out: _Outcome, rules: RuleSet, rule: Rule, lines: list[str],
                 mechanisms: frozenset[str]) -> None:
    """Add one fired, not superseded rule's verdict, mechanisms, duties and trace to ``out``."""
    effect = _fired_effect(rules, rule, mechanisms)
    verdict = effect.verdict
    out.required += [m for m in effect.required if m not in out.required]
    out.missing += [m for m in effect.missing if m not in out.missing]
    out.verdict = max(out.verdict, verdict, key=lambda v: v.rank)
    if verdict is not Verdict.NOT_APPLICABLE:
        out.regimes.add(effect.regime)
    out.fired.append(rule.id)
    out.obligations += [o for o in rule.obligations if o not in out.obligations]
    out.obligations += [d for d in effect.deadlines if d not in out.obligations]
    out.citations.append(_citation(rules, rule))
    out.trace.append(effect.trace_head + "; ".join(lines))


RuleKind = Literal["facts", "own_volume", "group_volume"]
_Memo = tuple[Tri, tuple[str, ...], tuple[str, ...] | None]
"""A rule's cached result, the facts it missed, and its trace when that can be shared."""


@dataclass(frozen=True)
class _CompiledRule:
    """A rule with its condition compiled, and what its result depends on: the subject's facts
    alone (``facts``), also the flow's own counts and id, which its trace names
    (``own_volume``), or other flows of the estate (``group_volume``)."""

    rule: Rule
    when: Compiled
    kind: RuleKind
    conditions: Mapping[str, Condition]
    """The named conditions of the rule's pack."""
    reads: tuple[str, ...] | None = None
    """For a rule that follows no ownership chain: every fact it reads (with a volume test, also
    the facts the test counts with). A ``facts`` rule's result and trace are the same for any
    subject with those values, in any estate; so is a volume rule's result for the only flow of
    a one-flow estate (its volume is then that flow's own count). ``None``: ownership read."""
    read_values: Callable[[Mapping[str, FactValue]], tuple[FactValue, ...]] | None = None
    """The values of ``reads`` in a subject's facts (``None`` for an absent fact), in order."""
    ruled_out: FactGuard | None = None
    """The fact tests the rule needs to fire, as one: true when one fails on a subject's known
    facts, which makes the rule's result ``False`` without evaluating it (``compile_guards``)."""


VOLUME_READS = ("categories", "subjects", "devices", "subjects_countries")
"""What a volume test reads of the flow it counts (see ``_flow_status`` in conditions)."""


def _reads(cond: Condition, named: Mapping[str, Condition], found: set[str],
           seen: set[str]) -> None:
    """Collect the facts ``cond`` reads, following named conditions and volume exclusions."""
    if cond.fact is not None:
        found.add(cond.fact)
    if cond.ref is not None and cond.ref not in seen and cond.ref in named:
        seen.add(cond.ref)
        _reads(named[cond.ref], named, found, seen)
    for child in (*(cond.all or ()), *(cond.any or ()),
                  *((cond.not_,) if cond.not_ is not None else ()),
                  *((cond.volume.exclude,) if cond.volume and cond.volume.exclude else ())):
        _reads(child, named, found, seen)


def _shareable_reads(rule: Rule, kind: RuleKind, named: Mapping[str, Condition]
                     ) -> tuple[str, ...] | None:
    found: set[str] = set() if kind == "facts" else set(VOLUME_READS)
    _reads(rule.when, named, found, set())
    return None if found & OWNERSHIP_FACTS else tuple(sorted(found))


def _values_reader(reads: tuple[str, ...] | None
                   ) -> Callable[[Mapping[str, FactValue]], tuple[FactValue, ...]] | None:
    """``tuple(facts.get(n) for n in reads)``, read in one C call when every fact is present
    (flow facts always hold every name they know; an absent one falls back to ``get``)."""
    if reads is None:
        return None
    if len(reads) < 2:
        return lambda facts: tuple(facts.get(n) for n in reads)
    getter = itemgetter(*reads)

    def read(facts: Mapping[str, FactValue]) -> tuple[FactValue, ...]:
        try:
            return cast(tuple[FactValue, ...], getter(facts))
        except KeyError:
            return tuple(facts.get(n) for n in reads)
    return read


def _kind(cond: Condition, named: Mapping[str, Condition], seen: set[str]) -> RuleKind:
    kinds: list[RuleKind] = []
    if cond.volume is not None:
        kinds.append("own_volume" if cond.volume.per == "flow" else "group_volume")
        if cond.volume.exclude is not None:
            kinds.append(_kind(cond.volume.exclude, named, seen))
    if cond.ref is not None and cond.ref not in seen and cond.ref in named:
        seen.add(cond.ref)
        kinds.append(_kind(named[cond.ref], named, seen))
    for child in (*(cond.all or ()), *(cond.any or ()),
                  *((cond.not_,) if cond.not_ is not None else ())):
        kinds.append(_kind(child, named, seen))
    order: tuple[RuleKind, ...] = ("facts", "own_volume", "group_volume")
    return max(kinds, key=order.index, default="facts")


def _compiled_rules(rules: RuleSet) -> Mapping[Scope, tuple[_CompiledRule, ...]]:
    """Every rule's condition compiled once per rule set, grouped by scope."""
    found = rules.derived.get("engine.compiled_rules")
    if found is None:
        shared: dict[int, dict[str, Compiled]] = {}  # compiled named conditions, per pack
        by_scope: dict[Scope, list[_CompiledRule]] = {scope: [] for scope in Scope}
        for rule in rules.rules:
            named = rules.conditions_for(rule.id)
            compiled = compile_condition(rule.when, named, shared.setdefault(id(named), {}))
            kind = _kind(rule.when, named, set())
            reads = _shareable_reads(rule, kind, named)
            by_scope[rule.scope].append(_CompiledRule(rule, compiled, kind, named, reads,
                                                      _values_reader(reads),
                                                      combined_guard(compile_guards(
                                                          rule.when, named))))
        found = {scope: tuple(entries) for scope, entries in by_scope.items()}
        rules.derived["engine.compiled_rules"] = found
    return cast(Mapping[Scope, tuple[_CompiledRule, ...]], found)


@dataclass  # not frozen: one is made per flow, and a frozen one takes three times as long
class _Subject:
    """One subject to decide, with what the decision may be cached under.

    ``memo`` holds, by rule id, the results of ``facts`` and ``own_volume`` rules for every
    subject with the same facts (and the same entities, which ownership facts follow): such
    subjects share one ``memo``. ``None`` turns the cache off."""

    index: EstateIndex
    item: DataFlow | System | Site
    facts: Mapping[str, FactValue]
    as_of: date
    memo: dict[str, _Memo] | None = None
    named_results: dict[tuple[int, str], tuple[Tri, frozenset[str]]] = field(
        default_factory=dict)
    """Named conditions evaluated for this subject, shared by the rules referring to them."""

    quiet: dict[int, EvalContext] = field(default_factory=dict)
    """One untraced context per pack, reused rule after rule."""

    lone: bool = False
    """The subject is the only flow of its estate (volume results may then be shared)."""
    by_reads: dict[Hashable, _Memo] | None = None
    """Results of rules with known ``reads``, keyed by rule, date and the values read: shared
    between estates (see ``evaluate_estate``'s ``shared_results``). ``None``: not shared."""
    traces: dict[Hashable, tuple[str, ...]] | None = None
    """Traces of fired ``facts`` rules, keyed as ``by_reads``, shared by the subjects of one
    evaluation (a fired rule's trace is written again only for values not seen yet)."""

    def context(self, conditions: Mapping[str, Condition], tracing: bool) -> EvalContext:
        if tracing:
            return EvalContext(self.index, self.as_of, self.item, self.facts, conditions,
                               tracing=True, named_results=self.named_results)
        ctx = self.quiet.get(id(conditions))
        if ctx is None:
            ctx = EvalContext(self.index, self.as_of, self.item, self.facts, conditions,
                              tracing=False, named_results=self.named_results)
            self.quiet[id(conditions)] = ctx
        ctx.unknown = set()
        return ctx


def _judge_compiled(entry: _CompiledRule, subject: _Subject
                    ) -> tuple[Tri, tuple[str, ...], list[str]]:
    """One rule's result, the facts it missed, and its trace when it fired."""
    conditions = entry.conditions
    cacheable = subject.memo is not None and entry.kind != "group_volume"
    memo_key = entry.rule.id
    hit = subject.memo.get(memo_key) if cacheable and subject.memo is not None else None
    wide: Hashable = None
    if hit is None and subject.by_reads is not None and entry.read_values is not None and (
            entry.kind == "facts" or subject.lone):
        wide = (memo_key, subject.as_of, entry.read_values(subject.facts))
        hit = subject.by_reads.get(wide)
    if hit is not None:
        result, unknown, lines = hit
    else:
        ctx = subject.context(conditions, tracing=False)
        result = entry.when(ctx)
        unknown, lines = (tuple(sorted(ctx.unknown)) if ctx.unknown else ()), None
    if result is True and lines is None:
        lines = _fired_trace(entry, subject)
    if cacheable and hit is None and subject.memo is not None:
        # A trace naming the flow's own id and counts (own_volume) is not shared.
        subject.memo[memo_key] = (result, unknown, lines if entry.kind == "facts" else None)
    if wide is not None and subject.by_reads is not None and wide not in subject.by_reads:
        if entry.kind == "facts":
            subject.by_reads[wide] = (result, unknown, lines)
        elif not unknown:  # a volume's trace and unknown counts name the flow: not shared
            subject.by_reads[wide] = (result, (), None)
    return result, unknown, list(lines or ())


def _fired_trace(entry: _CompiledRule, subject: _Subject) -> tuple[str, ...]:
    """The trace of a rule that fired on ``subject``: the rule evaluated again, traced, unless
    a ``facts`` rule fired on the same values read before."""
    key: Hashable = None
    if subject.traces is not None and entry.kind == "facts" and entry.read_values is not None:
        key = (entry.rule.id, subject.as_of, entry.read_values(subject.facts))
        known = subject.traces.get(key)
        if known is not None:
            return known
    traced = subject.context(entry.conditions, tracing=True)
    entry.when(traced)
    lines = tuple(traced.trace)
    if key is not None and subject.traces is not None:
        subject.traces[key] = lines
    return lines


def _judge_reference(rule: Rule, rules: RuleSet, subject: _Subject
                     ) -> tuple[Tri, tuple[str, ...], list[str]]:
    """The same through the reference interpreter (uncompiled, uncached)."""
    ctx = subject.context(rules.conditions_for(rule.id), tracing=True)
    result = evaluate(rule.when, ctx)
    return result, tuple(sorted(ctx.unknown)), ctx.trace


@dataclass
class _Results:
    fired: dict[str, tuple[Rule, list[str]]]
    undetermined: list[str]
    missing_facts: dict[str, list[str]]
    trace: list[str]


def _in_force(rules: RuleSet, scope: Scope, as_of: date) -> tuple[_CompiledRule, ...]:
    """The compiled rules of ``scope`` in force on ``as_of`` (kept for the last date asked)."""
    key = f"engine.in_force.{scope.value}"
    known = rules.derived.get(key)
    if isinstance(known, tuple) and known[0] == as_of:
        return cast(tuple[_CompiledRule, ...], known[1])
    active = tuple(e for e in _compiled_rules(rules)[scope] if e.rule.in_force(as_of))
    rules.derived[key] = (as_of, active)
    return active


@dataclass(frozen=True)
class _Dispatch:
    """In-force rules indexed by the text value of the fact most of them test with ``eq``/``in``
    (e.g. the origin country), then narrowed by the members of the set fact most of them test
    with ``any_of`` (e.g. the data subjects' countries): a rule whose test excludes a subject's
    value would be ruled out by its guard anyway, so it is not even looked at. Order is the
    rule set's."""

    fact: str | None
    every: tuple[_CompiledRule, ...]
    by_value: Mapping[str, tuple[_CompiledRule, ...]]
    unconstrained: tuple[_CompiledRule, ...]
    set_facts: tuple[str, ...] = ()
    """The set facts rules test with ``any_of`` (e.g. data categories, subjects' countries)."""
    set_tests: Mapping[str, tuple[tuple[int, frozenset[str]], ...]] = field(
        default_factory=dict)
    """By rule id: for each of its ``any_of`` tests of a set fact, the fact's position in
    ``set_facts`` and the members the test admits."""
    narrowed: dict[Hashable, tuple[_CompiledRule, ...]] = field(default_factory=dict,
                                                                  compare=False)
    """Candidates already narrowed by set values (subjects repeat the same few sets)."""

    @classmethod
    def of(cls, entries: tuple[_CompiledRule, ...]) -> _Dispatch:
        from collections import Counter

        from stackrift.rules.conditions import admitted_members, admitted_texts

        admitted = [admitted_texts(e.rule.when, e.conditions) for e in entries]
        members = [admitted_members(e.rule.when, e.conditions) for e in entries]
        set_facts = tuple(sorted({fact for found in members for fact in found}))
        set_tests = {e.rule.id: tuple((set_facts.index(fact), admits)
                                      for fact, tests in sorted(found.items())
                                      for admits in tests)
                     for e, found in zip(entries, members, strict=True) if found}
        counts = Counter(fact for found in admitted for fact in found)
        if not counts:
            return cls(None, entries, {}, entries, set_facts, set_tests)
        fact = counts.most_common(1)[0][0]
        values = {v for found in admitted for v in found.get(fact, ())}
        by_value = {v: tuple(e for e, found in zip(entries, admitted, strict=True)
                             if fact not in found or v in found[fact]) for v in values}
        unconstrained = tuple(e for e, found in zip(entries, admitted, strict=True)
                              if fact not in found)
        return cls(fact, entries, by_value, unconstrained, set_facts, set_tests)

    def candidates(self, facts: Mapping[str, FactValue]) -> tuple[_CompiledRule, ...]:
        found = self._by_text(facts)
        if not self.set_facts:
            return found
        # an unknown set (or not a set) skips no rule: its tests are left to the guards
        sets = tuple(value if isinstance(value := facts.get(name), frozenset) else None
                     for name in self.set_facts)
        key = (id(found), sets)
        narrowed = self.narrowed.get(key)
        if narrowed is None:
            folded = [None if value is None else casefolded(value) for value in sets]
            narrowed = tuple(e for e in found if self._admits(e.rule.id, folded))
            if len(self.narrowed) < 8192:
                self.narrowed[key] = narrowed
        return narrowed

    def _admits(self, rule_id: str, folded: list[frozenset[str] | None]) -> bool:
        for position, admits in self.set_tests.get(rule_id, ()):
            value = folded[position]
            if value is not None and not value & admits:
                return False
        return True

    def _by_text(self, facts: Mapping[str, FactValue]) -> tuple[_CompiledRule, ...]:
        if self.fact is None:
            return self.every
        value = facts.get(self.fact)
        if not isinstance(value, str):  # unknown or not a text: every rule is looked at
            return self.every
        return self.by_value.get(value.casefold(), self.unconstrained)


def _dispatch(rules: RuleSet, scope: Scope, as_of: date) -> _Dispatch:
    key = f"engine.dispatch.{scope.value}"
    known = rules.derived.get(key)
    if isinstance(known, tuple) and known[0] == as_of:
        return cast(_Dispatch, known[1])
    made = _Dispatch.of(_in_force(rules, scope, as_of))
    rules.derived[key] = (as_of, made)
    return made


def _rule_results(rules: RuleSet, scope: Scope, subject: _Subject, compiled: bool) -> _Results:
    """Every in-force rule of ``scope`` tested on the subject."""
    found = _Results({}, [], {}, [])
    if compiled:
        facts = subject.facts
        # a rule its guard rules out is False: neither fired nor undetermined, so not listed
        results = [(e.rule, _judge_compiled(e, subject))
                   for e in _dispatch(rules, scope, subject.as_of).candidates(facts)
                   if e.ruled_out is None or not e.ruled_out(facts)]
    else:
        results = [(r, _judge_reference(r, rules, subject)) for r in rules.rules
                   if r.scope is scope and r.in_force(subject.as_of)]
    for rule, (result, unknown, lines) in results:
        if result is True:
            found.fired[rule.id] = (rule, lines)
        elif result is None:
            found.undetermined.append(rule.id)
            found.missing_facts[rule.id] = list(unknown)
            found.trace.append(f"{rule.id} undetermined: unknown {', '.join(unknown)}")
    return found


def _decide(rules: RuleSet, scope: Scope, subject: _Subject, mechanisms: frozenset[str],
            hold_undetermined: bool = False, compiled: bool = True) -> _Outcome:
    found = _rule_results(rules, scope, subject, compiled)
    fired, undetermined, missing_facts, trace = (found.fired, found.undetermined,
                                                 found.missing_facts, found.trace)
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


def _flow_key(index: EstateIndex, flow: DataFlow, facts: Mapping[str, FactValue],
              read: Callable[[Mapping[str, FactValue]], tuple[FactValue, ...]]) -> Hashable:
    """What a flow's ``facts``/``own_volume`` results depend on: the values of the facts flow
    rules read (``read``, in a fixed order), and the exporter and recipient whose ownership
    chains ownership facts follow."""
    exporter, recipient = index.exporter(flow), index.recipient(flow)
    return (read(facts), exporter.id if exporter else None,
            recipient.id if recipient else None)


def _flow_facts_reader(rules: RuleSet) -> Callable[[Mapping[str, FactValue]],
                                                   tuple[FactValue, ...]]:
    """The values of every fact flow rules read (:func:`_facts_read`), in one fixed order."""
    found = rules.derived.get("engine.flow_facts_reader")
    if found is None:
        found = _values_reader(tuple(sorted(_facts_read(rules))))
        rules.derived["engine.flow_facts_reader"] = found
    return cast(Callable[[Mapping[str, FactValue]], tuple[FactValue, ...]], found)


def _facts_read(rules: RuleSet) -> frozenset[str]:
    """Every flow fact a flow rule tests, following named conditions and volume exclusions, and
    the facts a volume test counts with (a flow's own counts and categories)."""
    found = rules.derived.get("engine.flow_facts_read")
    if found is None:
        names: set[str] = {"categories", "subjects", "devices", "subjects_countries"}

        def walk(cond: Condition, named: Mapping[str, Condition], seen: set[str]) -> None:
            if cond.fact is not None:
                names.add(cond.fact)
            if cond.ref is not None and cond.ref not in seen and cond.ref in named:
                seen.add(cond.ref)
                walk(named[cond.ref], named, seen)
            for child in (*(cond.all or ()), *(cond.any or ()),
                          *((cond.not_,) if cond.not_ is not None else ()),
                          *((cond.volume.exclude,) if cond.volume and cond.volume.exclude
                            else ())):
                walk(child, named, seen)

        for rule in rules.rules:
            if rule.scope is Scope.FLOW:
                walk(rule.when, rules.conditions_for(rule.id), set())
        found = frozenset(names)
        rules.derived["engine.flow_facts_read"] = found
    return cast(frozenset[str], found)


def _index(estate: Estate, provider_country: ProviderCountry | None, rules: RuleSet,
           compiled: bool = True) -> EstateIndex:
    """The look-ups over ``estate``, shared by consecutive evaluations of the same (immutable)
    estate object under the same rule set, as ``transfers`` and ``assess`` make for flows,
    systems, sites and conflicts. (The index memoises per condition object; holding the rule
    set keeps those objects, and so the memo's keys, alive.)"""
    lookup = provider_country if provider_country is not None else packaged_provider_countries()
    if not compiled:  # the reference path shares nothing and memoises no group
        return EstateIndex(estate, lookup, memoise_groups=False)
    if _last_index:
        last_estate, last_lookup, last_rules, index = _last_index[0]
        if last_estate is estate and last_lookup is lookup and last_rules is rules:
            return index
    index = EstateIndex(estate, lookup)
    _last_index[:] = [(estate, lookup, rules, index)]
    return index


_last_index: list[tuple[Estate, ProviderCountry, RuleSet, EstateIndex]] = []


def evaluate_estate(estate: Estate, as_of: date, rules: RuleSet, *,
                    provider_country: ProviderCountry | None = None,
                    compiled: bool = True,
                    shared_results: dict[Hashable, _Memo] | None = None
                    ) -> tuple[FlowVerdict, ...]:
    """One verdict per data flow, in the estate's order.

    ``provider_country`` maps a site's cloud provider to its home country; by default the packaged
    provenance catalogue answers. Flows with the same facts share each rule's result (except
    rules that count other flows); ``compiled=False`` evaluates every rule of every flow through
    the reference interpreter instead (tests check that both agree).

    ``shared_results`` carries, from one call to the next, the results of rules that follow no
    ownership chain, keyed by the values they read (volume rules only in one-flow estates: the
    planner evaluates hundreds of those): pass the same dict only with the same ``rules``.
    """
    index = _index(estate, provider_country, rules, compiled)
    memo: dict[Hashable, dict[str, _Memo]] = {}
    read = _flow_facts_reader(rules)
    traces: dict[Hashable, tuple[str, ...]] = {}
    verdicts = []
    for flow in estate.data_flows:
        facts = index.flow_facts(flow)
        shared = memo.setdefault(_flow_key(index, flow, facts, read), {})
        subject = _Subject(index, flow, facts, as_of, shared, lone=len(estate.data_flows) == 1,
                           by_reads=shared_results, traces=traces)
        out = _decide(rules, Scope.FLOW, subject, frozenset(m.value for m in flow.mechanisms),
                      hold_undetermined=True, compiled=compiled)
        origin, destination = facts["origin_country"], facts["destination_country"]
        if not out.fired:
            out.trace.insert(0, f"no rule in force on {as_of} applies to this flow "
                             f"({origin or '?'} -> {destination or '?'})")
        verdicts.append(FlowVerdict(
            flow_id=flow.id, origin=origin if isinstance(origin, str) else None,
            destination=destination if isinstance(destination, str) else None,
            **out.flow_fields()))
    return tuple(verdicts)


_Item = TypeVar("_Item", System, Site)


def _subject_verdicts(scope: Scope, index: EstateIndex, subjects: Sequence[_Item],
                      facts_of: Callable[[EstateIndex, _Item], Mapping[str, FactValue]],
                      as_of: date, rules: RuleSet, compiled: bool) -> tuple[SubjectVerdict, ...]:
    """Verdicts of the ``scope`` rules on each subject (no mechanisms: those belong to flows)."""
    return tuple(
        SubjectVerdict(kind=scope, subject_id=item.id,
                       **_decide(rules, scope, _Subject(index, item, facts_of(index, item), as_of),
                                 frozenset(), compiled=compiled).verdict_fields())
        for item in subjects)


def evaluate_systems(estate: Estate, as_of: date, rules: RuleSet, *,
                     provider_country: ProviderCountry | None = None, compiled: bool = True
                     ) -> tuple[SubjectVerdict, ...]:
    """Verdicts of system-scope rules (AI Act, generative-AI, labelling, export controls)."""
    return _subject_verdicts(Scope.SYSTEM, _index(estate, provider_country, rules, compiled),
                             estate.systems,
                             system_facts, as_of, rules, compiled)


def evaluate_sites(estate: Estate, as_of: date, rules: RuleSet, *,
                   provider_country: ProviderCountry | None = None, compiled: bool = True
                   ) -> tuple[SubjectVerdict, ...]:
    """Verdicts of site-scope rules (e.g. compelled disclosure reaching a provider's region)."""
    return _subject_verdicts(Scope.SITE, _index(estate, provider_country, rules, compiled),
                             estate.sites,
                             site_facts, as_of, rules, compiled)


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


def _side_tests(rules: RuleSet, compiled: bool) -> dict[tuple[str, int], Compiled]:
    """Each conflict side's condition, compiled once per rule set (or interpreted)."""
    if not compiled:
        return {(c.id, i): partial(evaluate, side.when) for c in rules.conflicts
                for i, side in enumerate(c.sides)}
    found = rules.derived.get("engine.compiled_sides")
    if found is None:
        found = {(c.id, i): compile_condition(side.when, rules.conditions_for(c.id))
                 for c in rules.conflicts for i, side in enumerate(c.sides)}
        rules.derived["engine.compiled_sides"] = found
    return cast(dict[tuple[str, int], Compiled], found)


def detect_conflicts(estate: Estate, as_of: date, rules: RuleSet, *,
                     provider_country: ProviderCountry | None = None,
                     compiled: bool = True) -> tuple[ConflictHit, ...]:
    """Every conflict whose two sides are both in force and both hold on the same object."""
    index = _index(estate, provider_country, rules, compiled)
    subjects: dict[Scope, list[tuple[DataFlow | System | Site, Mapping[str, FactValue]]]] = {
        Scope.FLOW: [(f, index.flow_facts(f)) for f in estate.data_flows],
        Scope.SYSTEM: [(s, system_facts(index, s)) for s in estate.systems],
        Scope.SITE: [(s, site_facts(index, s)) for s in estate.sites],
    }
    tests = _side_tests(rules, compiled)
    hits = []
    for conflict in rules.conflicts:
        sides = conflict.sides
        if not all(side.in_force(as_of) for side in sides):
            continue
        conditions = rules.conditions_for(conflict.id)
        side_tests = [tests[(conflict.id, number)] for number in range(len(sides))]
        for subject, facts in subjects[conflict.scope]:
            # untraced first, stopping at the first side that does not hold: most subjects
            # meet no conflict, and only a hit's traces are reported
            if not all(test(EvalContext(index, as_of, subject, facts, conditions,
                                        tracing=False)) is True for test in side_tests):
                continue
            traces: list[str] = []
            for side, test in zip(sides, side_tests, strict=True):
                ctx = EvalContext(index, as_of, subject, facts, conditions)
                test(ctx)
                traces.append(f"{side.regime}: " + "; ".join(ctx.trace))
            hits.append(ConflictHit(
                conflict.id, conflict.title, conflict.scope, subject.id,
                _related(index, subject), (sides[0].regime, sides[1].regime),
                (sides[0].demand, sides[1].demand), (sides[0].cited(), sides[1].cited()),
                conflict.why, conflict.resolutions, conflict.severity,
                conflict.confidence.value, tuple(traces)))
    return tuple(sorted(hits, key=lambda h: (h.conflict_id, h.kind.value, h.subject_id)))
