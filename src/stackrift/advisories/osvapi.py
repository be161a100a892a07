"""Answering OSV API queries (https://google.github.io/osv.dev/api/) from an advisory reader.

A query names a package (ecosystem and name, or a purl) and usually a version. Which
vulnerabilities affect it is decided by the scan's own :class:`~stackrift.advisories.matcher.
Matcher` (no second matcher): a query is a scan of one component. The answer lists, for each
vulnerability group that affects the package, the records that matched it (by range or by
product text) and the group's CNVD/CNNVD records (what the Chinese databases call the same
vulnerability), each as an OSV object. Records are converted, never enriched: a CNVD record's
``affected`` names the packages its product text was resolved to, with the text itself, and no
range it does not give.

Fail closed: a query about an ecosystem the store holds no package advisories for is refused
(:class:`OsvQueryError`), since an empty answer would read as "not vulnerable".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from stackrift.advisories.interface import AdvisoryReader, GroupView, PackageKey
from stackrift.advisories.matcher import AFFECTED_STATUSES, CHINESE, WESTERN, Matcher, Target
from stackrift.advisories.matching import (
    PURL_ECOSYSTEMS,
    ecosystem_key,
    normalise_name,
    purl_identity,
)
from stackrift.advisories.model import Advisory, Affected
from stackrift.advisories.products import parse_product
from stackrift.errors import InputError

MAX_BATCH = 1000  # queries in one /v1/querybatch, as osv.dev allows
MAX_TEXT = 512  # characters of a package name, purl or version
SCHEMA_VERSION = "1.6.0"  # the OSV schema version the objects follow
_PURL_TYPES = {ecosystem: kind for kind, ecosystem in PURL_ECOSYSTEMS.items()}


class OsvQueryError(InputError):
    """A query that cannot be answered: ``status`` is the HTTP status, the message says why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class PackageQuery:
    """One query: a package (canonical ecosystem, name as given) and, usually, a version."""

    ecosystem: str
    name: str
    version: str | None

    @property
    def key(self) -> PackageKey:
        return (self.ecosystem, normalise_name(self.ecosystem, self.name))

    def purl(self) -> str:
        """The package as a purl, the way ``scan`` reads a component's identity."""
        kind = _PURL_TYPES.get(self.ecosystem, self.ecosystem.lower())
        name = self.name.replace(":", "/", 1) if kind == "maven" else self.name
        path = "/".join(quote(part, safe="@") for part in name.split("/"))
        version = f"@{quote(self.version, safe='')}" if self.version else ""
        return f"pkg:{kind}/{path}{version}"


