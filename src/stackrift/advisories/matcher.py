"""Matching components against the store: one match per (vulnerability group, component).

A component is matched three ways. ``range``: a record names its package (ecosystem + name from
the purl) and the version is listed or in a range. ``product-text``: a text record (CNVD/CNNVD,
CVE 5 vendor products) names a product that resolves to the component, and the version meets the
text's constraint. ``alias``: a record that did not match by itself but shares the group with one
that did (e.g. a CNVD entry joined by its CVE to the OSV record that matched). Where a package
record for the same package says "not affected", it overrides product text for that group: the
package record's ranges are more precise than free text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from stackrift.advisories.interface import AdvisoryReader, GroupView
from stackrift.advisories.matching import (
    PreparedEntry,
    ecosystem_key,
    key_function,
    purl_identity,
)
from stackrift.advisories.model import Advisory
from stackrift.advisories.products import coordinate_keys, parse_product, product_key, satisfies
from stackrift.advisories.severity import severity_of
from stackrift.severities import Severity

WESTERN = frozenset({"osv", "cve5", "csaf"})
CHINESE = frozenset({"cnvd", "cnnvd"})
AFFECTED_STATUSES = frozenset({"affected", "known_affected", "first_affected", "last_affected"})
METHOD_RANK = {"range": 3, "product-text": 2, "alias": 1}
CONFIDENCE = {"range": 1.0, "alias": 0.9, "catalogue": 0.7, "learned": 0.6, "named": 0.5,
              "coordinates": 0.5}


@dataclass(frozen=True, slots=True)
class Target:
    """A component to match: a purl, or vendor/product text, and a version."""

    ref: str
    name: str
    version: str | None
    purl: str | None = None
    vendor: str | None = None
    product: str | None = None
    systems: tuple[str, ...] = ()
    # (ecosystem, normalised name, version) from the purl, worked out once: matching asks often
    identity: tuple[str, str, str | None] | None = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        identity = purl_identity(self.purl) if self.purl else None
        object.__setattr__(self, "identity", identity)
        if not self.version and identity and identity[2]:
            # the version inside a purl is the component's version
            object.__setattr__(self, "version", identity[2])


_TARGET_SETTERS = tuple(getattr(Target, f.name).__set__ for f in fields(Target))
(_SET_REF, _SET_NAME, _SET_VERSION, _SET_PURL, _SET_VENDOR, _SET_PRODUCT, _SET_SYSTEMS,
 _SET_IDENTITY) = _TARGET_SETTERS


def new_target(ref: str, name: str, version: str | None, purl: str | None = None,
               vendor: str | None = None, product: str | None = None,
               systems: tuple[str, ...] = ()) -> Target:
    """``Target(...)``, each field set through its slot (a scan builds one per component; the
    frozen dataclass's ``__init__`` costs an ``object.__setattr__`` call per field, and a loop
    over the setters costs more than the calls written out)."""
    identity = purl_identity(purl) if purl else None
    if not version and identity and identity[2]:
        version = identity[2]  # the version inside a purl is the component's version
    target: Target = object.__new__(Target)
    _SET_REF(target, ref)
    _SET_NAME(target, name)
    _SET_VERSION(target, version)
    _SET_PURL(target, purl)
    _SET_VENDOR(target, vendor)
    _SET_PRODUCT(target, product)
    _SET_SYSTEMS(target, systems)
    _SET_IDENTITY(target, identity)
    return target


class SourceRecord(NamedTuple):
    """What one record of a matched group says, and how it took part in the match."""

    source: str
    id: str
    published: str | None
    ratings: tuple[dict[str, Any], ...]
    method: str  # range, product-text or alias


class MatchDetails(NamedTuple):
    """What a match's records say per source, worked out once for every component whose match
    has the same records taking part in the same way (shared: do not modify)."""

    method_by_source: dict[str, str]
    first_published: dict[str, str]
    severity_reason: str | None


def match_details(records: tuple[SourceRecord, ...], severity_known: bool) -> MatchDetails:
    """:class:`MatchDetails` of a match's records."""
    best: dict[str, str] = {}
    dates: dict[str, str] = {}
    for record in records:
        if METHOD_RANK[record.method] > METHOD_RANK.get(best.get(record.source, ""), 0):
            best[record.source] = record.method
        if record.published:
            day = record.published[:10]
            if record.source not in dates or day < dates[record.source]:
                dates[record.source] = day
    reason = None
    if not severity_known:
        named = ", ".join(f"{r.source} {r.id}" for r in records)
        reason = f"no CVSS vector or severity rating in any source ({named})"
    return MatchDetails(dict(sorted(best.items())), dict(sorted(dates.items())), reason)


