"""The advisory store's two small interfaces: what readers and writers of a store need.

:class:`AdvisoryReader` serves scans, analyses, coverage analytics and any front end that only
reads; :class:`AdvisoryWriter` serves imports, updates and the starter pack. The SQLite store
and the SQL store (SQLAlchemy: SQLite or PostgreSQL by URL) implement both
(:class:`AdvisoryStore`); a test or a server can put any other reader in its place. Stores
are opened through :func:`stackrift.advisories.store.open_store` (or, for a scan,
:func:`stackrift.advisories.scan.open_scan_store`), never by naming a class.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from stackrift.advisories.model import Advisory, ImportReport
    from stackrift.advisories.stored import StoredRecord

PackageKey = tuple[str, str]  # (canonical ecosystem, normalised name)
GroupRecords = list[tuple[str, "Advisory"]]  # (group id, record), in store order
CONTENT_META = "content"  # the meta key of the content label (e.g. "starter")


@dataclass(frozen=True, slots=True)
class GroupView:
    """One vulnerability group: every id, and every record from every source that knows it."""

    group_id: str
    ids: tuple[str, ...]
    records: tuple[Advisory, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(sorted({r.source for r in self.records}))


@dataclass(frozen=True)
class StoreIndex:
    """What a matcher loads once: the packages some record (or learned mapping) names, and the
    learned product-text keys of each package with their support."""

    packages: frozenset[PackageKey]
    product_map: Mapping[PackageKey, list[tuple[str, int]]]


@dataclass(frozen=True)
class RecordLookup:
    """The records naming each package asked for, and those naming each product-text key."""

    packages: Mapping[PackageKey, GroupRecords] = field(default_factory=dict)
    products: Mapping[str, GroupRecords] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class StoreDescription:
    """What a store holds, as far as was asked (``None``: not asked)."""

    records: int
    meta: Mapping[str, str]  # bookkeeping: the content label, the starter pack's version
    # per ecosystem asked for: per source, (records naming one of its packages, newest day)
    package_coverage: Mapping[str, Mapping[str, tuple[int, str | None]]]
    # per source naming products by free text: (records, newest day)
    text_coverage: Mapping[str, tuple[int, str | None]] | None = None
    newest: str | None = None  # the latest modification (else publication) day of any record
    totals: Mapping[str, Any] | None = None  # the ``db stats`` document

    @property
    def content_label(self) -> str | None:
        """The label of the import that last changed the store, if it had one."""
        return self.meta.get(CONTENT_META)


class AdvisoryReader(Protocol):
    """What scans, analyses, coverage analytics and read-only front ends need from a store."""

    def index(self) -> StoreIndex:
        """Every package some record or learned product mapping names, and the mappings."""
        ...

    def lookup(self, packages: Iterable[PackageKey] = (),
               product_keys: Iterable[str] = ()) -> RecordLookup:
        """(group id, record) for every record naming each package (by its key) and each
        product-text key, in a few queries; keys nothing names are absent."""
        ...

    def groups(self, ids: Iterable[str], *, by_member: bool = False) -> dict[str, GroupView]:
        """Groups by their group ids; with ``by_member``, each id is any id a group holds
        (CVE, GHSA, PYSEC, CNVD…, case-insensitively) and maps to its group."""
        ...

    def describe(self, ecosystems: Iterable[str] = (), *, text: bool = False,
                 newest: bool = False, totals: bool = False) -> StoreDescription:
        """Record count and bookkeeping; package coverage of ``ecosystems``; with ``text``,
        product-text coverage; with ``newest``, the newest record's day; with ``totals``, the
        ``db stats`` document (these read the whole store, so they are asked for)."""
        ...

    def published_dates(self) -> Iterator[tuple[str, str, str | None]]:
        """(group id, source, published) for every record, by group."""
        ...


class AdvisoryWriter(Protocol):
    """What imports, updates and the starter pack need to change a store."""

    def apply_import(self, records: Iterable[StoredRecord], report: ImportReport,
                     label: str | None = None) -> None:
        """Insert new records, replace those with a newer ``modified``, keep the rest, and
        recompute groups; all or nothing. ``records`` may be consumed as they are parsed (an
        error raised by the iteration rolls the import back); a later copy of an id wins.
        ``label`` names the content (e.g. ``starter``) until another import changes it."""
        ...

    def modified_of(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str | None]:
        """The stored ``modified`` of each (source, id) that is in the store."""
        ...

    def set_meta(self, key: str, value: str) -> None:
        """Record a bookkeeping value (read back through :meth:`AdvisoryReader.describe`)."""
        ...


class AdvisoryStore(AdvisoryReader, AdvisoryWriter, Protocol):
    """A store opened for reading and writing; closed when done (or by ``with``)."""

    def close(self) -> None: ...

    def __enter__(self) -> AdvisoryStore: ...

    def __exit__(self, *exc: object) -> None: ...


@runtime_checkable
class CachingReader(Protocol):
    """A reader that keeps decoded records; a scan releases them while the collector is
    paused, so they are freed by reference counting rather than walked later."""

    def forget_records(self) -> None: ...
