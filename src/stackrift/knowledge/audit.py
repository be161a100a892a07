"""Audit a knowledge set: which facts lack a source, are unverified, stale, overtaken by an
in-force date, or contradict another pack.

Categories (see docs/knowledge.md):

- ``no-source``: a record that states a fact cites nothing.
- ``unverified``: the record or one of its citations is ``unverified`` (with the reason given,
  or a note that none is).
- ``not-checked``: a citation has no ``checked_on`` date, or one older than the window.
- ``in-force-since-check``: a date the fact depends on (in force from / until) falls after the
  citation was checked and on or before the as-of date, so the law may have moved since.
- ``contradiction``: two records disagree: the same instrument and section cited with different
  in-force dates; a rule pack's country list that nearly matches a Country Group but lacks some
  of its members; a rule citing an ECCN whose sites miss destinations of the catalogue's control
  for that ECCN; the provider table naming another country than the catalogue.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from stackrift.errors import UsageError
from stackrift.findings import Citation
from stackrift.knowledge.facts import Fact, FactKind, read_facts

# A pack's country list covering at least this share of a group's members is taken to mean
# that group; members it lacks are then a contradiction rather than a different list.
GROUP_LIKENESS = 0.75
_COUNTRY_OPERATORS = ("in", "not_in", "any_of", "all_of", "none_of", "only")


class Category(StrEnum):
    NO_SOURCE = "no-source"
    UNVERIFIED = "unverified"
    NOT_CHECKED = "not-checked"
    IN_FORCE_SINCE_CHECK = "in-force-since-check"
    CONTRADICTION = "contradiction"


@dataclass(frozen=True)
class AuditItem:
    """One fact (or pair of facts) at issue."""

    category: Category
    kind: str
    id: str
    where: str
    message: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"category": self.category.value, "kind": self.kind, "id": self.id,
                "where": self.where, "message": self.message, "detail": self.detail}


@dataclass(frozen=True)
class AuditReport:
    """The audit's result and what it looked at."""

    as_of: date
    older_than_days: int
    items: tuple[AuditItem, ...]
    facts_by_kind: dict[str, int]
    citations: int

    def counts(self) -> dict[str, int]:
        found = Counter(i.category for i in self.items)
        return {c.value: found.get(c, 0) for c in Category}

    def to_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "older_than_days": self.older_than_days,
                "looked_at": {"facts_by_kind": self.facts_by_kind, "citations": self.citations},
                "counts": self.counts(), "items": [i.to_json() for i in self.items]}


def parse_window(text: str) -> int:
    """``180d``, ``26w`` or a plain number of days, as days."""
    value = text.strip().lower()
    factor = {"d": 1, "w": 7}.get(value[-1:], 0)
    digits = value[:-1] if factor else value
    if not digits.isdigit() or int(digits) > 100_000:
        raise UsageError(f"--older-than: '{text}' is not a window; expected days or weeks such "
                         "as 180d or 26w")
    return int(digits) * (factor or 1)


def audit_set(root: Path, *, as_of: date, older_than_days: int) -> AuditReport:
    """Audit every fact-carrying record of the knowledge set at ``root``.

    The set is first loaded the way StackRift uses it, so a malformed record is an error (exit 2)
    rather than a record the audit silently cannot see.
    """
    from stackrift.knowledge.install import validate_set

    validate_set(root)
    facts = read_facts(root)
    oldest_ok = as_of - timedelta(days=older_than_days)
    items: list[AuditItem] = []
    for fact in facts:
        items += _sources(fact)
        items += _unverified(fact)
        items += _checks(fact, oldest_ok, as_of)
    items += _instrument_dates(facts)
    items += _country_lists(facts)
    items += _control_reach(facts)
    items += _provider_countries(facts, root)
    order = list(Category)
    items.sort(key=lambda i: (order.index(i.category), i.where.split(":")[0], i.kind, i.id))
    return AuditReport(as_of, older_than_days, tuple(items),
                       dict(sorted(Counter(f.kind.value for f in facts).items())),
                       sum(len(f.citations) for f in facts))


def _item(category: Category, fact: Fact, message: str, **detail: Any) -> AuditItem:
    return AuditItem(category, fact.kind.value, fact.id, fact.where, message, detail)


