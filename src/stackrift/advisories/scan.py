"""The scan entry point: components in, matches (after VEX and waivers) and a summary out.

Used by ``stackrift scan`` and by the ``vulnerabilities`` analysis of ``assess``.
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from stackrift.advisories.interface import AdvisoryReader, AdvisoryStore, CachingReader
from stackrift.advisories.matcher import CHINESE, WESTERN, Match, Matcher, Target, new_target
from stackrift.advisories.matching import cpe_parts, purl_identity, version_of
from stackrift.advisories.model import FIRST_DATE
from stackrift.advisories.products import product_key
from stackrift.advisories.starter_pack import ensure_starter
from stackrift.advisories.starter_pack import starter_pack_path as starter_pack_path
from stackrift.advisories.store import SqliteStore, default_store_path
from stackrift.advisories.vex import VexStatement, Waiver, apply
from stackrift.errors import StoreError, UnusableStoreError
from stackrift.gcpause import paused_gc
from stackrift.severities import Severity
from stackrift.summaries import BarChart, Table, summary_json

if TYPE_CHECKING:
    from rich.console import Console

    from stackrift.advisories.sources import AdvisorySource
    from stackrift.bom.base import BomDocument
    from stackrift.catalog.catalogue import Catalogue
    from stackrift.estate.model import Component


@dataclass(frozen=True)
class StoreInfo:
    """Which store a scan used, whether it holds only the starter pack, and what the reader
    must be told about it (``caveats``)."""

    path: str
    starter_pack: bool
    records: int
    note: str | None = None
    caveats: tuple[str, ...] = ()
    created: bool = False  # no store existed: this one was made with the starter pack


def open_scan_store(path: Path | str | None) -> tuple[AdvisoryStore, StoreInfo]:
    """The store at ``path`` (or the default), with the starter pack imported if it lacks it.

    A store that exists but cannot be used (a newer schema, corrupt, not SQLite) is refused
    with :class:`UnusableStoreError` (exit 2): scanning against anything else would report a
    false "clean". Only when no store exists is one created with the starter pack alone (in
    memory when the location cannot be written), and the report says so.
    """
    from stackrift.advisories.storeurl import is_store_url

    if is_store_url(path):  # a database named by URL: opened (and migrated) or refused
        return _open_url_store(str(path))
    target = Path(path or default_store_path())
    absent = str(target) != ":memory:" and not target.exists()
    note = None
    store: AdvisoryStore
    try:
        store = SqliteStore(target)
    except StoreError as exc:
        if not absent:
            raise
        store, note = SqliteStore(":memory:"), f"{exc}; using the starter pack in memory"
        target = Path(":memory:")
    try:
        caveats = _prepare(store, absent)
        held = store.describe()
        starter = held.content_label == "starter"
        if starter:  # the newest record's day reads every record: asked only of the small pack
            caveats.insert(0, _starter_only_caveat(held.records,
                                                   store.describe(newest=True).newest))
        info = StoreInfo(str(target), starter, held.records, note, tuple(caveats),
                         created=absent)
    except sqlite3.DatabaseError as exc:
        store.close()
        raise UnusableStoreError(f"{target}: the advisory store is unreadable ({exc}); "
                                 "re-create it with 'stackrift db import'") from exc
    except BaseException:
        store.close()
        raise
    return store, info


def _open_url_store(url: str) -> tuple[AdvisoryStore, StoreInfo]:
    """A store in a database named by URL; it is never replaced by another (fail closed)."""
    from stackrift.advisories.sqlstore import open_sql_store

    store = open_sql_store(url, starter=False)
    try:
        caveats = _prepare(store, absent=False)  # a read-only database: scanned as it is
        held = store.describe()
        starter = held.content_label == "starter"
        if starter:
            caveats.insert(0, _starter_only_caveat(held.records,
                                                   store.describe(newest=True).newest))
        return store, StoreInfo(store.url, starter, held.records, None, tuple(caveats))
    except BaseException:
        store.close()
        raise


def _prepare(store: AdvisoryStore, absent: bool) -> list[str]:
    """Import the starter pack if the store lacks this version of it; a store that cannot be
    written is scanned as it is, with a caveat."""
    try:
        ensure_starter(store)
    except (sqlite3.OperationalError, StoreError) as exc:
        # e.g. a read-only store: scanned as it is; a damaged one is refused by the caller
        if absent:
            raise
        return [f"the packaged starter advisory pack could not be added to the store ({exc}); "
                "its advisories were not looked at"]
    return []


def _starter_only_caveat(records: int, newest: str | None) -> str:
    newest = newest or "unknown"
    return (f"Only the packaged starter advisory pack was looked at ({records} "
            f"advisories about the AI stack, newest {newest}): no feed has been imported into "
            "the advisory store. Vulnerabilities it does not list are not reported; import "
            "current feeds with 'stackrift db update' or 'stackrift db import'.")


CatalogueKeys = dict[tuple[str, str], set[str]]
"""Per package (ecosystem, name): the product-text keys its catalogue product is known by."""


def catalogue_keys(catalogue: Catalogue | None) -> CatalogueKeys:
    """Product-text keys for every catalogue product with a purl (vendor + product names)."""
    keys: CatalogueKeys = {}
    if catalogue is None:
        return keys
    for vendor in catalogue.vendors.values():
        for product in catalogue.products_of(vendor.id):
            for purl in product.purls:
                identity = purl_identity(purl)
                if identity is None:
                    continue
                names = {product.name, *product.aliases}
                found = keys.setdefault(identity[:2], set())
                for name in names:
                    found.add(product_key(name))
                    found.add(product_key(f"{vendor.name} {name}"))
    return keys


KEYS_COPY = "catalogue-keys"
_KEYS_FORM = b"stackrift-catalogue-keys-1"
# what the keys depend on besides the catalogue's files: the models that validate them and the
# code that works the keys out
_KEYS_MODULES = ("stackrift.catalog.model", "stackrift.catalog.catalogue", "stackrift.estate.model",
                 "stackrift.findings", "stackrift.advisories.scan", "stackrift.advisories.matching",
                 "stackrift.advisories.products")


def active_catalogue_keys() -> CatalogueKeys:
    """:func:`catalogue_keys` of the active knowledge set's catalogue.

    Loading the catalogue imports and validates its models (about 0.1 s and 15 MiB, more than a
    small scan itself); the keys are kept as a JSON copy in the user's cache folder beside the
    catalogue's own (``stackrift/validatedcopy.py``), keyed by the catalogue's files and the
    code above. A copy is only written from a catalogue that loaded and validated; one that is
    missing or not of the expected shape is ignored, and the catalogue is loaded as before."""
    from stackrift.knowledge.sets import knowledge_path
    from stackrift.validatedcopy import copy_key, read_copy_bytes, write_copy

    try:
        files = sorted(knowledge_path("catalog/data").glob("*.yaml"))
        contents = [(file.name, file.read_bytes()) for file in files]
    except OSError:
        contents = None  # the catalogue's loader reports it
    key = copy_key(_KEYS_FORM, _KEYS_MODULES, contents) if contents is not None else None
    kept = _read_keys(read_copy_bytes(KEYS_COPY, key)) if key is not None else None
    if kept is not None:
        return kept
    from stackrift.catalog.catalogue import load_catalogue

    keys = catalogue_keys(load_catalogue())
    if key is not None:
        write_copy(KEYS_COPY, key, orjson.dumps([[ecosystem, name, sorted(found)] for
                                                 (ecosystem, name), found in sorted(keys.items())]))
    return keys


def _read_keys(payload: bytes | None) -> CatalogueKeys | None:
    """Keys from a copy's JSON, ``None`` unless every entry is [ecosystem, name, [key...]]."""
    if payload is None:
        return None
    try:
        entries = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    keys: CatalogueKeys = {}
    if not isinstance(entries, list):
        return None
    for entry in entries:
        if not (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], str)
                and isinstance(entry[1], str) and isinstance(entry[2], list)
                and all(isinstance(k, str) for k in entry[2])):
            return None
        keys[(entry[0], entry[1])] = set(entry[2])
    return keys


