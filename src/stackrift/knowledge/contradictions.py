"""Contradictions between records of a knowledge set, for the audit.

- the same instrument and section cited with different in-force-from dates;
- a rule pack's country list that nearly matches a Country Group (on the as-of date) but lacks
  some of its members;
- an export control of the catalogue whose destinations (on the day its licence requirement
  starts) reach countries that no rule citing the same ECCN, in force that day, covers;
- the rules' provider table naming another country than the catalogue's vendor.

Country Group membership is read from the group's ``members`` plus its dated ``changes``
(``country``, ``from``, ``until``) when the file has them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from stackrift.knowledge.facts import Fact, FactKind
from stackrift.knowledge.items import AuditItem, Category, item

# A pack's country list covering at least this share of a group's members is taken to mean
# that group; members it lacks are then a contradiction rather than a different list.
GROUP_LIKENESS = 0.75
_LIST_OPERATORS = ("in", "not_in", "any_of", "all_of", "none_of", "only")
_SITE_FACTS = ("site_country", "destination_country")
_ECCN = re.compile(r"\b(\d[A-E]\d{3})\b")

Groups = Mapping[str, Mapping[str, Any]]


def contradictions(facts: list[Fact], root: Path, as_of: date) -> Iterator[AuditItem]:
    groups = {f.id: f.record for f in facts
              if f.kind is FactKind.COUNTRY_GROUP and isinstance(f.record, Mapping)}
    yield from _instrument_dates(facts)
    yield from _country_lists(facts, groups, as_of)
    yield from _control_reach(facts, groups, as_of)
    yield from _provider_countries(facts, root)


def members_on(group: Mapping[str, Any], day: date) -> frozenset[str]:
    """A group's members on ``day``: its ``members`` plus dated ``changes`` covering the day."""
    codes = {m for m in group.get("members") or () if isinstance(m, str)}
    for change in group.get("changes") or ():
        if not isinstance(change, Mapping) or not isinstance(change.get("country"), str):
            continue
        start, end = change.get("from"), change.get("until")
        inside = ((not isinstance(start, date) or start <= day)
                  and (not isinstance(end, date) or day < end))
        (codes.add if inside else codes.discard)(change["country"])
    return frozenset(codes)


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
        uses = {d.isoformat(): sorted({f"{f.kind.value} {f.id} ({f.where})" for f in fs})
                for d, fs in sorted(dates.items())}
        label = f"{source} {section}".strip()
        yield item(Category.CONTRADICTION, dates[min(dates)][0], f"'{label}' cited with "
                   f"different in-force dates: {', '.join(uses)}", kind="instrument-dates",
                   uses=uses)


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _country_lists(facts: list[Fact], groups: Groups, as_of: date) -> Iterator[AuditItem]:
    """Country lists in rule packs that nearly match a Country Group but lack members of it."""
    current = {name: members_on(group, as_of) for name, group in sorted(groups.items())}
    for fact in facts:
        if fact.kind not in (FactKind.CONDITION, FactKind.RULE, FactKind.CONFLICT_SIDE):
            continue
        for fact_name, countries in _country_tests(fact.record, _LIST_OPERATORS):
            for group, members in current.items():
                missing = members - countries
                if not members or not missing:
                    continue
                if len(members & countries) / len(members) >= GROUP_LIKENESS:
                    yield item(Category.CONTRADICTION, fact,
                               f"{fact_name} list covers {len(members & countries)} of "
                               f"{len(members)} members of Country Group {group} (on {as_of}) "
                               f"but lacks {', '.join(sorted(missing))}", kind="country-group",
                               group=group, missing=sorted(missing),
                               extra=sorted(countries - members))


def _control_reach(facts: list[Fact], groups: Groups, as_of: date) -> Iterator[AuditItem]:
    """Destinations of a catalogue export control that no rule citing its ECCN covers.

    Checked on the day the control's licence requirement starts (or the as-of date), against
    the union of the site countries of every rule citing that ECCN and in force that day.
    """
    rules = _eccn_rules(facts)
    reported: set[tuple[str, date]] = set()
    for control in facts:
        record = control.record
        if control.kind is not FactKind.EXPORT_CONTROL or not isinstance(record, Mapping):
            continue
        eccn = str(record.get("eccn") or "").upper()[:5]
        day = control.in_force_from or as_of
        covering = [(rule, sites) for rule, cited, sites in rules
                    if eccn in cited and _in_force(rule, day)]
        name = control.id.rpartition("/")[2]
        if not eccn or not covering or (name, day) in reported:
            continue
        reach = _expand(record.get("destinations"), groups, day)
        missing = reach - frozenset().union(*(sites for _, sites in covering))
        if missing:
            reported.add((name, day))
            yield item(Category.CONTRADICTION, covering[0][0],
                       f"on {day} the catalogue's control {control.id} ({control.where}) reaches "
                       f"{', '.join(sorted(missing))}, which no rule citing ECCN {eccn} in force "
                       f"that day covers ({', '.join(r.id for r, _ in covering)})",
                       kind="control-reach", control=control.id, date=day.isoformat(),
                       rules=[r.id for r, _ in covering], missing=sorted(missing))


def _eccn_rules(facts: list[Fact]) -> list[tuple[Fact, set[str], frozenset[str]]]:
    """Rules that cite an ECCN, with the ECCNs and the site countries they test for."""
    conditions = {(f.file, f.id.partition(":")[2]): f.record for f in facts
                  if f.kind is FactKind.CONDITION}
    found = []
    for rule in facts:
        if rule.kind is not FactKind.RULE or not isinstance(rule.record, Mapping):
            continue
        cited = set(_ECCN.findall(" ".join(f"{c.source} {c.section or ''}"
                                           for c in rule.citations).upper()))
        tree = _resolve(rule.record.get("when"), rule.file, conditions)
        sites = frozenset().union(*(countries for name, countries in
                                    _country_tests(tree, ("in", "eq")) if name in _SITE_FACTS))
        if cited and sites:
            found.append((rule, cited, sites))
    return found


def _in_force(fact: Fact, day: date) -> bool:
    return ((fact.in_force_from is None or fact.in_force_from <= day)
            and (fact.in_force_until is None or day <= fact.in_force_until))


def _expand(destinations: Any, groups: Groups, day: date) -> frozenset[str]:
    codes: set[str] = set()
    for entry in destinations if isinstance(destinations, list) else ():
        if isinstance(entry, str) and entry != "*":
            codes |= (members_on(groups[entry], day) if entry in groups
                      else frozenset({entry.upper()}))
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


def _country_tests(node: Any, operators: tuple[str, ...]
                   ) -> Iterator[tuple[str, frozenset[str]]]:
    """(fact name, countries) for every test on a country fact in a condition tree."""
    if isinstance(node, Mapping):
        name = node.get("fact")
        if isinstance(name, str) and "countr" in name:
            for operator in operators:
                values = node.get(operator)
                if isinstance(values, str):
                    values = [values]
                if isinstance(values, list):
                    yield name, frozenset(v for v in values if isinstance(v, str))
        for value in node.values():
            yield from _country_tests(value, operators)
    elif isinstance(node, list):
        for entry in node:
            yield from _country_tests(entry, operators)


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
            yield item(Category.CONTRADICTION, fact, f"provider table says {country}, the "
                       f"catalogue's vendor '{vendor.id}' says {vendor.country}",
                       kind="provider-country", table=country, catalogue=vendor.country)
