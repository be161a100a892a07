"""Three-valued evaluation of rule conditions, with a trace of every value compared.

``True``/``False`` when the estate says enough; ``None`` (undetermined) when a fact the condition
needs is unknown. Combinators follow Kleene logic, so an unknown fact only leaves a rule
undetermined when the answer really depends on it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from stackrift.estate.model import DataFlow, Site, System
from stackrift.rules.facts import EstateIndex, FactValue, ownership_fact
from stackrift.rules.model import OWNERSHIP_FACTS, Condition, Volume

Tri = bool | None
MAX_MATCH_INPUT = 2_000



@dataclass
class EvalContext:
    """Everything a condition may look at for one subject."""

    index: EstateIndex
    as_of: date
    subject: DataFlow | System | Site
    facts: Mapping[str, FactValue]
    conditions: Mapping[str, Condition]
    trace: list[str] = field(default_factory=list)
    unknown: set[str] = field(default_factory=set)


def _fmt(value: object) -> str:
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


def _counted_flows(volume: Volume, ctx: EvalContext) -> tuple[list[DataFlow], list[str]]:
    """The flows a volume test sums, and notes on flows left out."""
    flow = ctx.subject
    assert isinstance(flow, DataFlow)
    index = ctx.index
    group = [flow] if volume.per == "flow" else index.group(flow, volume.per)
    start = _window_start(volume, ctx.as_of)
    wanted = frozenset(c.value for c in volume.categories)
    counted: list[DataFlow] = []
    notes: list[str] = []
    for f in group:
        cats = frozenset(c.value for c in f.data_categories)
        if not cats & wanted:
            continue
        if volume.subjects_countries and f.subjects_countries and not (
                {c.upper() for c in volume.subjects_countries} & set(f.subjects_countries)):
            continue
        if f is not flow and not _active(f, start, ctx.as_of):
            notes.append(f"{f.id} outside the window")
            continue
        if volume.exclude is not None and (f is not flow or volume.exclude_self):
            key = (id(volume.exclude), f.id, ctx.as_of)
            excluded = index.memo.get(key)
            if excluded is None:
                probe = EvalContext(index, ctx.as_of, f, index.flow_facts(f), ctx.conditions)
                excluded = evaluate(volume.exclude, probe) is True
                index.memo[key] = excluded
            if excluded:
                notes.append(f"{f.id} excluded")
                continue
        counted.append(f)
    return counted, notes


def _volume(cond: Condition, ctx: EvalContext) -> Tri:
    volume = cond.volume
    assert volume is not None
    counted, notes = _counted_flows(volume, ctx)
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


def _fold(values: tuple[str, ...] | frozenset[str]) -> frozenset[str]:
    """Codes and names compare case-insensitively (``us`` = ``US``, ``H100`` = ``h100``)."""
    return frozenset(v.casefold() for v in values)


def _compare(cond: Condition, value: FactValue) -> tuple[str, bool]:
    if cond.eq is not None:
        if isinstance(value, float) and isinstance(cond.eq, int | float):
            return f"= {_fmt(float(cond.eq))}", value == float(cond.eq)
        if isinstance(value, str) and isinstance(cond.eq, str):
            return f"= {cond.eq}", value.casefold() == cond.eq.casefold()
        return f"= {cond.eq}", value == cond.eq
    if cond.in_ is not None:
        return f"in {_fmt(cond.in_)}", str(value).casefold() in _fold(cond.in_)
    if cond.not_in is not None:
        return f"not in {_fmt(cond.not_in)}", str(value).casefold() not in _fold(cond.not_in)
    if cond.matches is not None:
        # Bounded input as well as bounded patterns (see model._check_pattern).
        return (f"matches /{cond.matches}/",
                re.search(cond.matches, str(value)[:MAX_MATCH_INPUT], re.IGNORECASE) is not None)
    if isinstance(value, float):
        for op, symbol in (("gt", ">"), ("gte", "≥"), ("lt", "<"), ("lte", "≤")):
            threshold = getattr(cond, op)
            if threshold is not None:
                passed = {"gt": value > threshold, "gte": value >= threshold,
                          "lt": value < threshold, "lte": value <= threshold}[op]
                return f"{symbol} {_fmt(float(threshold))}", passed
    if isinstance(value, frozenset):
        value = _fold(value)
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
    return "cannot be compared", False


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
        return _volume(cond, ctx)
    return _fact(cond, ctx)