def component_target(component: Component, ref: str, systems: Sequence[str] = ()) -> Target:
    """The target for one estate or SBOM component: its version is the declared one, else the
    one inside its purl or CPE; a CPE also names the vendor and product when they are absent."""
    cpe = cpe_parts(component.cpe) if component.cpe else None
    return new_target(ref, component.name,
                      version_of(component.version, component.purl, component.cpe),
                      component.purl, component.vendor or (cpe[0] if cpe else None),
                      component.product or (cpe[1] if cpe else None), tuple(systems))


def targets_from_document(document: BomDocument, systems: Sequence[str] = ()) -> list[Target]:
    """Targets for every component of a BOM document."""
    return [component_target(c, c.purl or c.id, systems) for c in document.components]


def scan_store(targets: Sequence[Target], *, db: Path | str | None,
               catalogue: Catalogue | None = None, keys: CatalogueKeys | None = None,
               vex: Sequence[Path] = (), waivers: Path | None = None, as_of: date | None = None,
               source: AdvisorySource | None = None) -> ScanResult:
    """Match targets against the store at ``db`` (or the reader ``source`` lends, e.g. a
    server's), with the VEX documents and waivers file given (:func:`scan`)."""
    from stackrift.advisories.sources import StoreAtPath
    from stackrift.advisories.vex import load_vex, load_waivers

    statements = [s for p in vex for s in load_vex(p)]
    waiver_list = load_waivers(waivers) if waivers else []
    with (source or StoreAtPath(db)).open() as (reader, info), paused_gc():
        return scan(targets, reader, info, catalogue=catalogue, vex=statements,
                    waivers=waiver_list, as_of=as_of, keys=keys)