def _sources(fact: Fact) -> Iterator[AuditItem]:
    if fact.needs_source and not fact.citations:
        yield _item(Category.NO_SOURCE, fact, "cites no source")


def _unverified(fact: Fact) -> Iterator[AuditItem]:
    reasons = [c.unverified_reason for c in fact.citations
               if c.confidence == "unverified" and c.unverified_reason]
    if fact.unverified_reason:
        reasons.insert(0, fact.unverified_reason)
    if fact.confidence != "unverified" and not any(c.confidence == "unverified"
                                                     for c in fact.citations):
        return
    reason = "; ".join(dict.fromkeys(reasons)) or None
    yield _item(Category.UNVERIFIED, fact,
                f"unverified: {reason}" if reason else "unverified, and no reason is given",
                reason=reason)


def _checks(fact: Fact, oldest_ok: date, as_of: date) -> Iterator[AuditItem]:
    for citation in fact.citations:
        label = str(citation)
        if citation.checked_on is None:
            yield _item(Category.NOT_CHECKED, fact, f"{label}: never checked (no checked_on)",
                        citation=label, checked_on=None)
            continue
        if citation.checked_on < oldest_ok:
            yield _item(Category.NOT_CHECKED, fact, f"{label}: last checked "
                        f"{citation.checked_on}, before {oldest_ok}", citation=label,
                        checked_on=citation.checked_on.isoformat())
        yield from _moved_since(fact, citation, citation.checked_on, as_of)


def _moved_since(fact: Fact, citation: Citation, checked: date, as_of: date
                 ) -> Iterator[AuditItem]:
    starts = citation.in_force_from or fact.in_force_from
    ends = citation.in_force_until or fact.in_force_until
    if starts is not None and checked < starts <= as_of:
        yield _item(Category.IN_FORCE_SINCE_CHECK, fact, f"{citation}: in force from {starts}, "
                    f"after it was checked on {checked}", citation=str(citation),
                    checked_on=checked.isoformat(), date=starts.isoformat(), edge="from")
    if ends is not None and checked <= ends < as_of:
        yield _item(Category.IN_FORCE_SINCE_CHECK, fact, f"{citation}: in force until {ends}, "
                    f"which passed after it was checked on {checked}", citation=str(citation),
                    checked_on=checked.isoformat(), date=ends.isoformat(), edge="until")


def _instrument_dates(facts: list[Fact]) -> Iterator[AuditItem]:
    """The same instrument and section cited with different in-force-from dates."""
    seen: dict[tuple[str, str], dict[date, list[Fact]]] = defaultdict(lambda: defaultdict(list))
    for fact in facts:
        for citation in fact.citations:
            if citation.in_force_from is not None:
                key = (_norm(citation.source), _norm(citation.section or ""))
                seen[key][citation.in_force_from].append(fact)
    for (source, section), dates in sorted(seen.items()):
        if len(dates) < 2:
            continue
        first = dates[min(dates)][0]
        uses = {d.isoformat(): sorted({f"{f.kind.value} {f.id} ({f.where})" for f in fs})
                for d, fs in sorted(dates.items())}
        label = f"{source} {section}".strip()
        yield _item(Category.CONTRADICTION, first, f"'{label}' cited with "
                    f"different in-force dates: {', '.join(uses)}", kind="instrument-dates",
                    uses=uses)


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _country_lists(facts: list[Fact]) -> Iterator[AuditItem]:
    """Country lists in rule packs that nearly match a Country Group but lack members of it."""
    groups = _group_members(facts)
    for fact in facts:
        if fact.kind not in (FactKind.CONDITION, FactKind.RULE, FactKind.CONFLICT_SIDE):
            continue
        for fact_name, countries in _country_tests(fact.record):
            for group, members in sorted(groups.items()):
                missing = members - countries
                if not members or not missing:
                    continue
                if len(members & countries) / len(members) >= GROUP_LIKENESS:
                    yield _item(Category.CONTRADICTION, fact,
                                f"{fact_name} list covers {len(members & countries)} of "
                                f"{len(members)} members of Country Group {group} but lacks "
                                f"{', '.join(sorted(missing))}", kind="country-group",
                                group=group, missing=sorted(missing),
                                extra=sorted(countries - members))


