"""The advisory store: its SQLite implementation of the reader and writer interfaces.

Importers, scans and analytics speak only to the interfaces of
:mod:`stackrift.advisories.interface`; another backend (PostgreSQL) is one more class. The
SQLite schema is versioned (``PRAGMA user_version``) and migrated forward on open.
An import is one transaction: a failure or interruption leaves the store as it was.
"""

from __future__ import annotations

import os
import re
import sqlite3
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from stackrift.advisories import storefaults
from stackrift.advisories.correlation import Correlator, group_records
from stackrift.advisories.interface import (
    AdvisoryStore,
    PackageKey,
    RecordLookup,
    StoreDescription,
    StoreIndex,
)
from stackrift.advisories.interface import GroupView as GroupView
from stackrift.advisories.model import (
    FIRST_DATE,
    Advisory,
    Affected,
    Event,
    ImportReport,
    Range,
    Rating,
    digest_of,
)
from stackrift.advisories.stored import StoredRecord as StoredRecord
from stackrift.advisories.stored import prepare as prepare
from stackrift.errors import StoreError, UnusableStoreError, UsageError

APP_NAME = "stackrift"


def default_store_path() -> Path:
    """``$STACKRIFT_DB`` or ``advisories.sqlite`` in the user's data directory."""
    env = os.environ.get("STACKRIFT_DB")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME)) / "advisories.sqlite"


# -- SQLite ----------------------------------------------------------------------------------------

MIGRATIONS: tuple[str | Callable[[sqlite3.Connection], None], ...] = (
    # 1: records, joining ids, package and product indexes, groups
    """
    CREATE TABLE records (
        source TEXT NOT NULL, id TEXT NOT NULL, modified TEXT, published TEXT, withdrawn TEXT,
        digest TEXT NOT NULL, first_seen TEXT NOT NULL, updated_at TEXT NOT NULL,
        data BLOB NOT NULL, PRIMARY KEY (source, id)) WITHOUT ROWID;
    CREATE TABLE idents (ident TEXT NOT NULL, source TEXT NOT NULL, record_id TEXT NOT NULL);
    CREATE INDEX idents_record ON idents (source, record_id);
    CREATE TABLE packages (ecosystem TEXT NOT NULL, name TEXT NOT NULL, source TEXT NOT NULL,
                           record_id TEXT NOT NULL);
    CREATE INDEX packages_name ON packages (ecosystem, name);
    CREATE INDEX packages_record ON packages (source, record_id);
    CREATE TABLE products (key TEXT NOT NULL, source TEXT NOT NULL, record_id TEXT NOT NULL);
    CREATE INDEX products_key ON products (key);
    CREATE INDEX products_record ON products (source, record_id);
    CREATE TABLE group_of_ident (ident TEXT PRIMARY KEY, group_id TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE group_of_record (source TEXT NOT NULL, record_id TEXT NOT NULL,
                                  group_id TEXT NOT NULL, PRIMARY KEY (source, record_id))
                                  WITHOUT ROWID;
    CREATE INDEX group_of_record_group ON group_of_record (group_id);
    """,
    # 2: import bookkeeping and learned product mappings
    """
    CREATE TABLE skipped_files (file TEXT PRIMARY KEY, reason TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE rejections (file TEXT NOT NULL, record TEXT NOT NULL, reason TEXT NOT NULL,
                             PRIMARY KEY (file, record)) WITHOUT ROWID;
    CREATE TABLE product_map (key TEXT NOT NULL, ecosystem TEXT NOT NULL, name TEXT NOT NULL,
                              support INTEGER NOT NULL, PRIMARY KEY (ecosystem, name, key))
                              WITHOUT ROWID;
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    """,
    # 3: group members by group (db show, scans)
    """
    CREATE INDEX group_of_ident_group ON group_of_ident (group_id);
    """,
    # 4: each record carries its group, and the group tables go; records become a rowid table
    # (rows of ~1 KB overflowed the pages of a WITHOUT ROWID table, tripling the file)
    """
    CREATE TABLE records_v4 (
        source TEXT NOT NULL, id TEXT NOT NULL, group_id TEXT NOT NULL, modified TEXT,
        published TEXT, withdrawn TEXT, digest TEXT NOT NULL, first_seen TEXT NOT NULL,
        updated_at TEXT NOT NULL, data BLOB NOT NULL);
    INSERT INTO records_v4
        SELECT r.source, r.id, COALESCE(g.group_id, r.id), r.modified, r.published,
               r.withdrawn, r.digest, r.first_seen, r.updated_at, r.data
        FROM records r LEFT JOIN group_of_record g ON g.source = r.source AND g.record_id = r.id
        ORDER BY r.source, r.id;
    DROP TABLE records;
    ALTER TABLE records_v4 RENAME TO records;
    CREATE UNIQUE INDEX records_key ON records (source, id);
    CREATE INDEX records_group ON records (group_id);
    CREATE INDEX idents_ident ON idents (ident);
    DROP TABLE group_of_ident;
    DROP TABLE group_of_record;
    """,
    # 5: records in the compact encoding (model.ENCODING 2); their digests change with it
    lambda db: _reencode_records(db),
    # 6: what the store holds per ecosystem and per text source, kept by every import (see
    # _count_coverage)
    lambda db: _count_coverage(db, create=True),
)
SCHEMA_VERSION = len(MIGRATIONS)
# Indexes dropped and rebuilt around a bulk load into an empty store (building an
# index once over sorted data is much faster than updating it row by row).
BULK_INDEXES = {
    "records_key": "CREATE UNIQUE INDEX records_key ON records (source, id)",
    "records_group": "CREATE INDEX records_group ON records (group_id)",
    "idents_ident": "CREATE INDEX idents_ident ON idents (ident)",
    "idents_record": "CREATE INDEX idents_record ON idents (source, record_id)",
    "packages_name": "CREATE INDEX packages_name ON packages (ecosystem, name)",
    "packages_record": "CREATE INDEX packages_record ON packages (source, record_id)",
    "products_key": "CREATE INDEX products_key ON products (key)",
    "products_record": "CREATE INDEX products_record ON products (source, record_id)",
}
# Pages of a new store: records average ~0.7 KB, and an import writes ~10^5 of them and reads
# the tables back to build the indexes; 16 KiB pages halve the system time of a large import
# (a quarter of the reads and writes) and leave look-ups as quick as 4 KiB ones.
PAGE_SIZE = 16384
IMPORT_CACHE_KIB = 8 * 1024  # larger caches measured no quicker (the file outgrows any cache)
LOCAL_REGROUP_LIMIT = 5000  # changed records up to which only the groups they touch regroup
BULK_BATCH = 2000  # records per write while bulk loading: memory stays flat, calls amortised
MIN_SUPPORT = 2  # a learned text->package mapping needs two shared CVEs
MIN_SHARE = 0.15  # …and at least this share of the key's links