@dataclass
class ScanResult:
    """Matches kept after VEX/waivers, those suppressed and why, and what was scanned."""

    matches: list[Match]
    suppressed: list[tuple[Match, str]]
    targets: int
    store: StoreInfo
    unversioned: list[str] = field(default_factory=list)
    # package components that could not be assessed, with the reason: never "clean"
    not_assessed: list[tuple[Target, str]] = field(default_factory=list)
    coverage: list[dict[str, Any]] = field(default_factory=list)
    # components with no purl, CPE or vendor/product: nothing to look advisories up by
    not_looked_up: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return summarise(self)


def scan(targets: Iterable[Target], store: AdvisoryReader, info: StoreInfo, *,
         catalogue: Catalogue | None = None, vex: Sequence[VexStatement] = (),
         waivers: Sequence[Waiver] = (), as_of: date | None = None,
         keys: CatalogueKeys | None = None) -> ScanResult:
    """Match every target (one match per group and component), then apply VEX and waivers.

    ``keys``: the catalogue's product keys when already worked out (:func:`catalogue_keys`,
    :func:`active_catalogue_keys`); otherwise they are worked out from ``catalogue``."""
    with paused_gc():
        try:
            return _scan(targets, store, info, catalogue_keys(catalogue) if keys is None else keys,
                         vex, waivers, as_of)
        except sqlite3.DatabaseError as exc:
            # a damaged store found mid-scan is refused like one found on opening
            raise UnusableStoreError(f"{info.path}: the advisory store is unreadable ({exc}); "
                                     "re-create it with 'stackrift db import'") from exc
        finally:
            # freed now, by reference counting, rather than walked by the collector when it
            # resumes
            if isinstance(store, CachingReader):
                store.forget_records()


def _scan(targets: Iterable[Target], store: AdvisoryReader, info: StoreInfo,
          keys: CatalogueKeys, vex: Sequence[VexStatement], waivers: Sequence[Waiver],
          as_of: date | None) -> ScanResult:
    matcher = Matcher(store, keys, as_of)
    seen: dict[tuple[str, str], Match] = {}
    unversioned = []
    unique = _unique(targets)
    versioned = []
    for target in unique:
        if target.version:
            versioned.append(target)
        else:
            unversioned.append(target.ref)
    for target, matches in zip(versioned, matcher.match_all(versioned), strict=True):
        for match in matches:
            seen.setdefault((match.group_id, target.ref), match)
    count = len(unique)
    ordered = sorted(seen.values(), key=lambda m: (-m.severity.rank, m.target.ref, m.group_id))
    kept, suppressed = apply(ordered, list(vex), list(waivers), as_of or date.today())
    coverage, not_assessed, not_looked_up = assess_coverage(unique, store)
    return ScanResult(kept, suppressed, count, info, sorted(set(unversioned)), not_assessed,
                      coverage, not_looked_up)


TEXT_ECOSYSTEM = "vendor/product text"


def _ecosystem(target: Target) -> str | None:
    """Where a target's advisories are looked up: its purl's ecosystem, else product text."""
    if target.identity is not None:
        return target.identity[0]
    return TEXT_ECOSYSTEM if target.vendor or target.product else None


