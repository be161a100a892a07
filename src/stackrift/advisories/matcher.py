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

from stackrift.advisories.interface import AdvisoryReader, CachingReader, GroupView
from stackrift.advisories.matching import (
    PreparedEntry,
    VersionSet,
    ecosystem_key,
    forget_listed_indexes,
    key_function,
    parse_purl_identity,
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
        identity = parse_purl_identity(self.purl) if self.purl else None
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
    identity = parse_purl_identity(purl) if purl else None
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
(_SET_TARGET, _SET_GROUP, _SET_IDS, _SET_SOURCES, _SET_TITLE, _SET_SEVERITY, _SET_KNOWN,
 _SET_FIXED, _SET_METHOD, _SET_CONFIDENCE, _SET_RECORDS, _SET_BASIS, _SET_VEX,
 _SET_DETAILS) = _MATCH_SETTERS


def _new_match(  # noqa: PLR0913 (one argument per field of Match)
        target: Target, group_id: str, ids: tuple[str, ...], sources: tuple[str, ...],
        title: str | None, severity: Severity, severity_known: bool, fixed: tuple[str, ...],
        method: str, confidence: float, records: tuple[SourceRecord, ...], basis: str,
        vex: dict[str, Any] | None, details: MatchDetails | None) -> Match:
    """``Match(...)`` with every field given, each set through its slot: a scan builds one
    per finding (10^4–10^5), and the frozen dataclass's ``__init__`` costs an
    ``object.__setattr__`` call per field, twice the cost of the rest of the match (a loop
    over the setters costs more than the calls written out)."""
    match: Match = object.__new__(Match)
    _SET_TARGET(match, target)
    _SET_GROUP(match, group_id)
    _SET_IDS(match, ids)
    _SET_SOURCES(match, sources)
    _SET_TITLE(match, title)
    _SET_SEVERITY(match, severity)
    _SET_KNOWN(match, severity_known)
    _SET_FIXED(match, fixed)
    _SET_METHOD(match, method)
    _SET_CONFIDENCE(match, confidence)
    _SET_RECORDS(match, records)
    _SET_BASIS(match, basis)
    _SET_VEX(match, vex)
    _SET_DETAILS(match, details)
    return match


def _package_entries(record: Advisory, ecosystem: str, name: str) -> tuple[PreparedEntry, ...]:
    """The affected entries of a package record that name this package as affected, prepared
    for deciding the package's versions."""
    from stackrift.advisories.matching import normalise_name

    return tuple(PreparedEntry(a, ecosystem) for a in record.affected
                 if a.name and ecosystem_key(a.ecosystem) == ecosystem
                 and normalise_name(ecosystem, a.name) == name
                 and a.status in AFFECTED_STATUSES)


class _PackageDecisions(NamedTuple):
    """What a package's records say of each of its versions a scan asks about."""

    versions: set[str]
    # version -> the records affecting it, in the plan's order: (group, record, fixed versions)
    affecting: dict[str, list[tuple[str, tuple[str, str], tuple[str, ...]]]]
    # version -> groups with a record of the package saying it is not affected
    excluding: dict[str, set[str]]


def _decide_package(plan: Sequence[tuple[str, tuple[str, str], tuple[PreparedEntry, ...]]],
                    versions: VersionSet, into: _PackageDecisions) -> None:
    """Each record of a package's plan decided for all of ``versions`` at once (a version is
    affected when any of the record's entries affects it, and excluded when one says it is not
    and none that it is), added to ``into``."""
    affecting, excluding = into.affecting, into.excluding
    for group_id, record_key, entries in plan:
        fixed_by: dict[str, list[str]] = {}
        refused: set[str] = set()
        for entry in entries:
            affected, not_affected = entry.split(versions)
            for version in affected:
                fixed_by.setdefault(version, []).extend(entry.fixed_after(version))
            refused |= not_affected
        for version, fixed in fixed_by.items():
            affecting.setdefault(version, []).append(
                (group_id, record_key, tuple(dict.fromkeys(fixed))))
        for version in refused.difference(fixed_by):
            excluding.setdefault(version, set()).add(group_id)
    into.versions.update(versions.versions)


@lru_cache(maxsize=16384)  # bounded: most (text, version) pairs of a large scan come once
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
_NONE: frozenset[str] = frozenset()


def _product_of(target: Target) -> tuple[tuple[str, str] | None, str | None, str | None]:
    """What names a target's product: its package (from the purl), vendor and product."""
    identity = target.identity
    return (identity[0], identity[1]) if identity else None, target.vendor, target.product


# packages whose records are held at once while matching (see Matcher.match_all)
PACKAGES_PER_BATCH = 64


@dataclass(frozen=True, slots=True)
class _GroupSummary:
    ids: tuple[str, ...]
    # per record in effect: source, id, published, ratings (what a match's records hold: the
    # decoded records themselves are let go)
    records: tuple[tuple[str, str, str | None, tuple[dict[str, Any], ...]], ...]
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
        # per package: the versions to decide together (match_all), and what was decided
        self._versions: dict[tuple[str, str], set[str]] = {}
        self._decisions: dict[tuple[str, str], _PackageDecisions] = {}
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
        # what no product key names, while match_all runs (most of a large SBOM's packages)
        self._keyless: set[tuple[tuple[str, str] | None, str | None, str | None]] = set()

    def _load_packages(self, packages: Iterable[tuple[str, str]]) -> None:
        """The records of every package given not yet loaded, in a few queries."""
        wanted = set(packages).difference(self._package_records)
        if wanted:
            found = self.store.lookup(packages=wanted).packages
            for package in wanted:
                self._package_records[package] = found.get(package, [])

    def _load_keys(self, targets: Iterable[Target]) -> None:
        """The records of every product key naming the targets (noting those no key names)."""
        keys: set[str] = set()
        for target in targets:
            found = self.product_keys(target)
            if found:
                keys.update(found)
            else:
                self._keyless.add(_product_of(target))
        self._load_key_records(keys)

    def _load_key_records(self, keys: Iterable[str]) -> None:
        """The records of every product key given not yet loaded, in a few queries."""
        wanted = set(keys).difference(self._key_records)
        if wanted:
            by_key = self.store.lookup(product_keys=wanted).products
            for key in wanted:
                self._key_records[key] = by_key.get(key, [])

    def _records_for(self, ecosystem: str, name: str) -> list[tuple[str, Advisory]]:
        self._load_packages([(ecosystem, name)])
        return self._package_records[(ecosystem, name)]

    def _records_for_keys(self, keys: Iterable[str]) -> list[tuple[str, Advisory]]:
        self._load_key_records(keys)
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
        cache_key = _product_of(target)
        keys = self._keys_cache.get(cache_key)
        if keys is None:
            keys = self._product_keys(*cache_key)
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
        """:meth:`match` for each target.

        Targets are matched a batch of packages at a time: the batch's records are loaded in a
        few queries, each record is decided for all of the package's versions at once, and
        once the batch's matches are built its records are let go (memory stays bounded by a
        batch, not the SBOM)."""
        by_package: dict[tuple[str, str] | None, list[int]] = {}
        for index, target in enumerate(targets):
            identity = target.identity
            package = None
            if identity and identity[:2] in self._known:
                package = identity[:2]
                if target.version:  # the version _hits decides
                    self._versions.setdefault(package, set()).add(identity[2] or target.version)
            by_package.setdefault(package, []).append(index)
        self._load_keys(targets)
        packages = sorted(p for p in by_package if p is not None)
        batches: list[list[tuple[str, str] | None]] = [
            list(packages[start:start + PACKAGES_PER_BATCH])
            for start in range(0, len(packages), PACKAGES_PER_BATCH)]
        if None in by_package:
            # packages no record names: only product text can match them, so a component no
            # product key names has nothing to match
            by_package[None] = [index for index in by_package[None]
                                if _product_of(targets[index]) not in self._keyless]
            batches.append([None])
        found: list[list[Match]] = [[] for _ in targets]
        for batch in batches:
            self._load_packages(p for p in batch if p is not None)
            indices = [index for package in batch for index in by_package[package]]
            for index, matches in zip(indices, self._match_batch([targets[i] for i in indices]),
                                      strict=True):
                found[index] = matches
            self._let_go(p for p in batch if p is not None)
        self._keyless.clear()
        return found

    def _match_batch(self, targets: Sequence[Target]) -> list[list[Match]]:
        hits = [self._hits(target) for target in targets]
        missing = {g for found in hits if found for g in found[0] if g not in self._summaries}
        if missing:
            self._groups.update(self.store.groups(missing))
        return [sorted((self._build(target, g, by_record, found[1].get(g, []), found[2][g])
                        for g, by_record in found[0].items()),
                       key=lambda m: (-m.severity.rank, m.group_id)) if found and found[0] else []
                for target, found in zip(targets, hits, strict=True)]

    def _let_go(self, packages: Iterable[tuple[str, str]]) -> None:
        """Forget what was loaded and worked out for a batch's packages (its matches hold what
        they need); a store caching decoded records forgets them too, and so do the caches of
        list indexes and product-text verdicts, which would keep the records' strings alive."""
        for package in packages:
            self._package_records.pop(package, None)
            self._plans.pop(package, None)
            self._decisions.pop(package, None)
            self._versions.pop(package, None)
        self._groups.clear()  # summarised: only the summaries are needed again
        forget_listed_indexes()
        _product_text_verdict.cache_clear()  # versions of the batch's packages, mostly
        if isinstance(self.store, CachingReader):
            self.store.forget_records()

    def _decided(self, package: tuple[str, str], version: str) -> _PackageDecisions:
        """What the package's records say of ``version``, decided together with every version
        of the package that the targets being matched name."""
        decisions = self._decisions.get(package)
        if decisions is None:
            decisions = self._decisions[package] = _PackageDecisions(set(), {}, {})
        if version not in decisions.versions:
            wanted = self._versions.pop(package, set())
            wanted.add(version)
            _decide_package(self._plan(*package), VersionSet(wanted - decisions.versions),
                            decisions)
        return decisions

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
        basis: dict[str, str] = {}
        decisions = None
        if identity and identity[:2] in self._known:
            decisions = self._decided(identity[:2], version)
            for group_id, record_key, record_fixed in decisions.affecting.get(version, ()):
                methods.setdefault(group_id, {})[record_key] = "range"
                fixed.setdefault(group_id, []).extend(record_fixed)
                basis[group_id] = "range"
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
        excluded = decisions.excluding.get(version, _NONE) if decisions else _NONE
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
        cache_key = _product_of(target)
        plan = self._text_plans.get(cache_key)
        if plan is not None:
            return plan
        if cache_key in self._keyless:
            return _NO_TEXT
        keys = self.product_keys(target)
        if not keys:  # most packages: no product text can name them (nothing kept per package)
            return _NO_TEXT
        conditions: list[tuple[PreparedEntry | None, str]] = []
        holders: list[list[int]] = []
        by_text: dict[str, int] = {}
        records: list[tuple[str, tuple[str, str], tuple[tuple[int, str], ...]]] = []
        if keys:
            ecosystem = target.identity[0] if target.identity else None
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
        records: list[tuple[str, str, str | None, tuple[dict[str, Any], ...]]] = []
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
            records.append((record.source, record.id, record.published, tuple(ratings)))
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
            records = tuple(SourceRecord(source, ident, published, ratings,
                                         hits.get((source, ident), "alias"))
                            for source, ident, published, ratings in summary.records)
            method = max((r.method for r in records), key=lambda m: METHOD_RANK[m])
            shared = self._shapes[shape] = (
                records, method, tuple(sorted({r.source for r in records})),
                match_details(records, summary.severity_known))
        records, method, sources, details = shared
        confidence = CONFIDENCE["range"] if method == "range" else CONFIDENCE.get(basis, 0.5)
        return _new_match(target, group_id, summary.ids, sources, summary.title,
                          summary.severity, summary.severity_known, tuple(dict.fromkeys(fixed)),
                          method, confidence, records, basis, None, details)
