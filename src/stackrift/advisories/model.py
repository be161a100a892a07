"""Advisory records as every feed importer produces them and the store keeps them.

One record shape for all sources (OSV, CVE 5, CSAF, CNVD, CNNVD): an id, its aliases, dates,
severities as each source rated them, and what is affected — either a package identity with
version ranges (OSV-style) or free product text (CNVD/CNNVD-style) that the product resolver maps.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import orjson

if TYPE_CHECKING:
    import hashlib

Source = Literal["osv", "cve5", "csaf", "cnvd", "cnnvd", "starter"]
SOURCES: tuple[str, ...] = ("osv", "cve5", "csaf", "cnvd", "cnnvd", "starter")
EventKind = Literal["introduced", "fixed", "last_affected", "limit"]
EVENT_KINDS: tuple[str, ...] = ("introduced", "fixed", "last_affected", "limit")

# Identifier schemes that join records into one vulnerability group. Anything else in an alias
# list (bug-tracker numbers, BIDs) is kept on the record but does not join groups.
_ID_PATTERN = re.compile(
    r"^(CVE-\d{4}-\d{4,}|GHSA(-[23456789cfghjmpqrvwx]{4}){3}|PYSEC-\d{4}-\d+|GO-\d{4}-\d+|"
    r"CNVD-(C-)?\d{4}-\d+|CNNVD-\d{6}-\d+|OSV-\d{4}-\d+|RUSTSEC-\d{4}-\d+|"
    r"[A-Z][A-Z0-9]{1,15}-[A-Za-z0-9:._-]+)$")


def is_vulnerability_id(text: str) -> bool:
    """Whether ``text`` looks like an advisory identifier (CVE, GHSA, PYSEC, CNVD, vendor ids)."""
    return bool(_ID_PATTERN.match(text))


# The small nested records are named tuples: decoding a scan's records builds ~10^5 of them,
# and a tuple is several times cheaper to build than a frozen dataclass.
class Event(NamedTuple):
    """One OSV range event: ``introduced``, ``fixed``, ``last_affected`` or ``limit``."""

    kind: str
    version: str


class Range(NamedTuple):
    """A version range: ``ECOSYSTEM``, ``SEMVER`` or ``GIT`` with its events."""

    type: str
    events: tuple[Event, ...]


class Affected(NamedTuple):
    """What a record says is affected (or, for VEX profiles, its status).

    Package-based records set ``ecosystem`` and ``name``; text-based records set ``product``
    (e.g. ``Google TensorFlow <2.6.0``) and leave the package to the product resolver.
    """

    ecosystem: str | None = None
    name: str | None = None
    purl: str | None = None
    ranges: tuple[Range, ...] = ()
    versions: tuple[str, ...] = ()
    product: str | None = None
    vendor: str | None = None
    status: str = "affected"


class Rating(NamedTuple):
    """One source's severity: a CVSS vector (with score) or a plain rating word."""

    scheme: str  # CVSS_V2, CVSS_V3, CVSS_V4 or "text"
    vector: str | None = None
    score: float | None = None
    rating: str | None = None  # critical / high / medium / low / none, as the source gave it