@dataclass(frozen=True, slots=True)
class Match:
    """A vulnerability group matched to one component."""

    target: Target
    group_id: str
    ids: tuple[str, ...]
    sources: tuple[str, ...]
    title: str | None
    severity: Severity
    severity_known: bool
    fixed: tuple[str, ...]
    method: str
    confidence: float
    records: tuple[SourceRecord, ...]
    basis: str = ""
    vex: dict[str, Any] | None = field(default=None)
    # derived from ``records`` (the matcher shares one per group and way of matching)
    details: MatchDetails | None = field(default=None, compare=False, repr=False)

    def _details(self) -> MatchDetails:
        return self.details or match_details(self.records, self.severity_known)

    @property
    def severity_reason(self) -> str | None:
        """Why the severity is unknown (None when some source rates it)."""
        return self._details().severity_reason

    @property
    def method_by_source(self) -> dict[str, str]:
        return dict(self._details().method_by_source)

    @property
    def first_published(self) -> dict[str, str]:
        """Earliest publication date (YYYY-MM-DD) per source."""
        return dict(self._details().first_published)


_MATCH_SETTERS = tuple(getattr(Match, f.name).__set__ for f in fields(Match))


def _new_match(*values: Any) -> Match:
    """``Match(*values)`` with every field given, each set through its slot: a scan builds one
    per finding (10^4–10^5), and the frozen dataclass's ``__init__`` costs an
    ``object.__setattr__`` call per field, twice the cost of the rest of the match."""
    match: Match = object.__new__(Match)
    for setter, value in zip(_MATCH_SETTERS, values, strict=True):
        setter(match, value)
    return match


def _package_entries(record: Advisory, ecosystem: str, name: str) -> tuple[PreparedEntry, ...]:
    """The affected entries of a package record that name this package as affected, prepared
    for deciding the package's versions."""
    from stackrift.advisories.matching import normalise_name

    return tuple(PreparedEntry(a, ecosystem) for a in record.affected
                 if a.name and ecosystem_key(a.ecosystem) == ecosystem
                 and normalise_name(ecosystem, a.name) == name
                 and a.status in AFFECTED_STATUSES)


def _package_verdict(entries: Sequence[PreparedEntry], ecosystem: str, version: str
                     ) -> tuple[bool | None, tuple[str, ...]]:
    """Whether a package record's entries (:func:`_package_entries`) affect this version, and
    the fixed versions they name."""
    if len(entries) == 1:  # most records name a package once
        only = entries[0]
        result = only.affects(version)
        if result:
            return True, tuple(dict.fromkeys(only.fixed_after(version)))
        return result, ()
    verdict: bool | None = None
    fixed: list[str] = []
    for a in entries:
        result = a.affects(version)
        if result:
            verdict = True
            fixed.extend(a.fixed_after(version))
        elif result is False and verdict is None:
            verdict = False
    return verdict, tuple(dict.fromkeys(fixed))


@lru_cache(maxsize=262144)
def _product_text_verdict(product: str, version: str, ecosystem: str | None
                          ) -> tuple[bool | None, tuple[str, ...]]:
    """A product text's version clauses against a version: many records share one text
    (``Google TensorFlow <2.6.0``), so each (text, version) is decided once."""
    parsed = parse_product(product)
    result = satisfies(version, parsed.clauses, key_function(ecosystem))
    fixed = tuple(c.version for c in parsed.clauses if c.op == "<") if result else ()
    return result, fixed


class _TextPlan(NamedTuple):
    """The product-text records that may name a product (:meth:`Matcher._text_plan`)."""

    conditions: tuple[tuple[PreparedEntry | None, str], ...]  # (prepared entry, product text)
    holders: tuple[tuple[int, ...], ...]  # per condition: the records with an entry on it
    # per record: group, (source, id), and its entries as (condition, how its key is known)
    records: tuple[tuple[str, tuple[str, str], tuple[tuple[int, str], ...]], ...]


_NO_TEXT = _TextPlan((), (), ())