_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")  # an import's time


# The day of a record's latest news: modified, else published (placeholders are no date)
_NEWEST_DAY = (f"MAX(SUBSTR(CASE WHEN {{r}}modified >= '{FIRST_DATE}' THEN {{r}}modified "
               f"WHEN {{r}}published >= '{FIRST_DATE}' THEN {{r}}published END, 1, 10))")


def unpack_record(blob: bytes, origin: str = "") -> Advisory:
    """A stored record decoded; an undecodable one makes the store unusable (both stores)."""
    # Records are stored uncompressed: compressing cost more import time than the disk it saved
    try:
        return Advisory.decode(blob, origin)
    except (ValueError, KeyError, TypeError) as exc:
        raise UnusableStoreError(f"a stored advisory record is unreadable ({exc}); re-create "
                                 "the store with 'stackrift db import'") from exc


def _legacy_record(blob: bytes) -> Advisory:
    """A record in encoding 1: a JSON object, zlib-compressed by the earliest builds."""
    data = orjson.loads(zlib.decompress(blob) if blob[:1] == b"\x78" else blob)
    return Advisory(
        source=data["source"], id=data["id"], aliases=tuple(data.get("aliases", ())),
        published=data.get("published"), modified=data.get("modified"),
        withdrawn=data.get("withdrawn"), title=data.get("title"), details=data.get("details"),
        severities=tuple(Rating(r["scheme"], r.get("vector"), r.get("score"), r.get("rating"))
                         for r in data.get("severities", ())),
        affected=tuple(
            Affected(ecosystem=a.get("ecosystem"), name=a.get("name"), purl=a.get("purl"),
                     ranges=tuple(Range(r["type"], tuple(Event(k, v) for e in r["events"]
                                                         for k, v in e.items()))
                                  for r in a.get("ranges", ())),
                     versions=tuple(a.get("versions", ())), product=a.get("product"),
                     vendor=a.get("vendor"), status=a.get("status", "affected"))
            for a in data.get("affected", ())),
        references=tuple(data.get("references", ())))


def _reencode_records(db: sqlite3.Connection) -> None:
    """Migration 4: rewrite every record (and its digest) in the current encoding."""
    rows = db.execute("SELECT source, id, data FROM records").fetchall()
    updates = []
    for source, ident, blob in rows:
        try:
            data = _legacy_record(blob).encode()
        except (zlib.error, ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"stored record {source} {ident} is unreadable ({exc}); re-create "
                             "the store with 'stackrift db import'") from exc
        updates.append((data, digest_of(data), source, ident))
    db.executemany("UPDATE records SET data = ?, digest = ? WHERE source = ? AND id = ?",
                   updates)


COVERAGE_TABLE = """
    CREATE TABLE coverage (kind TEXT NOT NULL, ecosystem TEXT NOT NULL, source TEXT NOT NULL,
                           records INTEGER NOT NULL, newest TEXT,
                           PRIMARY KEY (kind, ecosystem, source)) WITHOUT ROWID"""
