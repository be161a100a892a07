"""Three-valued evaluation of rule conditions, with a trace of every value compared.

``True``/``False`` when the estate says enough; ``None`` (undetermined) when a fact the condition
needs is unknown. Combinators follow Kleene logic, so an unknown fact only leaves a rule
undetermined when the answer really depends on it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from stackrift.estate.model import DataFlow, Site, System
from stackrift.rules.facts import EstateIndex, FactValue, ownership_fact
from stackrift.rules.model import OWNERSHIP_FACTS, Condition, Scalar, Volume

Tri = bool | None
MAX_MATCH_INPUT = 2_000


@dataclass
class EvalContext:
    """Everything a condition may look at for one subject.

    With ``tracing`` off, compiled conditions skip writing the trace (the engine re-runs a rule
    with tracing on only when the rule fires, the one case whose trace is reported)."""

    index: EstateIndex
    as_of: date
    subject: DataFlow | System | Site
    facts: Mapping[str, FactValue]
    conditions: Mapping[str, Condition]
    trace: list[str] = field(default_factory=list)
    unknown: set[str] = field(default_factory=set)
    tracing: bool = True
    named_results: dict[tuple[int, str], tuple[Tri, frozenset[str]]] | None = None
    """Results of named conditions already evaluated for this subject (untraced), shared by the
    rules that refer to them; ``None`` when not shared."""


def _fmt(value: object) -> str:
    """A fact value or operand as traces show it; sets of text (the facts' sets) and tuples of
    a rule's operands are formatted once, since traces repeat them."""
    if isinstance(value, frozenset | tuple):
        return _fmt_collection(value)
    return _fmt_any(value)


@lru_cache(maxsize=8192)
def _fmt_collection(value: frozenset[object] | tuple[object, ...]) -> str:
    return _fmt_any(value)


def _fmt_any(value: object) -> str:
    if isinstance(value, frozenset | set | tuple | list):
        return "[" + ", ".join(sorted(str(v) for v in value)) + "]"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    return str(value)


def _window_start(volume: Volume, as_of: date) -> date | None:
    if volume.window == "calendar_year":
        return date(as_of.year, 1, 1)
    if volume.window == "since_previous_year":
        # "自上年1月1日起": from 1 January of the year before the as-of year.
        return date(as_of.year - 1, 1, 1)
    if volume.window == "rolling_12_months":
        try:
            return as_of.replace(year=as_of.year - 1) + timedelta(days=1)
        except ValueError:  # 29 February
            return date(as_of.year - 1, 3, 1)
    return None


def _active(flow: DataFlow, start: date | None, as_of: date) -> bool:
    if start is None:
        return True
    began = flow.start is None or flow.start <= as_of
    return began and (flow.end is None or flow.end >= start)


def _flow_status(volume: Volume, ctx: EvalContext, f: DataFlow, exclude: Compiled,
                 evaluated: bool) -> str | None:
    """Whether a volume test counts flow ``f``: ``"counted"``, a note on why it is left out, or
    ``None`` when it is not the kind of flow counted. ``evaluated``: ``f`` is the flow under
    evaluation (always in its window; excluded only with ``exclude_self``)."""
    index = ctx.index
    cats = frozenset(c.value for c in f.data_categories)
    if not cats & frozenset(c.value for c in volume.categories):
        return None
    if volume.subjects_countries and f.subjects_countries and not (
            {c.upper() for c in volume.subjects_countries} & set(f.subjects_countries)):
        return None
    if not evaluated and not _active(f, _window_start(volume, ctx.as_of), ctx.as_of):
        return f"{f.id} outside the window"
    if volume.exclude is not None and (not evaluated or volume.exclude_self):
        key = (id(volume.exclude), f.id, ctx.as_of)
        excluded = index.memo.get(key)
        if excluded is None:
            probe = EvalContext(index, ctx.as_of, f, index.flow_facts(f), ctx.conditions,
                                tracing=False)
            excluded = exclude(probe) is True
            index.memo[key] = excluded
        if excluded:
            return f"{f.id} excluded"
    return "counted"


def _counted_flows(volume: Volume, ctx: EvalContext, exclude: Compiled
                   ) -> tuple[list[DataFlow], list[str]]:
    """The flows a volume test sums, and notes on flows left out (``exclude`` evaluates
    ``volume.exclude``)."""
    flow = ctx.subject
    assert isinstance(flow, DataFlow)
    index = ctx.index
    group = [flow] if volume.per == "flow" else index.group(flow, volume.per)
    others: dict[int, str | None] = {}
    if len(group) > 1 and not index.memoise_groups:
        others = {id(f): _flow_status(volume, ctx, f, exclude, evaluated=False)
                  for f in group if f is not flow}
    elif len(group) > 1:
        # The other flows of a group are counted or not whichever flow of it is evaluated:
        # decided once per group rather than once per flow of the group.
        key = (id(volume), index.group_key(flow, volume.per), ctx.as_of)
        known = index.volume_memo.get(key)
        if known is None:
            known = {id(f): _flow_status(volume, ctx, f, exclude, evaluated=False)
                     for f in index.group_members(flow, volume.per)}
            index.volume_memo[key] = known
        others = known
    counted: list[DataFlow] = []
    notes: list[str] = []
    for f in group:
        status = (_flow_status(volume, ctx, f, exclude, evaluated=True) if f is flow
                  else others[id(f)])
        if status == "counted":
            counted.append(f)
        elif status is not None:
            notes.append(status)
    return counted, notes


def _volume(cond: Condition, ctx: EvalContext, exclude: Compiled) -> Tri:
    volume = cond.volume
    assert volume is not None
    counted, notes = _counted_flows(volume, ctx, exclude)
    total = 0.0
    missing: list[str] = []
    for f in counted:
        value = f.devices if volume.unit == "devices" else f.subjects
        if value is None:
            missing.append(f.id)
        else:
            total += value
    checks: list[tuple[str, float]] = [(op, v) for op in ("gt", "gte", "lt", "lte")
                                       if (v := getattr(cond, op)) is not None]
    if cond.gt_lowest_of is not None:
        present = {c.value for f in counted for c in f.data_categories}
        limits = [n for c, n in cond.gt_lowest_of.items() if c.value in present]
        if not limits:
            if ctx.tracing:
                ctx.trace.append("volume: no category with a threshold present")
            return False
        checks.append(("gt", float(min(limits))))
    symbols = {"gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}
    start = _window_start(volume, ctx.as_of)
    window = f"since {start}" if start else "this flow"
    results: list[Tri] = []
    for op, threshold in checks:
        passed = {"gt": total > threshold, "gte": total >= threshold,
                  "lt": total < threshold, "lte": total <= threshold}[op]
        if missing:
            # Unknown counts can only add: a lower bound decides ">" once passed, "<" once failed.
            rising = op in ("gt", "gte")
            result: Tri = True if (rising and passed) else (False if not rising and not passed
                                                            else None)
        else:
            result = passed
        results.append(result)
        if not ctx.tracing:
            continue
        ctx.trace.append(
            f"volume {volume.unit} of [{', '.join(sorted(c.value for c in volume.categories))}] "
            f"per {volume.per} {window} = {_fmt(total)} (flows: "
            f"{', '.join(f.id for f in counted) or 'none'}"
            f"{'; unknown count: ' + ', '.join(missing) if missing else ''}"
            f"{'; ' + '; '.join(notes) if notes else ''}) {symbols[op]} {_fmt(threshold)}: "
            f"{'yes' if result else 'undetermined' if result is None else 'no'}")
    if missing:
        ctx.unknown.add(f"{volume.unit} of {', '.join(missing)}")
    return _all(results)


def _all(values: Sequence[Tri]) -> Tri:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _any(values: Sequence[Tri]) -> Tri:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def _fact(cond: Condition, ctx: EvalContext) -> Tri:
    name = cond.fact
    assert name is not None
    if name in OWNERSHIP_FACTS:
        value: FactValue = ownership_fact(ctx.index, name, ctx.subject, cond.countries)
        label = f"{name}[{', '.join(cond.countries)}]"
    else:
        value = ctx.facts.get(name)
        label = name
    if cond.known is not None:
        result: Tri = (value is not None) == cond.known
        ctx.trace.append(f"{label} known = {value is not None}")
        return result
    if value is None:
        ctx.unknown.add(label)
        ctx.trace.append(f"{label} unknown: undetermined")
        return None
    text, result = _compare(cond, value)
    ctx.trace.append(f"{label} = {_fmt(value)} {text}: {'yes' if result else 'no'}")
    return result


@lru_cache(maxsize=4096)  # a rule's operands, folded again for every trace
def _fold(values: tuple[str, ...] | frozenset[str]) -> frozenset[str]:
    """Codes and names compare case-insensitively (``us`` = ``US``, ``H100`` = ``h100``)."""
    return frozenset(v.casefold() for v in values)


def _compare(cond: Condition, value: FactValue) -> tuple[str, bool]:
    if cond.eq is not None:
        return _compare_eq(cond.eq, value)
    if cond.in_ is not None:
        return f"in {_fmt(cond.in_)}", str(value).casefold() in _fold(cond.in_)
    if cond.not_in is not None:
        return f"not in {_fmt(cond.not_in)}", str(value).casefold() not in _fold(cond.not_in)
    if cond.matches is not None:
        # Bounded input as well as bounded patterns (see model._check_pattern).
        return (f"matches /{cond.matches}/",
                re.search(cond.matches, str(value)[:MAX_MATCH_INPUT], re.IGNORECASE) is not None)
    found = (_compare_number(cond, value) if isinstance(value, float)
             else _compare_members(cond, _fold(value)) if isinstance(value, frozenset)
             else None)
    return found if found is not None else ("cannot be compared", False)


def _compare_eq(eq: Scalar, value: FactValue) -> tuple[str, bool]:
    if isinstance(value, float) and isinstance(eq, int | float):
        return f"= {_fmt(float(eq))}", value == float(eq)
    if isinstance(value, str) and isinstance(eq, str):
        return f"= {eq}", value.casefold() == eq.casefold()
    return f"= {eq}", value == eq


def _compare_number(cond: Condition, value: float) -> tuple[str, bool] | None:
    for op, symbol in (("gt", ">"), ("gte", "≥"), ("lt", "<"), ("lte", "≤")):
        threshold = getattr(cond, op)
        if threshold is not None:
            passed = {"gt": value > threshold, "gte": value >= threshold,
                      "lt": value < threshold, "lte": value <= threshold}[op]
            return f"{symbol} {_fmt(float(threshold))}", passed
    return None


def _compare_members(cond: Condition, value: frozenset[str]) -> tuple[str, bool] | None:
    if cond.any_of is not None:
        return f"has any of {_fmt(cond.any_of)}", bool(value & _fold(cond.any_of))
    if cond.all_of is not None:
        return f"has all of {_fmt(cond.all_of)}", _fold(cond.all_of) <= value
    if cond.none_of is not None:
        return f"has none of {_fmt(cond.none_of)}", not value & _fold(cond.none_of)
    if cond.only is not None:
        return f"only within {_fmt(cond.only)}", value <= _fold(cond.only)
    if cond.empty is not None:
        return f"empty is {cond.empty}", (not value) == cond.empty
    return None


def evaluate(cond: Condition, ctx: EvalContext) -> Tri:
    """Evaluate ``cond`` for ``ctx.subject``; appends what was compared to ``ctx.trace``."""
    if cond.all is not None:
        # Short-circuit on the first false child: Kleene "and" is then false whatever follows.
        results: list[Tri] = []
        for child in cond.all:
            results.append(evaluate(child, ctx))
            if results[-1] is False:
                return False
        return _all(results)
    if cond.any is not None:
        results = []
        for child in cond.any:
            results.append(evaluate(child, ctx))
            if results[-1] is True:
                return True
        return _any(results)
    if cond.not_ is not None:
        inner = evaluate(cond.not_, ctx)
        return None if inner is None else not inner
    if cond.ref is not None:
        return evaluate(ctx.conditions[cond.ref], ctx)
    if cond.volume is not None:
        exclusion = cond.volume.exclude
        return _volume(cond, ctx, lambda probe: None if exclusion is None
                       else evaluate(exclusion, probe))
    return _fact(cond, ctx)


# -- compiled conditions -------------------------------------------------------------------------
# The same semantics as evaluate() (tests compare the two on every packaged rule), with the
# condition's shape decided once per rule set rather than once per subject, operands folded and
# patterns compiled ahead, and the trace written only when ctx.tracing is on.

Compiled = Callable[[EvalContext], Tri]
Comparison = Callable[[FactValue], bool]


def compile_condition(cond: Condition, named: Mapping[str, Condition],
                      compiled_named: dict[str, Compiled] | None = None) -> Compiled:
    """A closure equivalent to ``evaluate(cond, ctx)`` for contexts whose ``conditions`` are
    ``named``; ``compiled_named`` shares compiled named conditions between rules of one pack."""
    shared = {} if compiled_named is None else compiled_named
    if cond.all is not None:
        return _compile_all([compile_condition(c, named, shared) for c in cond.all])
    if cond.any is not None:
        return _compile_any([compile_condition(c, named, shared) for c in cond.any])
    if cond.not_ is not None:
        inner = compile_condition(cond.not_, named, shared)
        return lambda ctx: None if (value := inner(ctx)) is None else not value
    if cond.ref is not None:
        return _compile_ref(cond.ref, named, shared)
    if cond.volume is not None:
        exclusion = cond.volume.exclude
        exclude: Compiled = (compile_condition(exclusion, named, shared)
                             if exclusion is not None else (lambda probe: None))
        return lambda ctx: _volume(cond, ctx, exclude)
    return _compile_fact(cond)


def _compile_all(children: list[Compiled]) -> Compiled:
    def all_of(ctx: EvalContext) -> Tri:
        undecided = False
        for child in children:
            value = child(ctx)
            if value is False:
                return False
            undecided = undecided or value is None
        return None if undecided else True
    return all_of


def _compile_any(children: list[Compiled]) -> Compiled:
    def any_of(ctx: EvalContext) -> Tri:
        undecided = False
        for child in children:
            value = child(ctx)
            if value is True:
                return True
            undecided = undecided or value is None
        return None if undecided else False
    return any_of


def _compile_ref(name: str, named: Mapping[str, Condition],
                 shared: dict[str, Compiled]) -> Compiled:
    key = (id(shared), name)
    resolved: list[Compiled] = []

    def target() -> Compiled:
        # Compiled on first use: the loader rejects cycles, but laziness keeps this safe anyway.
        if resolved:
            return resolved[0]
        found = shared.get(name)
        if found is None:
            found = compile_condition(named[name], named, shared)
            shared[name] = found
        resolved.append(found)
        return found

    def ref(ctx: EvalContext) -> Tri:
        results = ctx.named_results
        if results is None or ctx.tracing:
            return target()(ctx)
        known = results.get(key)
        if known is None:
            # Evaluated apart so that the facts it misses are recorded with its result: the
            # same context (untraced) with its own set of unknown facts for the time being.
            outer = ctx.unknown
            ctx.unknown = set()
            try:
                known = (target()(ctx), frozenset(ctx.unknown))
            finally:
                ctx.unknown = outer
            results[key] = known
        if known[1]:
            ctx.unknown |= known[1]
        return known[0]
    return ref


def _fact_reader(cond: Condition) -> tuple[str, Callable[[EvalContext], FactValue]]:
    """The label a fact is traced under, and how to read its value for a subject."""
    name = cond.fact
    assert name is not None
    if name in OWNERSHIP_FACTS:
        countries = cond.countries

        def owned(ctx: EvalContext) -> FactValue:
            return ownership_fact(ctx.index, name, ctx.subject, countries)
        return f"{name}[{', '.join(countries)}]", owned

    def read(ctx: EvalContext) -> FactValue:
        return ctx.facts.get(name)
    return name, read


_MAX_SHOWN_VALUES = 1024
"""Trace lines kept per fact test (one per value seen)."""


def _compile_fact(cond: Condition) -> Compiled:
    label, read = _fact_reader(cond)
    if cond.known is not None:
        wanted = cond.known

        def known(ctx: EvalContext) -> Tri:
            value = read(ctx)
            if ctx.tracing:
                ctx.trace.append(f"{label} known = {value is not None}")
            return (value is not None) == wanted
        return known
    compare = _compile_compare(cond)
    # a test's trace line depends on the value alone, and fired rules trace the same few values
    # flow after flow (keyed by type too: True and 1.0 are equal keys)
    shown: dict[tuple[type, FactValue], str] = {}

    def fact(ctx: EvalContext) -> Tri:
        value = read(ctx)
        if value is None:
            ctx.unknown.add(label)
            if ctx.tracing:
                ctx.trace.append(f"{label} unknown: undetermined")
            return None
        result = compare(value)
        if ctx.tracing:
            key = (type(value), value)
            line = shown.get(key)
            if line is None:
                text, _ = _compare(cond, value)  # the reference wording, only when it is shown
                line = f"{label} = {_fmt(value)} {text}: {'yes' if result else 'no'}"
                if len(shown) < _MAX_SHOWN_VALUES:
                    shown[key] = line
            ctx.trace.append(line)
        return result
    return fact


FactGuard = Callable[[Mapping[str, FactValue]], bool]
"""True when a subject's facts alone make a condition false."""


def compile_guards(cond: Condition, named: Mapping[str, Condition]) -> tuple[FactGuard, ...]:
    """Tests that rule ``cond`` out from the facts alone: one per plain fact test that must
    hold for ``cond`` to hold (a conjunct, directly or through named conditions and nested
    ``all``). A guard is true only when its fact is known and the test fails; ``cond`` then
    evaluates to ``False`` whatever its other parts say, since ``all`` is false as soon as one
    part is (what those parts miss matters only for an undetermined result)."""
    guards: list[FactGuard] = []
    _collect_guards(cond, named, guards, set())
    return tuple(guards)


def admitted_texts(cond: Condition, named: Mapping[str, Condition]
                   ) -> dict[str, frozenset[str]]:
    """For each fact a conjunct of ``cond`` tests with ``eq`` a text or ``in`` texts: the
    casefolded values for which ``cond`` can hold (another known text makes it ``False``, as
    its guard says). Lets an engine index rules by such a fact's value."""
    found: dict[str, frozenset[str]] = {}
    _collect_admitted(cond, named, found, {}, set())
    return found


def admitted_members(cond: Condition, named: Mapping[str, Condition]
                     ) -> dict[str, tuple[frozenset[str], ...]]:
    """For each set fact a conjunct of ``cond`` tests with ``any_of`` alone: the casefolded
    members of each such test. ``cond`` can hold only when the fact's known set meets every
    one of them (otherwise its guard says ``False``). Lets an engine skip rules by a set."""
    found: dict[str, tuple[frozenset[str], ...]] = {}
    _collect_admitted(cond, named, {}, found, set())
    return found


def _collect_admitted(cond: Condition, named: Mapping[str, Condition],
                      texts: dict[str, frozenset[str]],
                      members: dict[str, tuple[frozenset[str], ...]], seen: set[str]) -> None:
    # The same walk as _collect_guards: only tests every firing needs.
    if cond.all is not None:
        for child in cond.all:
            _collect_admitted(child, named, texts, members, seen)
    elif cond.ref is not None:
        if cond.ref in named and cond.ref not in seen:
            seen.add(cond.ref)
            _collect_admitted(named[cond.ref], named, texts, members, seen)
    elif (cond.fact is not None and cond.fact not in OWNERSHIP_FACTS and cond.known is None
          and cond.any is None and cond.not_ is None and cond.volume is None):
        values = None
        if isinstance(cond.eq, str):
            values = frozenset({cond.eq.casefold()})
        elif cond.in_ is not None and cond.eq is None:
            values = _fold(cond.in_)
        if values is not None:
            texts[cond.fact] = texts[cond.fact] & values if cond.fact in texts else values
        elif (cond.any_of is not None and cond.eq is None and cond.not_in is None
              and cond.matches is None):
            # a set fact is decided by its first set test, any_of (see _compile_compare)
            members[cond.fact] = (*members.get(cond.fact, ()), _fold(cond.any_of))


def combined_guard(guards: tuple[FactGuard, ...]) -> FactGuard | None:
    """One test that fails when any of ``guards`` does (``None`` without guards)."""
    if not guards:
        return None
    if len(guards) == 1:
        return guards[0]

    def any_fails(facts: Mapping[str, FactValue]) -> bool:
        # a loop, not a chain of closures nor any() over a generator: this runs for every
        # rule on every subject
        for guard in guards:  # noqa: SIM110
            if guard(facts):
                return True
        return False
    return any_fails


def _collect_guards(cond: Condition, named: Mapping[str, Condition], guards: list[FactGuard],
                    seen: set[str]) -> None:
    # The same order of cases as compile_condition and evaluate.
    if cond.all is not None:
        for child in cond.all:
            _collect_guards(child, named, guards, seen)
    elif cond.any is not None or cond.not_ is not None or cond.volume is not None:
        return
    elif cond.ref is not None:
        if cond.ref in named and cond.ref not in seen:
            seen.add(cond.ref)
            _collect_guards(named[cond.ref], named, guards, seen)
    elif cond.fact is not None and cond.fact not in OWNERSHIP_FACTS:
        guards.append(_fact_guard(cond.fact, cond))


def _fact_guard(name: str, cond: Condition) -> FactGuard:
    if cond.known is not None:
        wanted = cond.known
        return lambda facts: (facts.get(name) is not None) != wanted
    compare = _compile_compare(cond)

    def fails(facts: Mapping[str, FactValue]) -> bool:
        value = facts.get(name)
        return value is not None and not compare(value)
    return fails


def _compile_compare(cond: Condition) -> Comparison:
    """The comparison ``_compare`` makes, with its operands prepared once."""
    if cond.eq is not None:
        return _compile_eq(cond.eq)
    for members, inside in ((cond.in_, True), (cond.not_in, False)):
        if members is not None:
            folded = _fold(members)
            return lambda value: (str(value).casefold() in folded) is inside
    if cond.matches is not None:
        pattern = re.compile(cond.matches, re.IGNORECASE)
        return lambda value: pattern.search(str(value)[:MAX_MATCH_INPUT]) is not None
    number = _compile_number(cond)
    members_test = _compile_set(cond)

    def compare(value: FactValue) -> bool:
        if isinstance(value, float) and number is not None:
            return number(value)
        if isinstance(value, frozenset) and members_test is not None:
            return members_test(casefolded(value))
        return False
    return compare


@lru_cache(maxsize=4096)
def casefolded(value: frozenset[str]) -> frozenset[str]:
    """A set fact's members case-folded: the same few sets (categories, countries) are
    tested by rule after rule, flow after flow."""
    return frozenset(v.casefold() for v in value)


def _compile_eq(eq: Scalar) -> Comparison:
    as_number = float(eq) if isinstance(eq, int | float) else None
    as_text = eq.casefold() if isinstance(eq, str) else None

    def equals(value: FactValue) -> bool:
        if isinstance(value, float) and as_number is not None:
            return value == as_number
        if isinstance(value, str) and as_text is not None:
            return value.casefold() == as_text
        return value == eq
    return equals


def _compile_number(cond: Condition) -> Callable[[float], bool] | None:
    if cond.gt is not None:
        gt = cond.gt
        return lambda value: value > gt
    if cond.gte is not None:
        gte = cond.gte
        return lambda value: value >= gte
    if cond.lt is not None:
        lt = cond.lt
        return lambda value: value < lt
    if cond.lte is not None:
        lte = cond.lte
        return lambda value: value <= lte
    return None


def _compile_set(cond: Condition) -> Callable[[frozenset[str]], bool] | None:
    if cond.any_of is not None:
        any_of = _fold(cond.any_of)
        return lambda value: bool(value & any_of)
    if cond.all_of is not None:
        all_of = _fold(cond.all_of)
        return lambda value: all_of <= value
    if cond.none_of is not None:
        none_of = _fold(cond.none_of)
        return lambda value: not value & none_of
    if cond.only is not None:
        only = _fold(cond.only)
        return lambda value: value <= only
    if cond.empty is not None:
        empty = cond.empty
        return lambda value: (not value) == empty
    return None