@dataclass(frozen=True, slots=True)
class _GroupSummary:
    ids: tuple[str, ...]
    records: tuple[tuple[Advisory, tuple[dict[str, Any], ...]], ...]
    title: str | None
    severity: Severity
    severity_known: bool


def _first_sentence(text: str, limit: int = 160) -> str:
    sentence = " ".join(text.split()).split(". ")[0].rstrip(".")
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rsplit(" ", 1)[0] + "…"


class Matcher:
    """Matches targets against an :class:`AdvisoryReader` (group views are cached)."""

    def __init__(self, store: AdvisoryReader, catalogue_keys: dict[tuple[str, str], set[str]]
                 | None = None, as_of: date | None = None) -> None:
        self.store = store
        # an assessment "as of" a date only uses what had been published by then
        self.cutoff = as_of.isoformat() if as_of else None
        self.catalogue_keys = catalogue_keys or {}
        self._groups: dict[str, GroupView] = {}
        self._summaries: dict[str, _GroupSummary] = {}
        # per package: its records in effect (not withdrawn, published by the cutoff), each
        # with its entries naming the package, prepared once
        self._plans: dict[tuple[str, str], list[tuple[str, tuple[str, str],
                                                       tuple[PreparedEntry, ...]]]] = {}
        self._shapes: dict[tuple[str, frozenset[tuple[tuple[str, str], str]]],
                           tuple[tuple[SourceRecord, ...], str, tuple[str, ...],
                                 MatchDetails]] = {}
        # one query up front saves two per component for the many packages no advisory names
        index = store.index()
        self._known = index.packages
        self._product_map = index.product_map
        self._package_records: dict[tuple[str, str], list[tuple[str, Advisory]]] = {}
        self._key_records: dict[str, list[tuple[str, Advisory]]] = {}
        self._keys_cache: dict[tuple[tuple[str, str] | None, str | None, str | None],
                               dict[str, str]] = {}
        self._text_plans: dict[tuple[tuple[str, str] | None, str | None, str | None],
                               _TextPlan] = {}

    def prefetch(self, targets: Iterable[Target]) -> None:
        """Load the records of every package and product key the targets name in a few
        queries, rather than a few per component."""
        targets = list(targets)
        wanted = {identity[:2] for t in targets
                  if (identity := t.identity) and identity[:2] in self._known}
        wanted.difference_update(self._package_records)
        if wanted:
            found = self.store.lookup(packages=wanted).packages
            for package in wanted:
                self._package_records[package] = found.get(package, [])
        keys = {key for t in targets for key in self.product_keys(t)}
        keys.difference_update(self._key_records)
        if keys:
            by_key = self.store.lookup(product_keys=keys).products
            for key in keys:
                self._key_records[key] = by_key.get(key, [])

    def _records_for(self, ecosystem: str, name: str) -> list[tuple[str, Advisory]]:
        records = self._package_records.get((ecosystem, name))
        if records is None:
            records = list(self.store.lookup(packages=[(ecosystem, name)]).packages
                           .get((ecosystem, name), ()))
        return records

    def _records_for_keys(self, keys: Iterable[str]) -> list[tuple[str, Advisory]]:
        missing = [key for key in keys if key not in self._key_records]
        if missing:
            by_key = self.store.lookup(product_keys=missing).products
            for key in missing:
                self._key_records[key] = by_key.get(key, [])
        seen: set[tuple[str, str, str]] = set()
        found = []
        for key in sorted(keys):
            for group_id, record in self._key_records[key]:
                if (group_id, record.source, record.id) not in seen:
                    seen.add((group_id, record.source, record.id))
                    found.append((group_id, record))
        return found

    def _plan(self, ecosystem: str, name: str
              ) -> list[tuple[str, tuple[str, str], tuple[PreparedEntry, ...]]]:
        """The package's records in effect, each with its prepared entries naming the package
        (worked out once per package however many of its versions are scanned)."""
        plan = self._plans.get((ecosystem, name))
        if plan is None:
            plan = self._plans[(ecosystem, name)] = [
                (group_id, (record.source, record.id), _package_entries(record, ecosystem, name))
                for group_id, record in self._records_for(ecosystem, name)
                if not (record.withdrawn or self._future(record))]
        return plan

    def _future(self, record: Advisory) -> bool:
        return bool(self.cutoff and record.published and record.published[:10] > self.cutoff)

    def _group(self, group_id: str) -> GroupView:
        if group_id not in self._groups:
            view = self.store.groups([group_id]).get(group_id)
            assert view is not None, group_id
            self._groups[group_id] = view
        return self._groups[group_id]

    def product_keys(self, target: Target) -> dict[str, str]:
        """Product keys naming this target, with how the mapping is known (shared: do not
        modify)."""
        identity = target.identity
        package = (identity[0], identity[1]) if identity else None
        cache_key = (package, target.vendor, target.product)
        keys = self._keys_cache.get(cache_key)
        if keys is None:
            keys = self._product_keys(package, target.vendor, target.product)
            if keys:  # none is quick to find again, and most of a large SBOM's packages have none
                self._keys_cache[cache_key] = keys
        return keys

    def _product_keys(self, package: tuple[str, str] | None, vendor: str | None,
                      product: str | None) -> dict[str, str]:
        keys: dict[str, str] = {}
        if package:
            if package in self._known:
                for key, _support in self._product_map.get(package, ()):
                    keys.setdefault(key, "learned")
            for key in self.catalogue_keys.get(package, ()):
                keys.setdefault(key, "catalogue")
            # Maven/npm coordinates written as vendor and product (measured in
            # tests/advisories/test_resolver_sample.py)
            for key in sorted(coordinate_keys(*package)):
                keys.setdefault(key, "coordinates")
        for text in ((f"{vendor} {product}" if vendor and product else None), product):
            if text:
                keys.setdefault(product_key(text), "named")
        return keys

    def match(self, target: Target) -> list[Match]:
        """Every group affecting the target, most severe first."""
        return self.match_all([target])[0]

    def match_all(self, targets: Sequence[Target]) -> list[list[Match]]:
        """:meth:`match` for each target; the matched groups are loaded in a few queries."""
        self.prefetch(targets)
        hits = [self._hits(target) for target in targets]
        missing = {g for found in hits if found for g in found[0] if g not in self._groups}
        if missing:
            self._groups.update(self.store.groups(missing))
        return [sorted((self._build(target, g, by_record, found[1].get(g, []), found[2][g])
                        for g, by_record in found[0].items()),
                       key=lambda m: (-m.severity.rank, m.group_id)) if found and found[0] else []
                for target, found in zip(targets, hits, strict=True)]

    def _hits(self, target: Target) -> tuple[dict[str, dict[tuple[str, str], str]],
                                             dict[str, list[str]], dict[str, str]] | None:
        """For each group affecting the target: which records matched and how, the fixed
        versions they name, and the basis of the match."""
        if not target.version:
            return None
        identity = target.identity
        version = identity[2] if identity and identity[2] else target.version
        ecosystem = identity[0] if identity else None
        methods: dict[str, dict[tuple[str, str], str]] = {}
        fixed: dict[str, list[str]] = {}
        excluded: set[str] = set()
        basis: dict[str, str] = {}
        if identity and identity[:2] in self._known:
            for group_id, record_key, entries in self._plan(identity[0], identity[1]):
                verdict, record_fixed = _package_verdict(entries, identity[0], version)
                if verdict:
                    methods.setdefault(group_id, {})[record_key] = "range"
                    fixed.setdefault(group_id, []).extend(record_fixed)
                    basis[group_id] = "range"
                elif verdict is False:
                    excluded.add(group_id)
        plan = self._text_plan(target)
        if not plan.records:
            return (methods, fixed, basis) if methods else None
        # each distinct condition once for this version, then only the records holding one
        # that holds, in the plan's order
        holding: dict[int, tuple[str, ...]] = {}
        candidates: set[int] = set()
        for index, (prepared, product) in enumerate(plan.conditions):
            if prepared is not None:
                result = prepared.affects(version)
                verdict, text_fixed = result, prepared.fixed if result else ()
            else:
                verdict, text_fixed = _product_text_verdict(product, version, ecosystem)
            if verdict:
                holding[index] = text_fixed
                candidates.update(plan.holders[index])
        for position in sorted(candidates):
            group_id, record_key, on = plan.records[position]
            if group_id in excluded and group_id not in methods:
                continue  # a package record for this package says "not affected"
            for index, how in on:
                found = holding.get(index)
                if found is not None:
                    methods.setdefault(group_id, {}).setdefault(record_key, "product-text")
                    fixed.setdefault(group_id, []).extend(found)
                    basis.setdefault(group_id, how)
                    break
        return methods, fixed, basis

    def _text_plan(self, target: Target) -> _TextPlan:
        """The product-text records in effect naming the target's product keys, with their
        affected entries naming one of those keys as conditions (an entry prepared when it
        carries versions or ranges, else its product text, shared by every entry with that
        text) and how that key is known; worked out once per product."""
        identity = target.identity
        package = (identity[0], identity[1]) if identity else None
        cache_key = (package, target.vendor, target.product)
        plan = self._text_plans.get(cache_key)
        if plan is not None:
            return plan
        keys = self.product_keys(target)
        if not keys:  # most packages: no product text can name them (nothing kept per package)
            return _NO_TEXT
        conditions: list[tuple[PreparedEntry | None, str]] = []
        holders: list[list[int]] = []
        by_text: dict[str, int] = {}
        records: list[tuple[str, tuple[str, str], tuple[tuple[int, str], ...]]] = []
        if keys:
            ecosystem = identity[0] if identity else None
            for group_id, record in self._records_for_keys(keys):
                if record.withdrawn or self._future(record):
                    continue
                entries = []
                for a in record.affected:
                    if a.status not in AFFECTED_STATUSES:
                        continue  # CSAF/VEX "not affected", "fixed"… never match
                    product = a.product or ""
                    key = parse_product(product).key
                    if key not in keys:
                        continue
                    if a.ranges or a.versions:
                        index = len(conditions)
                        conditions.append((PreparedEntry(a, ecosystem), product))
                        holders.append([])
                    elif product in by_text:
                        index = by_text[product]
                    else:
                        index = by_text[product] = len(conditions)
                        conditions.append((None, product))
                        holders.append([])
                    if not holders[index] or holders[index][-1] != len(records):
                        holders[index].append(len(records))
                    entries.append((index, keys[key]))
                records.append((group_id, (record.source, record.id), tuple(entries)))
        plan = self._text_plans[cache_key] = _TextPlan(
            tuple(conditions), tuple(tuple(h) for h in holders), tuple(records))
        return plan

    def _summary(self, group_id: str) -> _GroupSummary:
        """What a group's records say, computed once per scan however many components hit it."""
        cached = self._summaries.get(group_id)
        if cached is not None:
            return cached
        group = self._group(group_id)
        records: list[tuple[Advisory, tuple[dict[str, Any], ...]]] = []
        severities: list[Severity] = []
        for record in group.records:
            if record.withdrawn or self._future(record):
                continue
            ratings = []
            for rating in record.severities:
                level = severity_of(rating)
                if level is not None:
                    severities.append(level)
                ratings.append({"scheme": rating.scheme, "vector": rating.vector,
                                "score": rating.score, "rating": rating.rating,
                                "severity": level.value if level else None})
            records.append((record, tuple(ratings)))
        title = next((r.title for r in group.records if r.title and r.source in WESTERN), None) \
            or next((_first_sentence(r.details) for r in group.records
                     if r.details and r.source in WESTERN), None) \
            or next((r.title for r in group.records if r.title), None)
        summary = _GroupSummary(
            ids=group.ids, records=tuple(records), title=title,
            severity=max(severities, key=lambda s: s.rank) if severities else Severity.UNKNOWN,
            severity_known=bool(severities))
        self._summaries[group_id] = summary
        return summary

    def _build(self, target: Target, group_id: str, hits: dict[tuple[str, str], str],
               fixed: Iterable[str], basis: str) -> Match:
        summary = self._summary(group_id)
        # many components match a group the same way: their records are built once
        shape = (group_id, frozenset(hits.items()))
        shared = self._shapes.get(shape)
        if shared is None:
            records = tuple(SourceRecord(r.source, r.id, r.published, ratings,
                                         hits.get((r.source, r.id), "alias"))
                            for r, ratings in summary.records)
            method = max((r.method for r in records), key=lambda m: METHOD_RANK[m])
            shared = self._shapes[shape] = (
                records, method, tuple(sorted({r.source for r in records})),
                match_details(records, summary.severity_known))
        records, method, sources, details = shared
        confidence = CONFIDENCE["range"] if method == "range" else CONFIDENCE.get(basis, 0.5)
        return _new_match(target, group_id, summary.ids, sources, summary.title,
                          summary.severity, summary.severity_known, tuple(dict.fromkeys(fixed)),
                          method, confidence, records, basis, None, details)