PACKAGE_COVERAGE = "package"  # kind: records naming a package of the ecosystem, per source
TEXT_COVERAGE = "text"  # kind: records naming products by free text, per source (no ecosystem)


def _count_coverage(db: sqlite3.Connection, *, create: bool = False) -> None:
    """Count what the store holds per ecosystem and source (records naming one of its
    packages, newest record's day) and per text source, into ``coverage``.

    Every scan reports this for the ecosystems it meets; counted on each scan, it cost time
    growing with the store (~0.1 s for 10^5 CNVD records), so each import that changes
    records counts it once, in its own transaction."""
    if create:
        db.execute(COVERAGE_TABLE)
    db.execute("DELETE FROM coverage")
    db.execute(
        "INSERT INTO coverage SELECT ?, p.ecosystem, r.source, COUNT(DISTINCT r.id), "  # noqa: S608
        f"{_NEWEST_DAY.format(r='r.')} FROM packages p "
        "JOIN records r ON r.source = p.source AND r.id = p.record_id "
        "GROUP BY p.ecosystem, r.source", (PACKAGE_COVERAGE,))
    db.execute(
        "INSERT INTO coverage SELECT ?, '', p.source, COUNT(DISTINCT p.record_id), "  # noqa: S608
        f"(SELECT {_NEWEST_DAY.format(r='r.')} FROM records r WHERE r.source = p.source) "
        "FROM products p GROUP BY p.source", (TEXT_COVERAGE,))


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    """``items`` in slices of ``size`` (SQLite limits the parameters of one statement)."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def not_older(candidate: str | None, stored: str | None) -> bool:
    """Whether a candidate's ``modified`` is not older than the stored one (None is oldest):
    the rule by which an import replaces a stored record (both stores)."""
    if stored is None:
        return True
    if candidate is None:
        return False
    return candidate >= stored


def group_views(group_ids: Sequence[str], idents: Iterable[tuple[str, str]],
                records: Iterable[tuple[str, str, str, bytes]],
                decode: Callable[[str, str, bytes], Advisory]) -> dict[str, GroupView]:
    """Groups from their members' ids ``(ident, group_id)`` and their records ``(source, id,
    group_id, data)`` in the order to keep; a group without ids is not in the store. Both stores
    (SQLite, SQLAlchemy) fetch the rows their own way and assemble them here."""
    ids: dict[str, set[str]] = defaultdict(set)
    for ident, group_id in idents:
        ids[group_id].add(ident)
    members: dict[str, list[Advisory]] = defaultdict(list)
    for source, ident, group_id, blob in records:
        members[group_id].append(decode(source, ident, blob))
    return {group_id: GroupView(group_id, tuple(sorted(ids[group_id])),
                                tuple(members[group_id]))
            for group_id in group_ids if group_id in ids}


class SqliteStore:
    """The default store: one SQLite file (or ``:memory:``)."""

    def __init__(self, path: Path | str, *, create: bool = True) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            target = Path(self.path)
            if not target.exists() and not create:
                raise UsageError(f"{target}: no advisory store here; run 'stackrift db import' "
                                 "first or pass --db")
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{target}: cannot create the store's folder ({exc})") from exc
        self._records: dict[tuple[str, str], Advisory] = {}  # parsed records, per connection
        try:
            self.db = storefaults.connect(self.path)  # waits for locks; says who holds one
            self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            # a --db path that is some other file (or a damaged store) is refused (exit 2),
            # never replaced
            raise UnusableStoreError(f"{self.path}: not an advisory store, or a damaged one "
                                     f"({exc}); expected a StackRift SQLite store or a new file "
                                     "name") from exc

    # -- schema ----------------------------------------------------------------------------------

    def _migrate(self) -> None:
        version = int(self.db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise UnusableStoreError(f"{self.path}: store schema {version} is newer than this "
                                     f"StackRift understands ({SCHEMA_VERSION}); upgrade "
                                     "StackRift or pass --db with another store")
        if version == 0:  # a new store: its pages are sized before its first table exists
            self.db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        for number in range(version, SCHEMA_VERSION):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                migration = MIGRATIONS[number]
                if callable(migration):
                    migration(self.db)
                else:
                    for statement in migration.split(";"):
                        if statement.strip():
                            self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:  # SQLite already rolled back after a full disk
                    self.db.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    # -- import ----------------------------------------------------------------------------------

    def apply_import(self, records: Iterable[StoredRecord], report: ImportReport,
                     label: str | None = None) -> None:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._records.clear()
        db = self.db
        db.execute("PRAGMA synchronous = OFF")  # the rollback journal still makes this atomic
        # a modest page cache: dirty pages spill to the file (the rollback journal keeps the
        # import atomic) rather than holding the whole import in memory until the commit
        db.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
        db.execute("PRAGMA threads = 4")  # index builds may sort on helper threads
        db.execute("BEGIN IMMEDIATE")
        writer = storefaults.WriterRecord.claim(self.path)  # others' errors name this process
        try:
            if self.is_empty():
                changed = self._bulk_load(records, report, now)
            else:
                changed = self._apply_changes(records, report, now)
            db.executemany("INSERT OR IGNORE INTO skipped_files VALUES (?, ?)",
                           [(s.file, s.reason) for s in report.skipped])
            db.executemany("INSERT OR REPLACE INTO rejections VALUES (?, ?, ?)",
                           [(r.file, r.record or "", r.reason) for r in report.rejections])
            if changed:
                self._learn_products()
                _count_coverage(db)
                db.execute("DELETE FROM meta WHERE key = 'content'")
                if label:
                    db.execute("INSERT INTO meta VALUES ('content', ?)", (label,))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:  # SQLite has already rolled back after a full disk
                db.execute("ROLLBACK")
            raise
        finally:
            writer.release()
            db.execute("PRAGMA synchronous = FULL")
        report.groups_total = self.db.execute(
            "SELECT COUNT(DISTINCT group_id) FROM records").fetchone()[0]

    def _apply_changes(self, records: Iterable[StoredRecord], report: ImportReport,
                       now: str) -> bool:
        """Into a store that has records: insert new ones, replace those with a newer
        ``modified``, keep the rest; then regroup what they touch."""
        db = self.db
        latest = {(r.source, r.id): r for r in records}  # a later copy of an id wins
        inserts: list[StoredRecord] = []
        replaces: list[StoredRecord] = []
        for record in latest.values():
            summary = report.summary(record.source)
            stored = db.execute("SELECT digest, modified FROM records WHERE source = ? AND id = ?",
                                (record.source, record.id)).fetchone()
            if stored is None:
                inserts.append(record)
                summary.new += 1
            elif stored[0] == record.digest or not not_older(record.modified, stored[1]):
                summary.unchanged += 1
            else:
                replaces.append(record)
                summary.updated += 1
        changed = inserts + replaces
        if not changed:
            return False
        if replaces:
            keys = [(r.source, r.id) for r in replaces]
            for table in ("idents", "packages", "products"):
                db.executemany(f"DELETE FROM {table} WHERE source = ? AND record_id = ?",  # noqa: S608
                               keys)
        group_of = self._regroup(changed)
        db.executemany(
            "UPDATE records SET group_id=?, modified=?, published=?, withdrawn=?, "
            "digest=?, updated_at=?, data=? WHERE source=? AND id=?",
            [(group_of[(r.source, r.id)], r.modified, r.published, r.withdrawn,
              r.digest, now, r.data, r.source, r.id) for r in replaces])
        self._insert_records(inserts, group_of, now)
        self._insert_keys(changed)
        return True

    def _bulk_load(self, records: Iterable[StoredRecord], report: ImportReport,
                   now: str) -> bool:
        """Into an empty store: everything is written as records arrive, while the rest of the
        input is still being parsed, and the indexes are built once at the end.

        A record is written with the group its ids have so far; when groups join later (a
        record read afterwards joins two, or gives one a lower CVE id), the rows of the former
        groups move to the joined one at the end. A later copy of a record (a revision read
        from a later file) is written as a new row; the earlier copy's row is deleted at the
        end, its ids, packages and products rewritten, and the groups it touches regrouped
        from the ids the store then holds (a revision may drop ids, splitting a group)."""
        db = self.db
        for name in BULK_INDEXES:
            db.execute(f"DROP INDEX IF EXISTS {name}")
        # rows are numbered here, so a row can be found again before any index exists
        rowid = int(db.execute("SELECT COALESCE(MAX(rowid), 0) FROM records").fetchone()[0])
        # the only per-record state held here: each id's row, by source (the records go to
        # SQLite in batches as they arrive, and the correlator holds their ids)
        rows_of: dict[str, dict[str, int]] = {}
        stale: list[tuple[int]] = []  # rows of earlier copies
        superseded: dict[tuple[str, str], StoredRecord] = {}  # their winning copies' keys
        correlator = Correlator()
        batch: list[StoredRecord] = []
        rows: list[tuple[Any, ...]] = []
        for record in records:
            # unpacked at once: quicker than reading the fields one by one (10^5 records)
            source, ident, modified, published, withdrawn, digest, data, ids, _, _ = record
            kept = rows_of.get(source)
            if kept is None:
                kept = rows_of[source] = {}
            key = (source, ident)
            previous = kept.get(ident)
            if previous is None:
                group = correlator.add(key, ids)
            else:
                stale.append((previous,))
                superseded[key] = record._replace(data=b"")
                correlator.link(key, ids)
                group = correlator.group_of(key)
            rowid += 1
            kept[ident] = rowid
            batch.append(record)
            rows.append((rowid, source, ident, group, modified, published, withdrawn, digest,
                         data))
            if len(batch) >= BULK_BATCH:
                self._write_batch(batch, rows, now)
        self._write_batch(batch, rows, now)
        if not rows_of:
            return False
        for source, kept in rows_of.items():
            report.summary(source).new += len(kept)
        del rows_of
        self._finish_bulk(stale, superseded, correlator)
        return True

    def _finish_bulk(self, stale: list[tuple[int]], superseded: dict[tuple[str, str],
                     StoredRecord], correlator: Correlator) -> None:
        """The end of a bulk load: earlier copies' rows deleted, indexes built, rows moved to
        the groups theirs joined, superseded records' keys rewritten and their groups
        regrouped."""
        db = self.db
        db.executemany("DELETE FROM records WHERE rowid = ?", stale)
        for statement in BULK_INDEXES.values():
            db.execute(statement)
        db.executemany("UPDATE records SET group_id = ? WHERE group_id = ?",
                       [(new, old) for old, new in correlator.moved_groups()])
        if superseded:
            keys = sorted(superseded)
            for table in ("idents", "packages", "products"):
                db.executemany(f"DELETE FROM {table} WHERE source = ? AND record_id = ?",  # noqa: S608
                               keys)
            self._insert_keys([superseded[key] for key in keys])
            self._regroup_groups({correlator.group_of(key) for key in keys})

    def _write_batch(self, batch: list[StoredRecord], rows: list[tuple[Any, ...]],
                     now: str) -> None:
        """Records (with their row numbers) and their keys; empties both lists."""
        # the import's time is written as a literal rather than bound twice in every row
        assert _TIMESTAMP.fullmatch(now), now
        self.db.executemany(
            "INSERT INTO records (rowid, source, id, group_id, modified, published, withdrawn, "  # noqa: S608
            f"digest, first_seen, updated_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '{now}', "
            f"'{now}', ?)", rows)
        self._insert_keys(batch)
        batch.clear()
        rows.clear()

    def _insert_records(self, records: list[StoredRecord],
                        group_of: Mapping[tuple[str, str], str], now: str) -> None:
        # sorted: inserting in key order keeps the B-trees append-only
        records.sort(key=lambda r: (r.source, r.id))
        self.db.executemany(
            "INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(r.source, r.id, group_of[(r.source, r.id)], r.modified, r.published,
              r.withdrawn, r.digest, now, now, r.data) for r in records])

    def _insert_keys(self, records: Sequence[StoredRecord]) -> None:
        """The joining ids, packages and product keys of ``records``."""
        db = self.db
        db.executemany("INSERT INTO idents VALUES (?, ?, ?)",
                       [(ident, r.source, r.id) for r in records for ident in r.ids])
        db.executemany("INSERT INTO packages VALUES (?, ?, ?, ?)",
                       [(*package, r.source, r.id) for r in records for package in r.packages])
        db.executemany("INSERT INTO products VALUES (?, ?, ?)",
                       [(key, r.source, r.id) for r in records for key in r.products])

    def _regroup(self, changed: Sequence[StoredRecord]) -> dict[tuple[str, str], str]:
        """Every changed record's group once ``changed`` is applied (their old joining ids
        already deleted); stored records whose group changed are updated here.

        Groups are the connected parts of the ids, so only the groups ``changed`` belonged to
        and those sharing an id with it can change: a small import (the starter pack into a
        store of 10^5 records) regroups those alone. A large one regroups everything."""
        if len(changed) > LOCAL_REGROUP_LIMIT:
            return self._regroup_all(changed)
        fresh = {(r.source, r.id): r.ids for r in changed}
        touched = self._groups_touching({i for ids in fresh.values() for i in ids}, fresh)
        links, stored = self._group_members(touched)
        return self._store_groups({**links, **fresh}, stored, fresh)

    def _regroup_groups(self, groups: set[str]) -> None:
        """Regroup the records of stored ``groups`` from the ids the store holds for them."""
        links, stored = self._group_members(groups)
        self._store_groups(links, stored, {})

    def _group_members(self, groups: set[str]
                       ) -> tuple[dict[tuple[str, str], list[str]], list[tuple[str, str, str]]]:
        """The stored records of ``groups``: each record's ids, and (source, id, group) rows."""
        links: dict[tuple[str, str], list[str]] = defaultdict(list)
        stored: list[tuple[str, str, str]] = []
        for chunk in _chunks(sorted(groups), 500):
            marks = ",".join("?" * len(chunk))
            for ident, source, record_id in self.db.execute(
                    "SELECT i.ident, i.source, i.record_id FROM records r JOIN idents i "  # noqa: S608
                    f"ON i.source = r.source AND i.record_id = r.id WHERE r.group_id IN ({marks})",
                    chunk):
                links[(source, record_id)].append(ident)
            stored.extend(self.db.execute(
                f"SELECT source, id, group_id FROM records WHERE group_id IN ({marks})",  # noqa: S608
                chunk))
        return links, stored

    def _groups_touching(self, idents: set[str], records: Mapping[tuple[str, str], object]
                         ) -> set[str]:
        """The stored groups of ``records`` and of every record holding one of ``idents``."""
        touched: set[str] = set()
        for chunk in _chunks(sorted(idents), 500):
            marks = ",".join("?" * len(chunk))
            touched.update(g for (g,) in self.db.execute(
                "SELECT r.group_id FROM idents i JOIN records r ON r.source = i.source "  # noqa: S608
                f"AND r.id = i.record_id WHERE i.ident IN ({marks})", chunk))
        for source, ident in records:
            row = self.db.execute("SELECT group_id FROM records WHERE source = ? AND id = ?",
                                  (source, ident)).fetchone()
            if row is not None:
                touched.add(row[0])
        return touched

    def _regroup_all(self, changed: Sequence[StoredRecord]) -> dict[tuple[str, str], str]:
        """:meth:`_regroup` over the whole store (one pass of union-find)."""
        links: dict[tuple[str, str], list[str]] = defaultdict(list)
        for ident, source, record_id in self.db.execute(
                "SELECT ident, source, record_id FROM idents"):
            links[(source, record_id)].append(ident)
        fresh = {(r.source, r.id): r.ids for r in changed}
        stored = self.db.execute("SELECT source, id, group_id FROM records").fetchall()
        return self._store_groups({**links, **fresh}, stored, fresh)

    def _store_groups(self, links: Mapping[tuple[str, str], Iterable[str]],
                      stored: Iterable[tuple[str, str, str]],
                      fresh: Mapping[tuple[str, str], object]) -> dict[tuple[str, str], str]:
        """Group ``links``; update the ``stored`` rows (not ``fresh``) whose group moved."""
        _ident_group, record_group = group_records(links)
        moved = [(record_group.get((source, ident), ident), source, ident)
                 for source, ident, group_id in stored
                 if (source, ident) not in fresh
                 and record_group.get((source, ident), ident) != group_id]
        self.db.executemany("UPDATE records SET group_id = ? WHERE source = ? AND id = ?", moved)
        return record_group

    def _learn_products(self) -> None:
        """Learn product key -> package from groups joining a text record and a package record."""
        # from the few package rows outwards: packages -> their groups -> text records' products
        rows = self.db.execute(
            "SELECT p.key, k.ecosystem, k.name, COUNT(DISTINCT gk.group_id) "
            "FROM packages k "
            "CROSS JOIN records gk ON gk.source = k.source AND gk.id = k.record_id "
            "CROSS JOIN records gp ON gp.group_id = gk.group_id "
            "CROSS JOIN products p ON p.source = gp.source AND p.record_id = gp.id "
            "GROUP BY p.key, k.ecosystem, k.name").fetchall()
        per_key: Counter[str] = Counter()
        for key, _eco, _name, support in rows:
            per_key[key] += support
        self.db.execute("DELETE FROM product_map")
        self.db.executemany(
            "INSERT INTO product_map VALUES (?, ?, ?, ?)",
            [(key, eco, name, support) for key, eco, name, support in rows
             if support >= MIN_SUPPORT and support / per_key[key] >= MIN_SHARE])

    # -- the reader interface --------------------------------------------------------------------

    def index(self) -> StoreIndex:
        return StoreIndex(frozenset(self.known_packages()), self.product_map())

    def lookup(self, packages: Iterable[PackageKey] = (),
               product_keys: Iterable[str] = ()) -> RecordLookup:
        wanted = list(packages)
        keys = list(product_keys)
        return RecordLookup(self.records_for_packages(wanted) if wanted else {},
                            self.records_for_product_keys(keys) if keys else {})

    def groups(self, ids: Iterable[str], *, by_member: bool = False) -> dict[str, GroupView]:
        if not by_member:
            return self._groups_by_id(ids)
        found = {}
        for ident in ids:
            if (view := self.group(ident)) is not None:
                found[ident] = view
        return found

    def describe(self, ecosystems: Iterable[str] = (), *, text: bool = False,
                 newest: bool = False, totals: bool = False) -> StoreDescription:
        return StoreDescription(
            records=self.record_count(),
            meta=dict(self.db.execute("SELECT key, value FROM meta")),
            package_coverage=self.package_coverage(ecosystems),
            text_coverage=self.text_coverage() if text else None,
            newest=self.newest_record_date() if newest else None,
            totals=self.stats() if totals else None)

    # -- queries ---------------------------------------------------------------------------------

    def group(self, ident: str) -> GroupView | None:
        query = ("SELECT r.group_id FROM idents i JOIN records r ON r.source = i.source AND "
                 "r.id = i.record_id WHERE i.ident = ?")
        row = self.db.execute(query, (ident.strip(),)).fetchone()
        if row is None:  # ids are case-insensitive for people typing them (ghsa-…, cve-…)
            row = self.db.execute(query + " COLLATE NOCASE", (ident.strip(),)).fetchone()
        if row is None:
            return None
        return self._groups_by_id([row[0]]).get(row[0])

    def forget_records(self) -> None:
        """Drop the records decoded so far (they are cached for the life of the connection)."""
        self._records.clear()

    def _record(self, source: str, ident: str, blob: bytes) -> Advisory:
        key = (source, ident)
        record = self._records.get(key)
        if record is None:
            if len(self._records) > 200_000:
                self._records.clear()  # bound memory on very large scans
            record = self._records[key] = unpack_record(blob)
        return record

    def _groups_by_id(self, group_ids: Iterable[str]) -> dict[str, GroupView]:
        wanted = sorted(set(group_ids))
        found: dict[str, GroupView] = {}
        for start in range(0, len(wanted), 500):  # stay under SQLite's parameter limit
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            # sorting and de-duplicating here rather than in SQL keeps the blobs out of
            # SQLite's temporary sort trees
            idents = self.db.execute(
                "SELECT i.ident, r.group_id FROM records r JOIN idents i "  # noqa: S608
                "ON i.source = r.source AND i.record_id = r.id "
                f"WHERE r.group_id IN ({marks})", chunk).fetchall()
            rows = sorted(self.db.execute(
                "SELECT source, id, group_id, data FROM records "  # noqa: S608
                f"WHERE group_id IN ({marks})", chunk))
            found.update(group_views(chunk, idents, rows, self._record))
        return found

    def records_for_package(self, ecosystem: str, name: str) -> list[tuple[str, Advisory]]:
        return self.records_for_packages([(ecosystem, name)]).get((ecosystem, name), [])

    def records_for_packages(self, packages: Iterable[tuple[str, str]]
                             ) -> dict[tuple[str, str], list[tuple[str, Advisory]]]:
        wanted = sorted(set(packages))
        found: dict[tuple[str, str], list[tuple[str, Advisory]]] = defaultdict(list)
        seen: set[tuple[str, str, str, str, str]] = set()
        for start in range(0, len(wanted), 400):  # stay under SQLite's parameter limit
            chunk = wanted[start:start + 400]
            marks = ",".join(["(?, ?)"] * len(chunk))
            params = [part for pair in chunk for part in pair]
            rows = sorted(self.db.execute(
                "SELECT p.ecosystem, p.name, p.rowid, r.group_id, r.source, r.id, r.data "  # noqa: S608
                "FROM packages p "
                "JOIN records r ON r.source = p.source AND r.id = p.record_id "
                f"WHERE (p.ecosystem, p.name) IN (VALUES {marks})", params))
            for eco, name, _row, g, s, i, blob in rows:
                if (eco, name, g, s, i) not in seen:  # a record naming the package twice
                    seen.add((eco, name, g, s, i))
                    found[(eco, name)].append((g, self._record(s, i, blob)))
        return dict(found)

    def product_map(self) -> dict[tuple[str, str], list[tuple[str, int]]]:
        mapping: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
        for eco, name, key, support in self.db.execute(
                "SELECT ecosystem, name, key, support FROM product_map ORDER BY key"):
            mapping[(eco, name)].append((key, support))
        return dict(mapping)

    def records_for_product_keys(self, keys: Iterable[str]
                                 ) -> dict[str, list[tuple[str, Advisory]]]:
        wanted = sorted(set(keys))
        found: dict[str, list[tuple[str, Advisory]]] = defaultdict(list)
        for start in range(0, len(wanted), 500):  # stay under SQLite's parameter limit
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = sorted(set(self.db.execute(
                "SELECT p.key, r.source, r.id, r.group_id, r.data "  # noqa: S608
                "FROM products p JOIN records r ON r.source = p.source AND r.id = p.record_id "
                f"WHERE p.key IN ({marks})", chunk)))
            for key, s, i, g, blob in rows:
                found[key].append((g, self._record(s, i, blob)))
        return dict(found)

    def product_keys_for(self, ecosystem: str, name: str) -> list[tuple[str, int]]:
        return [(k, s) for k, s in self.db.execute(
            "SELECT key, support FROM product_map WHERE ecosystem = ? AND name = ? "
            "ORDER BY key", (ecosystem, name))]

    def known_packages(self) -> set[tuple[str, str]]:
        return set(self.db.execute("SELECT DISTINCT ecosystem, name FROM packages UNION "
                                   "SELECT DISTINCT ecosystem, name FROM product_map"))

    def groups_sources(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        current: str | None = None
        sources: set[str] = set()
        for group_id, source in self.db.execute(
                "SELECT group_id, source FROM records ORDER BY group_id"):
            if group_id != current:
                if current is not None:
                    yield current, tuple(sorted(sources))
                current, sources = group_id, set()
            sources.add(source)
        if current is not None:
            yield current, tuple(sorted(sources))

    def published_dates(self) -> Iterator[tuple[str, str, str | None]]:
        yield from self.db.execute(
            "SELECT group_id, source, published FROM records ORDER BY group_id, source")

    def all_records(self) -> Iterator[Advisory]:
        for (blob,) in self.db.execute("SELECT data FROM records ORDER BY source, id"):
            yield unpack_record(blob)

    def content_label(self) -> str | None:
        return self.meta("content")

    def meta(self, key: str) -> str | None:
        """A bookkeeping value (the content label, the starter pack's version)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def modified_of(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str | None]:
        """The stored ``modified`` of each (source, id) that is in the store."""
        found: dict[tuple[str, str], str | None] = {}
        for source, ident in keys:
            row = self.db.execute("SELECT modified FROM records WHERE source = ? AND id = ?",
                                  (source, ident)).fetchone()
            if row is not None:
                found[(source, ident)] = row[0]
        return found

    def package_coverage(self, ecosystems: Iterable[str]
                         ) -> dict[str, dict[str, tuple[int, str | None]]]:
        """For each ecosystem: per source, the records naming one of its packages and the
        newest record's day (modified, else published), as the last import counted them."""
        found: dict[str, dict[str, tuple[int, str | None]]] = {}
        for ecosystem in sorted(set(ecosystems)):
            rows = self.db.execute(
                "SELECT source, records, newest FROM coverage WHERE kind = ? AND ecosystem = ? "
                "ORDER BY source", (PACKAGE_COVERAGE, ecosystem))
            found[ecosystem] = {source: (count, newest) for source, count, newest in rows}
        return found

    def text_coverage(self) -> dict[str, tuple[int, str | None]]:
        """Per source, the records naming products by free text (CNVD, CNNVD, CVE vendor
        products) and the newest one's day, as the last import counted them."""
        return {source: (count, newest) for source, count, newest in self.db.execute(
            "SELECT source, records, newest FROM coverage WHERE kind = ? ORDER BY source",
            (TEXT_COVERAGE,))}

    def newest_record_date(self) -> str | None:
        """The latest modification (else publication) day of any record."""
        row = self.db.execute(
            f"SELECT {_NEWEST_DAY.format(r='')} FROM records").fetchone()  # noqa: S608
        return str(row[0]) if row and row[0] else None

    def record_count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM records").fetchone()[0])

    def is_empty(self) -> bool:
        return self.db.execute("SELECT 1 FROM records LIMIT 1").fetchone() is None

    def stats(self) -> dict[str, Any]:
        by_source = dict.fromkeys(("osv", "cnvd", "cnnvd", "cve5", "csaf"), 0)
        for source, count in self.db.execute("SELECT source, COUNT(*) FROM records "
                                             "GROUP BY source"):
            by_source[source] = count
        by_ecosystem: Counter[str] = Counter()
        for eco, count in self.db.execute(
                "SELECT ecosystem, COUNT(DISTINCT record_id) FROM packages WHERE source = 'osv' "
                "GROUP BY ecosystem"):
            by_ecosystem[eco] = count
        combos: Counter[str] = Counter("+".join(s) for _g, s in self.groups_sources())
        return {
            "records_by_source": by_source,
            "osv_by_ecosystem": dict(sorted(by_ecosystem.items())),
            "groups_total": sum(combos.values()),
            "groups_by_sources": dict(sorted(combos.items())),
            "skipped": self.db.execute("SELECT COUNT(*) FROM skipped_files").fetchone()[0],
            "rejected": self.db.execute("SELECT COUNT(*) FROM rejections").fetchone()[0],
            "schema_version": self.schema_version,
        }

    def fingerprint(self) -> tuple[Any, ...]:
        """A summary of the whole content, to prove an operation changed nothing."""
        return (tuple(self.db.execute("SELECT source, id, digest, first_seen, updated_at "
                                      "FROM records ORDER BY source, id")),
                tuple(self.db.execute("SELECT source, id, group_id FROM records "
                                      "ORDER BY source, id")),
                tuple(self.db.execute("SELECT * FROM idents ORDER BY source, record_id, ident")),
                tuple(self.db.execute("SELECT * FROM skipped_files ORDER BY file")),
                tuple(self.db.execute("SELECT * FROM rejections ORDER BY file, record")))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(path: Path | str | None = None, *, create: bool = True,
               starter: bool = True) -> AdvisoryStore:
    """Open (and migrate) the store at ``path`` or the default location; with ``starter``, the
    packaged starter pack is imported if the store lacks this version of it.

    ``path`` may be a SQLAlchemy URL (``sqlite:///…``, ``postgresql+psycopg://…``): the store
    then lives in that database (:mod:`stackrift.advisories.sqlstore`)."""
    from stackrift.advisories.storeurl import is_store_url

    if is_store_url(path):
        from stackrift.advisories.sqlstore import open_sql_store

        return open_sql_store(str(path), create=create, starter=starter)
    store = SqliteStore(path or default_store_path(), create=create)
    if starter:
        from stackrift.advisories.starter_pack import ensure_starter

        try:
            ensure_starter(store)
        except sqlite3.OperationalError:
            pass  # a store that cannot be written now: db stats reports the pack as not current
        except BaseException:
            store.close()
            raise
    return store