def assess_coverage(targets: Sequence[Target], store: AdvisoryReader
                    ) -> tuple[list[dict[str, Any]], list[tuple[Target, str]], list[str]]:
    """Per ecosystem of the targets: the advisories the store holds for it (count, sources,
    newest record); the package targets that could not be assessed (no version, or an
    ecosystem the store holds no package advisories for); and the refs of the targets with
    nothing to look advisories up by (no purl, CPE or vendor/product), sorted."""
    by_ecosystem: dict[str, list[Target]] = {}
    not_looked_up: set[str] = set()
    for target in targets:
        ecosystem = _ecosystem(target)
        if ecosystem is None:
            not_looked_up.add(target.ref)
        else:
            by_ecosystem.setdefault(ecosystem, []).append(target)
    packages = store.describe(e for e in by_ecosystem if e != TEXT_ECOSYSTEM).package_coverage
    need_text = TEXT_ECOSYSTEM in by_ecosystem or not all(packages.values())
    text = (store.describe(text=True).text_coverage or {}) if need_text else {}
    text_note = (f"; only product text ({', '.join(sorted(text))}) could be matched"
                 if text else "")
    rows: list[dict[str, Any]] = []
    not_assessed: list[tuple[Target, str]] = []
    for ecosystem, members in sorted(by_ecosystem.items()):
        held = text if ecosystem == TEXT_ECOSYSTEM else packages.get(ecosystem, {})
        uncovered = f"the advisory store holds no {ecosystem} advisories{text_note}"
        missing = 0
        for target in members:
            reason = (None if target.version and held else
                      "no version (declared, in its purl or in its CPE)" if not target.version
                      else uncovered)
            if reason is None:
                continue
            missing += 1
            if target.identity is not None:
                not_assessed.append((target, reason))
        rows.append({"ecosystem": ecosystem, "components": len(members),
                     "not_assessed": missing,
                     "advisories": sum(n for n, _day in held.values()),
                     "sources": sorted(held),
                     "newest_record": max((d for _n, d in held.values() if d), default=None)})
    return rows, not_assessed, sorted(not_looked_up)


def identity_of(target: Target) -> tuple[str, ...]:
    """What makes two targets the same component: the package and version of its purl, else
    its vendor, product or name and version (an SBOM that repeats a declared component names
    the same package under another id)."""
    if target.identity is not None:
        return ("purl", target.identity[0], target.identity[1], target.version or "")
    names = (target.vendor or "", target.product or target.name)
    return ("text", *(product_key(n) for n in names), target.version or "")


def _unique(targets: Iterable[Target]) -> list[Target]:
    """One target per component identity (the first one seen keeps its ref: declared estate
    components come before SBOM ones); systems that share a component are merged."""
    merged: dict[tuple[str, ...], Target] = {}
    for target in targets:
        key = identity_of(target)
        if key in merged:
            old = merged[key]
            systems = tuple(sorted(set(old.systems) | set(target.systems)))
            merged[key] = Target(old.ref, old.name, old.version or target.version,
                                 old.purl or target.purl, old.vendor or target.vendor,
                                 old.product or target.product, systems)
        else:
            merged[key] = target
    return list(merged.values())


# -- summary: coverage and lag -----------------------------------------------------------------

@lru_cache(maxsize=256)
def _side(sources: tuple[str, ...]) -> str:
    present = set(sources)
    west, china = bool(present & WESTERN), bool(present & CHINESE)
    if west and china:
        return "both"
    return "western-only" if west else "chinese-only" if china else "other"


def lag_days(published: dict[str, str]) -> int | None:
    """Days from the first Western publication to the first Chinese one (negative: China
    first); None unless both sides have a date."""
    west = [d for s, d in published.items() if s in WESTERN and d >= FIRST_DATE]
    china = [d for s, d in published.items() if s in CHINESE and d >= FIRST_DATE]
    if not west or not china:
        return None
    return (date.fromisoformat(min(china)) - date.fromisoformat(min(west))).days


def _lags(matches: Sequence[Match]) -> list[int]:
    """:func:`lag_days` of each match that has one; worked out once per shared details (the
    matches hold them, so their ids stay unique here)."""
    known: dict[int, int | None] = {}
    lags = []
    for match in matches:
        details = match.details
        if details is None:
            days = lag_days(match.first_published)
        elif id(details) in known:
            days = known[id(details)]
        else:
            days = known[id(details)] = lag_days(details.first_published)
        if days is not None:
            lags.append(days)
    return lags