def _control_reach(facts: list[Fact]) -> Iterator[AuditItem]:
    """A rule citing an ECCN whose site countries miss destinations the catalogue's export
    control for that ECCN names (the same control, two readings of its country groups)."""
    groups = _group_members(facts)
    controls = [(f, str(f.record.get("eccn") or "").upper(),
                 _expand(f.record.get("destinations") or (), groups))
                for f in facts if f.kind is FactKind.EXPORT_CONTROL
                and isinstance(f.record, Mapping) and f.record.get("eccn")]
    conditions = {(f.file, f.id.partition(":")[2]): f.record for f in facts
                  if f.kind is FactKind.CONDITION}
    for rule in (f for f in facts if f.kind is FactKind.RULE and isinstance(f.record, Mapping)):
        cited = set(_ECCN.findall(" ".join(f"{c.source} {c.section or ''}"
                                           for c in rule.citations).upper()))
        sites = frozenset().union(*(countries for name, countries in
                                    _country_tests(_resolve(rule.record.get("when"), rule.file,
                                                            conditions))
                                    if name in ("site_country", "destination_country")))
        if not cited or not sites:
            continue
        reported: set[str] = set()
        for control, eccn, reach in controls:
            missing = reach - sites
            if eccn[:5] in cited and missing and control.id.split("/")[-1] not in reported:
                reported.add(control.id.split("/")[-1])
                yield _item(Category.CONTRADICTION, rule,
                            f"cites ECCN {eccn[:5]} but its sites leave out {len(missing)} "
                            f"destinations of the catalogue's control {control.id} "
                            f"({control.where}): {', '.join(sorted(missing))}",
                            kind="control-reach", control=control.id, missing=sorted(missing))


_ECCN = re.compile(r"\b(\d[A-E]\d{3})\b")


def _group_members(facts: list[Fact]) -> dict[str, frozenset[str]]:
    return {f.id: frozenset(m for m in f.record.get("members") or () if isinstance(m, str))
            for f in facts if f.kind is FactKind.COUNTRY_GROUP and isinstance(f.record, Mapping)}


def _expand(destinations: Any, groups: Mapping[str, frozenset[str]]) -> frozenset[str]:
    codes: set[str] = set()
    for entry in destinations if isinstance(destinations, list) else ():
        if isinstance(entry, str) and entry != "*":
            codes |= groups.get(entry, frozenset({entry.upper()}))
    return frozenset(codes)


def _resolve(node: Any, file: str, conditions: Mapping[tuple[str, str], Any]) -> Any:
    """A condition tree with its ``ref``s to the pack's named conditions replaced (bounded)."""

    def walk(value: Any, depth: int) -> Any:
        if depth > 20:
            return value
        if isinstance(value, Mapping):
            ref = value.get("ref")
            if isinstance(ref, str) and (file, ref) in conditions:
                return walk(conditions[(file, ref)], depth + 1)
            return {k: walk(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, depth + 1) for v in value]
        return value

    return walk(node, 0)


def _country_tests(node: Any) -> Iterator[tuple[str, frozenset[str]]]:
    """(fact name, countries) for every country test in a condition tree."""
    if isinstance(node, Mapping):
        name = node.get("fact")
        if isinstance(name, str) and "countr" in name:
            for operator in _COUNTRY_OPERATORS:
                values = node.get(operator)
                if isinstance(values, list):
                    yield name, frozenset(v for v in values if isinstance(v, str))
        for value in node.values():
            yield from _country_tests(value)
    elif isinstance(node, list):
        for item in node:
            yield from _country_tests(item)


def _provider_countries(facts: list[Fact], root: Path) -> Iterator[AuditItem]:
    """The rules' provider table against the catalogue's vendor countries."""
    from stackrift.catalog.catalogue import load_catalogue

    catalogue = load_catalogue(root / "catalog" / "data")
    for fact in facts:
        if fact.kind is not FactKind.PROVIDER_COUNTRY:
            continue
        # An entry is a bare country code, or a mapping with the country beside its source.
        country = (fact.record.get("country") if isinstance(fact.record, Mapping)
                   else fact.record)
        vendor = catalogue.vendor_by_name(fact.id)
        if vendor is not None and vendor.country and vendor.country != country:
            yield _item(Category.CONTRADICTION, fact, f"provider table says {country}, the "
                        f"catalogue's vendor '{vendor.id}' says {vendor.country}",
                        kind="provider-country", table=country, catalogue=vendor.country)