def _text(value: Any, field: str, where: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise OsvQueryError(f"{where}: '{field}' must be a string")
    if len(value) > MAX_TEXT:
        raise OsvQueryError(f"{where}: '{field}' is longer than {MAX_TEXT} characters")
    return value


def parse_query(data: Any, where: str = "query") -> PackageQuery:
    """A query object of the OSV API as a :class:`PackageQuery`; :class:`OsvQueryError` naming
    the field otherwise. Commit queries are refused: they need commit history."""
    if not isinstance(data, dict):
        raise OsvQueryError(f"{where}: expected a JSON object")
    if data.get("commit"):
        raise OsvQueryError(f"{where}: commit queries are not supported (this server matches "
                            "package versions only); query by package and version")
    if _text(data.get("page_token"), "page_token", where):
        raise OsvQueryError(f"{where}: unknown page_token (this server answers in one page)")
    package = data.get("package")
    if not isinstance(package, dict):
        raise OsvQueryError(f"{where}: expected 'package' with 'ecosystem' and 'name', or 'purl'")
    version = _text(data.get("version"), "version", where)
    purl = _text(package.get("purl"), "package.purl", where)
    if purl:
        identity = purl_identity(purl)
        if identity is None:
            raise OsvQueryError(f"{where}: 'package.purl' is not a package URL (pkg:TYPE/NAME)")
        if identity[2] and version:
            raise OsvQueryError(f"{where}: give the version in the purl or in 'version', not both")
        return PackageQuery(identity[0], identity[1], identity[2] or version)
    ecosystem = ecosystem_key(_text(package.get("ecosystem"), "package.ecosystem", where))
    name = _text(package.get("name"), "package.name", where)
    if not ecosystem or not name:
        raise OsvQueryError(f"{where}: 'package' needs 'ecosystem' and 'name' (or 'purl')")
    return PackageQuery(ecosystem, name, version)


def parse_batch(data: Any) -> list[PackageQuery]:
    """The ``queries`` of a /v1/querybatch body (at most :data:`MAX_BATCH`)."""
    queries = data.get("queries") if isinstance(data, dict) else None
    if not isinstance(queries, list):
        raise OsvQueryError("expected {\"queries\": [...]}")
    if len(queries) > MAX_BATCH:
        raise OsvQueryError(f"{len(queries)} queries in one batch; at most {MAX_BATCH}")
    return [parse_query(q, f"queries[{n}]") for n, q in enumerate(queries)]


@dataclass(frozen=True)
class Hit:
    """A record answering a query, and the group it belongs to."""

    group_id: str
    record: Advisory
    # product-text key -> the packages it was resolved to, for the record's ``affected``
    resolved: Mapping[str, tuple[PackageKey, ...]]


class OsvAnswers:
    """Answers queries from one reader (one per request or batch: it caches what it loads)."""

    def __init__(self, reader: AdvisoryReader,
                 catalogue_keys: dict[tuple[str, str], set[str]] | None = None) -> None:
        self.reader = reader
        self.matcher = Matcher(reader, catalogue_keys)
        self.learned: dict[str, list[PackageKey]] = {}
        for package, keys in reader.index().product_map.items():
            for key, _support in keys:
                self.learned.setdefault(key, []).append(package)

    def answer(self, queries: Sequence[PackageQuery]) -> list[list[Hit]]:
        """The records answering each query, in the order of the queries."""
        self._check_coverage({q.ecosystem for q in queries})
        versioned = [(n, q) for n, q in enumerate(queries) if q.version]
        targets = [Target(ref=str(n), name=q.name, version=q.version, purl=q.purl())
                   for n, q in versioned]
        matched = self.matcher.match_all(targets)
        # per query: group -> ids of its records that matched the package directly
        found: list[dict[str, set[tuple[str, str]]]] = [{} for _ in queries]
        for (n, _query), matches in zip(versioned, matched, strict=True):
            for match in matches:
                found[n][match.group_id] = {(r.source, r.id) for r in match.records
                                            if r.method != "alias"}
        unversioned = [(n, q) for n, q in enumerate(queries) if not q.version]
        if unversioned:
            self._any_version(unversioned, found)
        groups = self.reader.groups({g for per_query in found for g in per_query})
        return [self._hits(query, per_query, groups, target_keys)
                for query, per_query, target_keys in zip(
                    queries, found, self._query_keys(queries), strict=True)]

    def _check_coverage(self, ecosystems: Iterable[str]) -> None:
        wanted = sorted(set(ecosystems))
        if not wanted:
            return
        coverage = self.reader.describe(wanted).package_coverage
        missing = [e for e in wanted if not coverage.get(e)]
        if missing:
            raise OsvQueryError(f"the advisory store holds no {', '.join(missing)} advisories, "
                                "so queries about that ecosystem cannot be answered (an empty "
                                "answer would wrongly say 'not vulnerable'); import its feed "
                                "first", status=422)

    def _any_version(self, queries: Sequence[tuple[int, PackageQuery]],
                     found: list[dict[str, set[tuple[str, str]]]]) -> None:
        """Queries without a version: every record naming the package as affected (as
        osv.dev answers them); no version is decided."""
        lookup = self.reader.lookup(packages={q.key for _n, q in queries}).packages
        for n, query in queries:
            for group_id, record in lookup.get(query.key, ()):
                if not record.withdrawn and any(
                        a.status in AFFECTED_STATUSES and a.name
                        and ecosystem_key(a.ecosystem) == query.ecosystem
                        and normalise_name(query.ecosystem, a.name) == query.key[1]
                        for a in record.affected):
                    found[n].setdefault(group_id, set()).add((record.source, record.id))

    def _query_keys(self, queries: Sequence[PackageQuery]) -> list[dict[str, str]]:
        return [self.matcher.product_keys(Target(ref="", name=q.name, version=q.version,
                                                 purl=q.purl())) for q in queries]

    def _hits(self, query: PackageQuery, per_query: Mapping[str, set[tuple[str, str]]],
              groups: Mapping[str, GroupView], target_keys: Mapping[str, str]) -> list[Hit]:
        hits: list[Hit] = []
        for group_id in sorted(per_query):
            direct = per_query[group_id]
            view = groups.get(group_id)
            for record in view.records if view else ():
                if record.withdrawn or not ((record.source, record.id) in direct
                                            or record.source in CHINESE):
                    continue
                hits.append(Hit(group_id, record,
                                self._resolved(record, query.key, target_keys)))
        return hits

    def _resolved(self, record: Advisory, package: PackageKey,
                  target_keys: Mapping[str, str]) -> dict[str, tuple[PackageKey, ...]]:
        resolved: dict[str, tuple[PackageKey, ...]] = {}
        for a in record.affected:
            if a.product and not a.name:
                key = parse_product(a.product).key
                packages = set(self.learned.get(key, ()))
                if key in target_keys:
                    packages.add(package)
                resolved[key] = tuple(sorted(packages))
        return resolved

    def vulnerability(self, ident: str) -> Hit | None:
        """The record with this id, or (for an alias) the group's record that best stands for
        it: one listing it as an alias, Western sources first."""
        ident = ident.strip()
        if not ident or len(ident) > MAX_TEXT:
            return None
        view = self.reader.groups([ident], by_member=True).get(ident)
        if view is None:
            return None
        wanted = ident.upper()
        ranked = sorted(view.records, key=lambda r: (
            r.id.upper() != wanted, wanted not in (a.upper() for a in r.aliases),
            r.source not in WESTERN, r.source == "starter", r.source, r.id))
        record = ranked[0]
        return Hit(view.group_id, record, self._resolved(record, ("", ""), {}))


def _timestamp(value: str | None) -> str | None:
    """RFC 3339 in UTC as osv.dev writes it (``…T12:00:00Z``, with ``.ffffff`` when the source
    gives fractions), which OSV clients parse strictly; a bare day (CNVD, CNNVD) is that day
    at midnight UTC. A value that is no date at all is left out."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if moment.microsecond
                           else "%Y-%m-%dT%H:%M:%SZ")


def _package(ecosystem: str | None, name: str, purl: str | None = None) -> dict[str, str]:
    package = {"ecosystem": ecosystem or "", "name": name}
    if purl:
        package["purl"] = purl
    return package


def _affected(entry: Affected, resolved: Mapping[str, tuple[PackageKey, ...]]
              ) -> list[dict[str, Any]]:
    if entry.name:
        item: dict[str, Any] = {"package": _package(entry.ecosystem, entry.name, entry.purl)}
        if entry.ranges:
            item["ranges"] = [{"type": r.type, "events": [{e.kind: e.version} for e in r.events]}
                              for r in entry.ranges]
        if entry.versions:
            item["versions"] = list(entry.versions)
        if entry.status != "affected":
            item["database_specific"] = {"status": entry.status}
        return [item]
    if not entry.product:
        return []
    # product text: one entry per package the text was resolved to, carrying the text itself
    # and no range (the text's version clause is the source's statement, kept as written)
    key = parse_product(entry.product).key
    return [{"package": _package(ecosystem, name),
             "database_specific": {"product": entry.product, "status": entry.status}}
            for ecosystem, name in resolved.get(key, ())]


def osv_object(hit: Hit) -> dict[str, Any]:
    """A stored record as an OSV object (schema 1.6)."""
    record = hit.record
    vuln: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "id": record.id}
    optional = {
        "modified": _timestamp(record.modified or record.published),
        "published": _timestamp(record.published),
        "withdrawn": _timestamp(record.withdrawn),
        "aliases": list(record.aliases), "summary": record.title, "details": record.details,
        "severity": [{"type": r.scheme, "score": r.vector} for r in record.severities
                     if r.vector and r.scheme.startswith("CVSS_")]}
    vuln.update((field, value) for field, value in optional.items() if value)
    vuln["affected"] = [item for entry in record.affected
                        for item in _affected(entry, hit.resolved)]
    if record.references:
        vuln["references"] = [{"type": "WEB", "url": url} for url in record.references]
    vuln["database_specific"] = _specific(hit)
    return vuln


def _specific(hit: Hit) -> dict[str, Any]:
    """What OSV has no field for: the source, the StackRift group, product texts, rating words."""
    record = hit.record
    specific: dict[str, Any] = {"source": record.source, "group": hit.group_id}
    products = [a.product for a in record.affected if a.product and not a.name]
    if products:
        specific["products"] = products
    ratings = [r.rating for r in record.severities if r.rating and not r.vector]
    if ratings:
        specific["severity"] = ratings
    return specific


def summary_object(hit: Hit) -> dict[str, str]:
    """A record as /v1/querybatch lists it: id and modified."""
    found = {"id": hit.record.id}
    modified = _timestamp(hit.record.modified or hit.record.published)
    if modified:
        found["modified"] = modified
    return found