def percentiles(values: Sequence[int]) -> dict[str, float | int | None]:
    """n, median, p75 and p90 (nearest-rank on sorted values)."""
    if not values:
        return {"n": 0, "median": None, "p75": None, "p90": None}
    ordered = sorted(values)

    def rank(p: float) -> int:
        return ordered[min(len(ordered) - 1, max(0, math.ceil(p * len(ordered)) - 1))]

    middle = len(ordered) // 2  # statistics.median's rule, without importing it on every scan
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return {"n": len(ordered), "median": median, "p75": rank(0.75), "p90": rank(0.90)}


NOTHING_SCANNED = ("no components were given to scan, so nothing was looked at (an empty or "
                   "failed SBOM export looks the same)")


def caveats(result: ScanResult) -> list[str]:
    """What the scan did not look at: the store's caveats, components with nothing to look
    advisories up by, and an input listing no components (never "clean": zero findings in zero
    components is not a clean result)."""
    found = [*result.store.caveats, *([NOTHING_SCANNED] if not result.targets else [])]
    if result.not_looked_up:
        count = len(result.not_looked_up)
        shown = ", ".join(result.not_looked_up[:5]) + (", …" if count > 5 else "")
        found.append(f"{count} of {result.targets} components not looked up: no purl, CPE or "
                     f"vendor to look advisories up by ({shown}; all in "
                     "summary.components_not_looked_up)")
    return found


def summarise(result: ScanResult) -> dict[str, Any]:
    """Counts, feed coverage (Western-only vs Chinese-only) and disclosure lag, per the summary
    contract (``tables`` and ``charts``)."""
    matches = result.matches
    by_combo = Counter("+".join(m.sources) for m in matches)
    by_severity_side = Counter((m.severity, _side(m.sources)) for m in matches)
    by_side: Counter[str] = Counter()
    for (_severity, side), count in by_severity_side.items():
        by_side[side] += count
    severities = list(reversed(Severity))
    sides = ("both", "western-only", "chinese-only")
    lags = _lags(matches)
    later_china = [x for x in lags if x > 0]
    later_west = [-x for x in lags if x < 0]
    lag: dict[str, Any] = {"western_first_days": percentiles(later_china),
           "chinese_first_days": percentiles(later_west),
           "same_day": sum(1 for x in lags if x == 0), "pairs": len(lags)}
    missed_west = by_side["chinese-only"]
    missed_china = by_side["western-only"]
    tables = [
        Table.of("Vulnerability findings by the sources that know them", ["sources", "findings"],
                 [[combo, n] for combo, n in sorted(by_combo.items())]),
        Table.of("What single-bloc feeds would miss",
                 ["feeds used", "findings seen", "findings missed"],
                 [["Western only (OSV, CVE, CSAF)", len(matches) - missed_west, missed_west],
                  ["Chinese only (CNVD, CNNVD)", len(matches) - missed_china, missed_china],
                  ["both", len(matches), 0]]),
        Table.of("Disclosure lag between Western and Chinese databases (days)",
                 ["direction", "findings", "median", "p75", "p90"],
                 [["Chinese database later", lag["western_first_days"]["n"],
                   lag["western_first_days"]["median"], lag["western_first_days"]["p75"],
                   lag["western_first_days"]["p90"]],
                  ["Western database later", lag["chinese_first_days"]["n"],
                   lag["chinese_first_days"]["median"], lag["chinese_first_days"]["p75"],
                   lag["chinese_first_days"]["p90"]],
                  ["same day", lag["same_day"], None, None, None]]),
    ]
    not_looked_at = caveats(result)
    if not_looked_at:
        tables.insert(0, Table.of("Caveats: what this scan did not look at", ["caveat"],
                                  [[caveat] for caveat in not_looked_at]))
    if result.suppressed:
        tables.append(Table.of("Suppressed by VEX or waiver",
                               ["component", "vulnerability", "why"],
                               [[m.target.ref, m.group_id, why]
                                for m, why in result.suppressed]))
    charts = [BarChart.of("Vulnerability findings by severity and feed coverage",
                          [s.value for s in severities],
                          [(side, [by_severity_side[(s, side)] for s in severities])
                           for side in sides], stacked=True)]
    tables.insert(1 if not_looked_at else 0, Table.of(
        "Advisory coverage of the components scanned",
        ["ecosystem", "components", "not assessed", "advisories held", "sources",
         "newest record"],
        [[row["ecosystem"], row["components"], row["not_assessed"], row["advisories"],
          ", ".join(row["sources"]) or "none", row["newest_record"] or "—"]
         for row in result.coverage]))
    return {
        "components_scanned": result.targets,
        "components_without_version": result.unversioned,
        "components_not_assessed": len(result.not_assessed),
        "components_not_looked_up": result.not_looked_up,
        "not_assessed": [{"component": t.ref, "purl": t.purl, "reason": why}
                         for t, why in result.not_assessed],
        "coverage_by_ecosystem": result.coverage,
        "findings": len(matches),
        "suppressed": len(result.suppressed),
        "by_severity": {s.value: sum(n for (severity, _side), n in by_severity_side.items()
                                     if severity is s) for s in severities},
        "by_sources": dict(sorted(by_combo.items())),
        "coverage": {side: by_side[side] for side in sides},
        "lag": lag,
        # no path here: reports must not depend on where the store lives
        "store": {"starter_pack": result.store.starter_pack, "records": result.store.records,
                  "note": result.store.note},
        "caveats": not_looked_at,
        **summary_json(tables=tables, charts=charts),
    }