@dataclass(frozen=True, slots=True)
class Advisory:
    """One advisory record from one source."""

    source: str
    id: str
    aliases: tuple[str, ...] = ()
    published: str | None = None
    modified: str | None = None
    withdrawn: str | None = None
    title: str | None = None
    details: str | None = None
    severities: tuple[Rating, ...] = ()
    affected: tuple[Affected, ...] = ()
    references: tuple[str, ...] = ()
    origin: str = ""

    @property
    def ids(self) -> tuple[str, ...]:
        """The record's id and those aliases that identify vulnerabilities (joining ids)."""
        joined = [self.id, *(a for a in self.aliases if is_vulnerability_id(a))]
        return tuple(dict.fromkeys(joined))

    def encode(self) -> bytes:
        """The stored form: nested JSON arrays in field order (see :data:`ENCODING`), without
        the ``origin`` path. Arrays rather than objects: smaller, and quicker both ways; orjson
        writes the nested named tuples as arrays through ``default=tuple``."""
        return orjson.dumps((ENCODING, self.source, self.id, self.aliases, self.published,
                             self.modified, self.withdrawn, self.title, self.details,
                             self.severities, self.affected, self.references), default=tuple)

    def digest(self) -> str:
        """Content hash: equal records give equal digests whatever file they came from."""
        return digest_of(self.encode())

    @staticmethod
    def decode(blob: bytes | str, origin: str = "") -> Advisory:
        """A record from :meth:`encode`'s form; ValueError/TypeError if it is not one."""
        data = orjson.loads(blob)
        if not isinstance(data, list) or not data or data[0] != ENCODING:
            raise ValueError("not a StackRift advisory record (encoding "
                             f"{data[0] if isinstance(data, list) and data else '?'})")
        (_, source, ident, aliases, published, modified, withdrawn, title, details, severities,
         affected, references) = data
        # list comprehensions inside tuple(): quicker than generator expressions on CPython
        return Advisory(
            source, ident, tuple(aliases), published, modified, withdrawn, title, details,
            tuple([Rating(scheme, vector, score, rating)
                   for scheme, vector, score, rating in severities]),
            tuple([Affected(ecosystem, name, purl,
                            tuple([Range(kind, tuple([Event(k, v) for k, v in events]))
                                   for kind, events in ranges]) if ranges else (),
                            tuple(versions), product, vendor, status)
                   for ecosystem, name, purl, ranges, versions, product, vendor, status
                   in affected]),
            tuple(references), origin)


ENCODING = 2  # version of the stored record form; 1 was a JSON object per record


DIGEST_LENGTH = 32  # hexadecimal digits of a record's digest

FIRST_DATE = "1970"
"""Record dates (ISO text) before this are placeholders, not dates: Go's vulnerability database
writes the zero time (0001-01-01) for "unknown". Whatever reads record dates (newest record,
first publication, lags) ignores them."""


def digest_of(blob: bytes) -> str:
    """The digest of a record's stored form (see :meth:`Advisory.digest`)."""
    return _sha256()(blob).hexdigest()[:DIGEST_LENGTH]


@cache
def _sha256() -> Callable[[bytes], hashlib._Hash]:
    # imported on first use: hashlib loads OpenSSL's libcrypto (~3.5 MiB), which reading
    # records (every scan) never needs; an import statement per record would cost imports
    # twice the hashing
    from hashlib import sha256

    return sha256


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record (or file) that could not be imported, and why."""

    file: str
    record: str | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file} [{self.record}]" if self.record else self.file
        return f"{where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file that is not an advisory (e.g. ``.id-allocator``, ``LICENSE``)."""

    file: str
    reason: str


@dataclass
class SourceSummary:
    """Counts for one source in one import."""

    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    duplicates: int = 0
    duplicate_identical: int = 0
    duplicate_revised: int = 0


@dataclass
class ImportReport:
    """What an import did, per source, plus skipped files and rejections with reasons."""

    sources: dict[str, SourceSummary] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    duplicate_ids: list[str] = field(default_factory=list)
    groups_total: int = 0

    def summary(self, source: str) -> SourceSummary:
        return self.sources.setdefault(source, SourceSummary())

    def to_dict(self) -> dict[str, Any]:
        return {
            "sources": {name: vars(s) for name, s in sorted(self.sources.items())},
            "skipped": len(self.skipped),
            "skipped_files": [{"file": s.file, "reason": s.reason} for s in self.skipped],
            "rejected": len(self.rejections),
            "rejections": [{"file": r.file, "record": r.record, "reason": r.reason}
                           for r in self.rejections],
            "duplicate_ids": sorted(self.duplicate_ids),
            "groups_total": self.groups_total,
        }
