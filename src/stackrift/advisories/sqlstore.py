"""The advisory store over SQLAlchemy: the same content and behaviour as the SQLite store, on any
database SQLAlchemy reaches (``sqlite:///file``, ``postgresql+psycopg://…``).

It implements :class:`~stackrift.advisories.interface.AdvisoryStore` with the records prepared
by :func:`stackrift.advisories.store.prepare`, grouped by :mod:`stackrift.advisories.correlation`
and decoded by the store's own decoder, so both stores hold and answer the same. Its schema is
managed by Alembic (``sql_migrations/``) with its own version table, so it can share a database
with another application's Alembic history; :func:`open_sql_store` upgrades it on opening.

One store (one engine, a pool of connections) serves a whole process: its reader methods take a
connection from the pool per call and may run in several threads at once. An import is one
transaction (all or nothing); on PostgreSQL, imports into the same database wait for each other.
"""

from __future__ import annotations

import functools
import threading
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from importlib import resources
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    case,
    create_engine,
    delete,
    distinct,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from stackrift.advisories import sqlstore_tables as t
from stackrift.advisories.interface import (
    CONTENT_META,
    GroupView,
    PackageKey,
    RecordLookup,
    StoreDescription,
    StoreIndex,
)
from stackrift.advisories.model import FIRST_DATE, Advisory, ImportReport
from stackrift.advisories.store import (
    MIN_SHARE,
    MIN_SUPPORT,
    StoredRecord,
    group_views,
    unpack_record,
)
from stackrift.advisories.storeurl import is_store_url as is_store_url  # re-exported
from stackrift.errors import StoreError, UnusableStoreError, UsageError

P = ParamSpec("P")
R = TypeVar("R")

BATCH = 2000  # records per write: memory stays flat, round trips amortised
CHUNK = 500  # values per IN list
GENERATION_META = "generation"  # changes with every import: readers' caches follow it
_PG_IMPORT_LOCK = 0x5354_4B52  # advisory lock key serialising imports on PostgreSQL ("STKR")


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"