def match_json(match: Match, shared: dict[int, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The documented per-finding JSON shape of ``scan --format json``.

    ``shared`` (id of a match's records -> the parts they decide) lets the many findings whose
    records took part in the same way share those parts; the matches must outlive it."""
    parts = shared.get(id(match.records)) if shared is not None else None
    if parts is None:
        parts = {"severities": {r.source + ":" + r.id: list(r.ratings) for r in match.records
                                if r.ratings},
                 "published": match.first_published, "by_source": match.method_by_source,
                 "severity_reason": match.severity_reason}
        if shared is not None:
            shared[id(match.records)] = parts
    return {
        "purl": match.target.purl, "component": match.target.ref, "name": match.target.name,
        "version": match.target.version, "systems": list(match.target.systems),
        "group": match.group_id, "ids": list(match.ids), "sources": list(match.sources),
        "title": match.title,
        "severity": match.severity.value, "severity_known": match.severity_known,
        "severity_reason": parts["severity_reason"],
        "severities": parts["severities"],
        "published": parts["published"], "fixed": list(match.fixed),
        "match": {"method": match.method, "confidence": match.confidence,
                  "basis": match.basis, "by_source": parts["by_source"]},
        "vex": match.vex,
    }


def scan_json(result: ScanResult) -> dict[str, Any]:
    summary = result.summary()
    shared: dict[int, dict[str, Any]] = {}
    summary["suppressed_findings"] = [{**match_json(m, shared), "suppressed_because": why}
                                      for m, why in result.suppressed]
    return {"findings": [match_json(m, shared) for m in result.matches], "summary": summary}


def scan_json_pieces(result: ScanResult) -> Iterator[bytes]:
    """:func:`scan_json` as indented JSON (orjson, two spaces, as ``json_text`` writes it), in
    pieces: findings are built and serialised a thousand at a time, so a large scan's report is
    never held whole, as objects or as text."""
    from stackrift.jsonpieces import list_in_pieces

    option = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
    summary = result.summary()
    shared: dict[int, dict[str, Any]] = {}
    summary["suppressed_findings"] = [{**match_json(m, shared), "suppressed_because": why}
                                      for m, why in result.suppressed]
    yield from list_in_pieces(lambda findings: {"findings": findings, "summary": summary},
                              ("findings",), (match_json(m, shared) for m in result.matches),
                              len(result.matches), partial(orjson.dumps, option=option))


NARROW_TERMINAL = 110
_TABLE_COLUMNS = ("severity", "component", "vulnerability", "also known as", "sources",
                  "fixed in", "match")


def _least_table_width(cells: Sequence[Sequence[str]]) -> int:
    """The narrowest the findings table can be without cutting a cell: its first three columns
    (severity, component, vulnerability) and each id never wrap, the rest wrap between words."""
    from rich.cells import cell_len

    least = [cell_len(header) if index < 3 else max(map(cell_len, header.split()))
             for index, header in enumerate(_TABLE_COLUMNS)]
    for row in cells:
        for index, cell in enumerate(row):
            widest = cell_len(cell) if index < 3 else max(map(cell_len, cell.split()), default=0)
            least[index] = max(least[index], widest)
    return sum(least) + 3 * len(least) + 1


def render_table(result: ScanResult, console: Console,
                 unknown_as: Severity = Severity.HIGH) -> None:
    """The terminal view of a scan: one row per finding, then the coverage line."""
    from rich.table import Table

    from stackrift.textout import PIPE_MAX_WIDTH, PIPE_MIN_WIDTH, grid_text, natural_width

    summary = result.summary()
    for caveat in summary["caveats"]:
        console.print(f"caveat: {caveat}", style="bold yellow", markup=False, highlight=False)
    not_assessed = summary["components_not_assessed"]
    title = (f"{summary['findings']} known vulnerabilities in "
             f"{summary['components_scanned']} components"
             + (f" ({not_assessed} not assessed)" if not_assessed else "")
             + (" (starter advisory pack)" if summary["store"]["starter_pack"] else ""))
    cells = [(match.severity.value, f"{match.target.name} {match.target.version or ''}".strip(),
             match.group_id, ", ".join(i for i in match.ids if i != match.group_id),
             "+".join(match.sources), ", ".join(match.fixed) or "—",
             f"{match.method} ({match.confidence:.1f})") for match in result.matches]
    if console.is_terminal and (console.width < NARROW_TERMINAL
                                or _least_table_width(cells) > console.width):
        # a narrow terminal, or a table that cannot fit it (a long component name): one block
        # per finding, so no id is ever cut to fit a column
        console.print(title, markup=False, highlight=False)
        for severity, component, group, others, sources, fixed, method in cells:
            console.print(f"{severity.upper()}  {group}  {component}", markup=False,
                          highlight=False)
            console.print(f"  also known as: {others or '—'}; sources: {sources}; fixed in: "
                          f"{fixed}; match: {method}", markup=False, highlight=False)
    else:
        longest = max((len(i) for match in result.matches for i in match.ids), default=10)
        # to a file or pipe: each finding on one line however wide, drawn directly (rich lays
        # out each cell on its own: 16 s for a 10,000-component scan's 11,000 findings)
        drawn = (grid_text(title, _TABLE_COLUMNS, cells, (0, 0, 0, longest))
                 if not console.is_terminal and console.color_system is None
                 and console.encoding.lower().startswith("utf") else None)
        if drawn is not None:
            console.width = max(PIPE_MIN_WIDTH, min(PIPE_MAX_WIDTH, drawn[1]))  # lines below
            console.file.write(drawn[0])
        else:
            table = Table(title=title)
            # ids never wrap inside themselves; the list of other ids wraps between them
            for column in _TABLE_COLUMNS[:3]:
                table.add_column(column, no_wrap=True)
            table.add_column(_TABLE_COLUMNS[3], min_width=longest)
            for column in _TABLE_COLUMNS[4:]:
                table.add_column(column)
            for cells_of_row in cells:
                table.add_row(*cells_of_row)
            if not console.is_terminal:  # a file or pipe: as wide as the table needs
                console.width = natural_width([table])
            console.print(table)
    coverage = summary["coverage"]
    console.print(f"known to both Western and Chinese databases: {coverage['both']}; "
                  f"Western only: {coverage['western-only']}; Chinese only: "
                  f"{coverage['chinese-only']}; suppressed by VEX/waivers: "
                  f"{summary['suppressed']}")
    for row in result.coverage:
        console.print(f"coverage: {row['ecosystem']}: {row['components']} components, "
                      f"{row['not_assessed']} not assessed; {row['advisories']} advisories held "
                      f"({', '.join(row['sources']) or 'no source'}), newest record "
                      f"{row['newest_record'] or '—'}", markup=False, highlight=False)
    for target, why in result.not_assessed:
        console.print(f"not assessed: {target.name} {target.version or ''} ({target.purl}): "
                      f"{why}", style="yellow", markup=False, highlight=False)
    unknown = summary["by_severity"].get(Severity.UNKNOWN.value, 0)
    if unknown:
        console.print(f"{unknown} finding{'s' if unknown != 1 else ''} of unknown severity: no "
                      "CVSS vector or severity rating in any source; counted as "
                      f"'{unknown_as.value}' for --fail-on (--unknown-severity-as)")