def _db_errors(method: Callable[P, R]) -> Callable[P, R]:
    """Database failures become the store's user-facing errors (exit 2), never tracebacks:
    a scan against a store it cannot read must not report "clean"."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except SQLAlchemyError as exc:
            store = args[0]
            where = store.url if isinstance(store, SqlAdvisoryStore) else "advisory store"
            raise UnusableStoreError(f"{where}: the advisory store could not be read or "
                                     f"written ({type(exc).__name__}: "
                                     f"{str(exc).splitlines()[0]})") from exc

    return wrapper


def _by_first(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Pairs grouped by their first part: (ecosystem, name) by ecosystem, (source, id) by
    source."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for first, second in pairs:
        grouped[first].append(second)
    return grouped


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class SqlAdvisoryStore:
    """An advisory store in a SQL database reached through a SQLAlchemy engine."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self._records: dict[tuple[str, str], Advisory] = {}  # decoded, per generation
        self._index: StoreIndex | None = None
        self._generation: str | None = None
        self._lock = threading.Lock()

    # -- caches ----------------------------------------------------------------------------------

    def _current(self, conn: Connection) -> None:
        """Drop cached records and index when another process (or this one) imported since."""
        generation = conn.execute(select(t.meta.c.value).where(
            t.meta.c.key == GENERATION_META)).scalar()
        if generation != self._generation:
            with self._lock:
                self._records = {}
                self._index = None
                self._generation = generation

    def _record(self, source: str, ident: str, blob: bytes) -> Advisory:
        key = (source, ident)
        records = self._records
        record = records.get(key)
        if record is None:
            if len(records) > 200_000:
                records.clear()  # bound memory on very large scans
            record = records[key] = unpack_record(blob)
        return record

    def forget_records(self) -> None:
        """Drop the records decoded so far."""
        self._records = {}

    # -- the reader interface --------------------------------------------------------------------

    @_db_errors
    def index(self) -> StoreIndex:
        with self.engine.connect() as conn:
            self._current(conn)
            cached = self._index
            if cached is not None:
                return cached
            known = {(e, n) for e, n in conn.execute(
                select(t.packages.c.ecosystem, t.packages.c.name).distinct())}
            mapping: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
            # sorted here, not in SQL: the database's collation may order text otherwise
            for eco, name, key, support in sorted(conn.execute(
                    select(t.product_map.c.ecosystem, t.product_map.c.name, t.product_map.c.key,
                           t.product_map.c.support)), key=lambda row: (row[2], row[0], row[1])):
                mapping[(eco, name)].append((key, support))
                known.add((eco, name))
            index = StoreIndex(frozenset(known), dict(mapping))
            self._index = index
            return index

    @_db_errors
    def lookup(self, packages: Iterable[PackageKey] = (),
               product_keys: Iterable[str] = ()) -> RecordLookup:
        wanted = sorted(set(packages))
        keys = sorted(set(product_keys))
        with self.engine.connect() as conn:
            self._current(conn)
            return RecordLookup(self._for_packages(conn, wanted) if wanted else {},
                                self._for_product_keys(conn, keys) if keys else {})

    def _for_packages(self, conn: Connection, wanted: list[PackageKey]
                      ) -> dict[PackageKey, list[tuple[str, Advisory]]]:
        p, r = t.packages, t.records
        found: dict[PackageKey, list[tuple[str, Advisory]]] = defaultdict(list)
        seen: set[tuple[str, str, str, str, str]] = set()
        # by ecosystem and a list of names: a row-value IN list is not answered from the
        # index on every database
        rows: list[Any] = []
        for ecosystem, names in _by_first(wanted).items():
            for chunk in _chunks(names):
                rows.extend(conn.execute(
                    select(p.c.ecosystem, p.c.name, p.c.seq, r.c.group_id, r.c.source, r.c.id,
                           r.c.data)
                    .join(r, (r.c.source == p.c.source) & (r.c.id == p.c.record_id))
                    .where((p.c.ecosystem == ecosystem) & p.c.name.in_(list(chunk)))))
        # the SQLite store's order: package, then the order its rows were written
        for eco, name, _seq, g, s, i, blob in sorted(rows, key=lambda row: row[:3]):
            if (eco, name, g, s, i) not in seen:  # a record naming the package twice
                seen.add((eco, name, g, s, i))
                found[(eco, name)].append((g, self._record(s, i, bytes(blob))))
        return dict(found)

    def _for_product_keys(self, conn: Connection, keys: list[str]
                          ) -> dict[str, list[tuple[str, Advisory]]]:
        p, r = t.products, t.records
        found: dict[str, list[tuple[str, Advisory]]] = defaultdict(list)
        for chunk in _chunks(keys):
            rows = {(k, s, i, g, bytes(blob)) for k, s, i, g, blob in conn.execute(
                select(p.c.key, r.c.source, r.c.id, r.c.group_id, r.c.data)
                .join(r, (r.c.source == p.c.source) & (r.c.id == p.c.record_id))
                .where(p.c.key.in_(list(chunk))))}
            for key, s, i, g, blob in sorted(rows):
                found[key].append((g, self._record(s, i, blob)))
        return dict(found)

    @_db_errors
    def groups(self, ids: Iterable[str], *, by_member: bool = False) -> dict[str, GroupView]:
        with self.engine.connect() as conn:
            self._current(conn)
            if not by_member:
                return self._groups_by_id(conn, ids)
            found: dict[str, GroupView] = {}
            for ident in ids:
                group_id = self._group_of_member(conn, ident)
                if group_id is not None:
                    view = self._groups_by_id(conn, [group_id]).get(group_id)
                    if view is not None:
                        found[ident] = view
            return found

    @staticmethod
    def _group_of_member(conn: Connection, ident: str) -> str | None:
        i, r = t.idents, t.records
        query = select(r.c.group_id).join(i, (r.c.source == i.c.source)
                                          & (r.c.id == i.c.record_id))
        wanted = ident.strip()
        group = conn.execute(query.where(i.c.ident == wanted).limit(1)).scalar()
        if group is None:  # ids are case-insensitive for people typing them (ghsa-…, cve-…)
            group = conn.execute(query.where(func.lower(i.c.ident) == wanted.lower())
                                 .order_by(r.c.group_id).limit(1)).scalar()
        return group

    def _groups_by_id(self, conn: Connection, group_ids: Iterable[str]) -> dict[str, GroupView]:
        i, r = t.idents, t.records
        found: dict[str, GroupView] = {}
        for chunk in _chunks(sorted(set(group_ids))):
            idents = [(ident, group) for ident, group in conn.execute(
                select(i.c.ident, r.c.group_id)
                .join(i, (i.c.source == r.c.source) & (i.c.record_id == r.c.id))
                .where(r.c.group_id.in_(list(chunk))))]
            rows = sorted((s, ident, g, bytes(blob)) for s, ident, g, blob in conn.execute(
                select(r.c.source, r.c.id, r.c.group_id, r.c.data)
                .where(r.c.group_id.in_(list(chunk)))))
            found.update(group_views(chunk, idents, rows, self._record))
        return found

    @_db_errors
    def describe(self, ecosystems: Iterable[str] = (), *, text: bool = False,
                 newest: bool = False, totals: bool = False) -> StoreDescription:
        with self.engine.connect() as conn:
            meta = {k: v for k, v in conn.execute(select(t.meta.c.key, t.meta.c.value))
                    if k != GENERATION_META}
            return StoreDescription(
                records=int(conn.execute(select(func.count()).select_from(t.records))
                            .scalar_one()),
                meta=meta,
                package_coverage=self._package_coverage(conn, ecosystems),
                text_coverage=self._text_coverage(conn) if text else None,
                newest=self._newest(conn) if newest else None,
                totals=self._stats(conn) if totals else None)

    @staticmethod
    def _day() -> Any:
        # modified, else published (placeholders are no date: FIRST_DATE)
        r = t.records
        return func.max(func.substr(case((r.c.modified >= FIRST_DATE, r.c.modified),
                                         (r.c.published >= FIRST_DATE, r.c.published)), 1, 10))

    def _package_coverage(self, conn: Connection, ecosystems: Iterable[str]
                          ) -> dict[str, dict[str, tuple[int, str | None]]]:
        p, r = t.packages, t.records
        found: dict[str, dict[str, tuple[int, str | None]]] = {}
        for ecosystem in sorted(set(ecosystems)):
            rows = conn.execute(
                select(r.c.source, func.count(distinct(r.c.id)), self._day())
                .join(r, (r.c.source == p.c.source) & (r.c.id == p.c.record_id))
                .where(p.c.ecosystem == ecosystem).group_by(r.c.source))
            found[ecosystem] = {source: (int(count), newest) for source, count, newest in rows}
        return found

    def _text_coverage(self, conn: Connection) -> dict[str, tuple[int, str | None]]:
        p, r = t.products, t.records
        found = {}
        for (source,) in conn.execute(select(p.c.source).distinct()).all():
            count = conn.execute(select(func.count(distinct(p.c.record_id)))
                                 .where(p.c.source == source)).scalar_one()
            newest = conn.execute(select(self._day()).where(r.c.source == source)).scalar()
            found[source] = (int(count), newest)
        return found

    def _newest(self, conn: Connection) -> str | None:
        day = conn.execute(select(self._day())).scalar()
        return str(day) if day else None

    def _stats(self, conn: Connection) -> dict[str, Any]:
        r, p = t.records, t.packages
        by_source = dict.fromkeys(("osv", "cnvd", "cnnvd", "cve5", "csaf"), 0)
        for source, count in conn.execute(select(r.c.source, func.count())
                                          .group_by(r.c.source)):
            by_source[source] = int(count)
        by_ecosystem = {eco: int(count) for eco, count in conn.execute(
            select(p.c.ecosystem, func.count(distinct(p.c.record_id)))
            .where(p.c.source == "osv").group_by(p.c.ecosystem))}
        sources: dict[str, set[str]] = defaultdict(set)
        for group_id, source in conn.execute(select(r.c.group_id, r.c.source).distinct()):
            sources[group_id].add(source)
        combos = Counter("+".join(sorted(s)) for s in sources.values())
        return {
            "records_by_source": by_source,
            "osv_by_ecosystem": dict(sorted(by_ecosystem.items())),
            "groups_total": sum(combos.values()),
            "groups_by_sources": dict(sorted(combos.items())),
            "skipped": int(conn.execute(select(func.count()).select_from(t.skipped_files))
                           .scalar_one()),
            "rejected": int(conn.execute(select(func.count()).select_from(t.rejections))
                            .scalar_one()),
            "schema_version": self.schema_version,
        }

    def published_dates(self) -> Iterator[tuple[str, str, str | None]]:
        r = t.records
        try:
            with self.engine.connect() as conn:
                rows = sorted(conn.execute(select(r.c.group_id, r.c.source, r.c.published,
                                                  r.c.id)), key=lambda row: row[:2] + row[3:])
        except SQLAlchemyError as exc:
            raise UnusableStoreError(f"{self.url}: the advisory store could not be read "
                                     f"({type(exc).__name__})") from exc
        for group_id, source, published, _ident in rows:
            yield str(group_id), str(source), published

    # -- the writer interface --------------------------------------------------------------------

    @_db_errors
    def modified_of(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str | None]:
        r = t.records
        found: dict[tuple[str, str], str | None] = {}
        with self.engine.connect() as conn:
            for source, idents in _by_first(sorted(set(keys))).items():
                for chunk in _chunks(idents):
                    for ident, modified in conn.execute(
                            select(r.c.id, r.c.modified)
                            .where((r.c.source == source) & r.c.id.in_(list(chunk)))):
                        found[(source, ident)] = modified
        return found

    def set_meta(self, key: str, value: str) -> None:
        try:
            with self.engine.begin() as conn:
                _put_meta(conn, key, value)
        except SQLAlchemyError as exc:  # a write refused (a read-only user): the store as it was
            raise StoreError(f"{self.url}: could not record {key} in the store "
                             f"({type(exc).__name__}: {str(exc).splitlines()[0]})") from exc

    def apply_import(self, records: Iterable[StoredRecord], report: ImportReport,
                     label: str | None = None) -> None:
        from stackrift.advisories.sqlimport import Import

        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":  # one import at a time per database
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                 {"key": _PG_IMPORT_LOCK})
                job = Import(conn, report, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
                changed = job.run(records)
                _bookkeeping(conn, report)
                if changed:
                    _learn_products(conn)
                    conn.execute(delete(t.meta).where(t.meta.c.key == CONTENT_META))
                    if label:
                        conn.execute(insert(t.meta).values(key=CONTENT_META, value=label))
                    _put_meta(conn, GENERATION_META, uuid.uuid4().hex)
            with self.engine.connect() as conn:
                report.groups_total = int(conn.execute(
                    select(func.count(distinct(t.records.c.group_id)))).scalar_one())
        except SQLAlchemyError as exc:
            raise StoreError(f"{self.url}: the import failed and was rolled back; the store is "
                             f"unchanged ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0]})") from exc
        finally:
            self.forget_records()
            self._index = None

    # -- bookkeeping -----------------------------------------------------------------------------

    @property
    def schema_version(self) -> str | None:
        """The Alembic revision the store is at."""
        with self.engine.connect() as conn:
            return _revision(conn)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> SqlAdvisoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _put_meta(conn: Connection, key: str, value: str) -> None:
    conn.execute(delete(t.meta).where(t.meta.c.key == key))
    conn.execute(insert(t.meta).values(key=key, value=value))


def _bookkeeping(conn: Connection, report: ImportReport) -> None:
    """Skipped files and rejections, each kept once (the latest reason for a rejection)."""
    skipped = {s.file: s.reason for s in reversed(report.skipped)}
    if skipped:
        present: set[str] = set()
        for chunk in _chunks(sorted(skipped)):
            present.update(conn.execute(select(t.skipped_files.c.file)
                                        .where(t.skipped_files.c.file.in_(list(chunk)))).scalars())
        new = [{"file": f, "reason": why} for f, why in skipped.items() if f not in present]
        if new:
            conn.execute(insert(t.skipped_files), new)
    rejected = {(r.file, r.record or ""): r.reason for r in report.rejections}
    for file, record in rejected:
        conn.execute(delete(t.rejections).where((t.rejections.c.file == file)
                                                & (t.rejections.c.record == record)))
    if rejected:
        conn.execute(insert(t.rejections), [{"file": f, "record": rec, "reason": why}
                                            for (f, rec), why in rejected.items()])


def _learn_products(conn: Connection) -> None:
    """Learn product key -> package from groups joining a text record and a package record (the
    SQLite store's rule and thresholds)."""
    rows = conn.execute(text(
        "SELECT p.key, k.ecosystem, k.name, COUNT(DISTINCT gk.group_id) "
        "FROM stackrift_adv_packages k "
        "JOIN stackrift_adv_records gk ON gk.source = k.source AND gk.id = k.record_id "
        "JOIN stackrift_adv_records gp ON gp.group_id = gk.group_id "
        "JOIN stackrift_adv_products p ON p.source = gp.source AND p.record_id = gp.id "
        "GROUP BY p.key, k.ecosystem, k.name")).all()
    per_key: Counter[str] = Counter()
    for key, _eco, _name, support in rows:
        per_key[key] += support
    conn.execute(delete(t.product_map))
    kept = [{"key": key, "ecosystem": eco, "name": name, "support": int(support)}
            for key, eco, name, support in rows
            if support >= MIN_SUPPORT and support / per_key[key] >= MIN_SHARE]
    if kept:
        conn.execute(insert(t.product_map), kept)


def _revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(conn, opts={"version_table": t.VERSION_TABLE})
    return context.get_current_revision()


def _script_location() -> str:
    return str(resources.files("stackrift.advisories") / "sql_migrations")


def upgrade(engine: Engine, url: str) -> None:
    """Migrate the store's tables to the newest revision (creating them in an empty database);
    a store from a newer StackRift is refused."""
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", _script_location())
    script = ScriptDirectory.from_config(config)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # two processes opening a new database at once
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_IMPORT_LOCK})
        current = _revision(conn)
        if current is not None and current not in {s.revision for s in script.walk_revisions()}:
            raise UnusableStoreError(f"{safe_url(url)}: advisory store revision {current} is "
                                     "newer than this StackRift understands; upgrade StackRift "
                                     "or pass --db with another store")
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def open_sql_store(url: str, *, create: bool = True, starter: bool = True) -> SqlAdvisoryStore:
    """Open the store in the database at ``url`` (a SQLAlchemy URL), migrated to the newest
    schema; with ``starter``, the packaged starter pack is imported if it lacks this version.

    ``create=False`` refuses a database that holds no advisory store yet."""
    shown = safe_url(url)
    try:
        engine = create_engine(url, pool_pre_ping=True)
    except (ArgumentError, ImportError, ValueError) as exc:
        raise UsageError(f"{shown}: not a usable database URL ({exc}); expected e.g. "
                         "sqlite:///path/advisories.sqlite or "
                         "postgresql+psycopg://user@host/db") from exc
    try:
        with engine.connect() as conn:
            exists = _revision(conn) is not None
        if not exists and not create:
            raise UsageError(f"{shown}: no advisory store here; run 'stackrift db import' first "
                             "or pass --db")
        upgrade(engine, url)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise UnusableStoreError(f"{shown}: cannot open the advisory store "
                                 f"({type(exc).__name__}: {str(exc).splitlines()[0]})") from exc
    except BaseException:
        engine.dispose()
        raise
    store = SqlAdvisoryStore(engine, shown)
    if starter:
        from stackrift.advisories.starter_pack import ensure_starter

        try:
            ensure_starter(store)
        except StoreError:
            pass  # a database this user cannot write: db stats reports the pack as not current
        except BaseException:
            store.close()
            raise
    return store


__all__ = ["SqlAdvisoryStore", "is_store_url", "open_sql_store", "safe_url", "upgrade"]
