"""The advisory store: a small storage interface and its SQLite implementation.

Importers and matchers speak only to :class:`AdvisoryStore`; another backend (PostgreSQL) is one
more class. The SQLite schema is versioned (``PRAGMA user_version``) and migrated forward on open.
An import is one transaction: a failure or interruption leaves the store as it was.
"""

from __future__ import annotations

import os
import sqlite3
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from stackrift.advisories.correlation import group_records
from stackrift.advisories.matching import ecosystem_key, normalise_name
from stackrift.advisories.model import Advisory, ImportReport, digest_of
from stackrift.advisories.products import text_key
from stackrift.errors import StoreError, UsageError

APP_NAME = "stackrift"


def default_store_path() -> Path:
    """``$STACKRIFT_DB`` or ``advisories.sqlite`` in the user's data directory."""
    env = os.environ.get("STACKRIFT_DB")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME)) / "advisories.sqlite"


@dataclass(frozen=True, slots=True)
class GroupView:
    """One vulnerability group: every id, and every record from every source that knows it."""

    group_id: str
    ids: tuple[str, ...]
    records: tuple[Advisory, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(sorted({r.source for r in self.records}))


class AdvisoryStore(Protocol):
    """What importers, matchers and analytics need from a store."""

    def apply_import(self, records: Sequence[Advisory], report: ImportReport,
                     label: str | None = None) -> None:
        """Insert new records, replace those with a newer ``modified``, keep the rest, and
        recompute groups; all or nothing. ``label`` names the content (e.g. ``starter``) until
        another import changes it."""
        ...

    def content_label(self) -> str | None:
        """The label of the import that last changed the store, if it had one."""
        ...

    def group(self, ident: str) -> GroupView | None:
        """The group an id (CVE, GHSA, PYSEC, CNVD…) belongs to."""
        ...

    def records_for_package(self, ecosystem: str, name: str) -> list[tuple[str, Advisory]]:
        """(group id, record) for every record naming this package."""
        ...

    def groups(self, group_ids: Iterable[str]) -> dict[str, GroupView]:
        """Several groups by their group ids, in two queries."""
        ...

    def records_for_packages(self, packages: Iterable[tuple[str, str]]
                             ) -> dict[tuple[str, str], list[tuple[str, Advisory]]]:
        """:meth:`records_for_package` for many packages at once (same rows, same order)."""
        ...

    def product_map(self) -> dict[tuple[str, str], list[tuple[str, int]]]:
        """Every learned mapping: (ecosystem, name) -> :meth:`product_keys_for` pairs."""
        ...

    def records_for_product_keys(self, keys: Iterable[str]) -> list[tuple[str, Advisory]]:
        """(group id, record) for text records whose product key is one of ``keys``."""
        ...

    def product_keys_for(self, ecosystem: str, name: str) -> list[tuple[str, int]]:
        """Learned (product key, support) pairs that map to this package."""
        ...

    def groups_sources(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        """Every group id with the sources that know it."""
        ...

    def known_packages(self) -> set[tuple[str, str]]:
        """Every (ecosystem, name) that some record or learned product mapping names."""
        ...

    def published_dates(self) -> Iterator[tuple[str, str, str | None]]:
        """(group id, source, published) for every record."""
        ...

    def stats(self) -> dict[str, Any]:
        ...

    def is_empty(self) -> bool:
        ...

    def close(self) -> None:
        ...


# -- SQLite ----------------------------------------------------------------------------------------

MIGRATIONS: tuple[str, ...] = (
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
)
SCHEMA_VERSION = len(MIGRATIONS)
# Secondary indexes, dropped and rebuilt around a bulk load into an empty store (building an
# index once over sorted data is much faster than updating it row by row).
BULK_INDEXES = {
    "idents_record": "CREATE INDEX idents_record ON idents (source, record_id)",
    "packages_name": "CREATE INDEX packages_name ON packages (ecosystem, name)",
    "packages_record": "CREATE INDEX packages_record ON packages (source, record_id)",
    "products_key": "CREATE INDEX products_key ON products (key)",
    "products_record": "CREATE INDEX products_record ON products (source, record_id)",
    "group_of_record_group": "CREATE INDEX group_of_record_group ON group_of_record (group_id)",
    "group_of_ident_group": "CREATE INDEX group_of_ident_group ON group_of_ident (group_id)",
}
TEXT_SOURCES = ("cnvd", "cnnvd")
MIN_SUPPORT = 2  # a learned text->package mapping needs two shared CVEs
MIN_SHARE = 0.15  # …and at least this share of the key's links


def _unpack(blob: bytes, origin: str = "") -> Advisory:
    # Records are plain JSON (compressing cost more import time than the disk it saved); stores
    # written by earlier builds hold zlib-compressed JSON, which starts with 0x78, never "{".
    try:
        if blob[:1] == b"\x78":
            blob = zlib.decompress(blob)
        return Advisory.from_json(blob, origin)
    except (zlib.error, ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"a stored advisory record is unreadable ({exc}); re-create the store "
                         "with 'stackrift db import'") from exc


@lru_cache(maxsize=65536)
def _package_key(ecosystem: str | None, name: str) -> tuple[str, str] | None:
    """(canonical ecosystem, normalised name) as the packages table keeps them."""
    eco = ecosystem_key(ecosystem)
    return (eco, normalise_name(eco, name)) if eco else None


def _newer(candidate: str | None, stored: str | None) -> bool:
    """Whether a candidate's ``modified`` is not older than the stored one (None is oldest)."""
    if stored is None:
        return True
    if candidate is None:
        return False
    return candidate >= stored


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
            self.db = sqlite3.connect(self.path, isolation_level=None)
            self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            # a --db path that is some other file is the user's mistake (exit 2), not ours
            raise UsageError(f"{self.path}: not an advisory store ({exc}); expected a StackRift "
                             "SQLite store or a new file name") from exc

    # -- schema ----------------------------------------------------------------------------------

    def _migrate(self) -> None:
        version = int(self.db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: store schema {version} is newer than this StackRift "
                             f"understands ({SCHEMA_VERSION}); upgrade StackRift")
        for number in range(version, SCHEMA_VERSION):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    # -- import ----------------------------------------------------------------------------------

    def apply_import(self, records: Sequence[Advisory], report: ImportReport,
                     label: str | None = None) -> None:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._records.clear()
        db = self.db
        db.execute("PRAGMA synchronous = OFF")  # the rollback journal still makes this atomic
        db.execute("PRAGMA cache_size = -262144")  # 256 MiB page cache for bulk index updates
        db.execute("BEGIN IMMEDIATE")
        try:
            existing = {(s, i): (d, m) for s, i, d, m in
                        db.execute("SELECT source, id, digest, modified FROM records")}
            bulk = not existing and len(records) > 10_000
            if bulk:
                for name in BULK_INDEXES:
                    db.execute(f"DROP INDEX IF EXISTS {name}")
            inserts, replaces = [], []
            blobs: dict[tuple[str, str], bytes] = {}
            for record in records:
                summary = report.summary(record.source)
                stored = existing.get((record.source, record.id))
                blob = record.to_json()
                digest = digest_of(blob)
                if stored is None:
                    blobs[(record.source, record.id)] = blob
                    inserts.append((record, digest))
                    summary.new += 1
                elif stored[0] == digest or not _newer(record.modified, stored[1]):
                    summary.unchanged += 1
                else:
                    blobs[(record.source, record.id)] = blob
                    replaces.append((record, digest))
                    summary.updated += 1
            changed = [r for r, _ in inserts] + [r for r, _ in replaces]
            if replaces:
                keys = [(r.source, r.id) for r, _ in replaces]
                for table in ("idents", "packages", "products"):
                    db.executemany(f"DELETE FROM {table} WHERE source = ? AND record_id = ?",  # noqa: S608
                                   keys)
                db.executemany(
                    "UPDATE records SET modified=?, published=?, withdrawn=?, digest=?, "
                    "updated_at=?, data=? WHERE source=? AND id=?",
                    [(r.modified, r.published, r.withdrawn, d, now, blobs[(r.source, r.id)],
                      r.source, r.id)
                     for r, d in replaces])
            inserts.sort(key=lambda item: (item[0].source, item[0].id))
            db.executemany(
                "INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(r.source, r.id, r.modified, r.published, r.withdrawn, d, now, now,
                  blobs[(r.source, r.id)])
                 for r, d in inserts])
            fresh = not existing and db.execute("SELECT 1 FROM idents LIMIT 1").fetchone() is None
            links = {(r.source, r.id): r.ids for r in changed}
            db.executemany("INSERT INTO idents VALUES (?, ?, ?)",
                           [(ident, source, record_id)
                            for (source, record_id), ids in links.items() for ident in ids])
            db.executemany("INSERT INTO packages VALUES (?, ?, ?, ?)",
                           {(*package, r.source, r.id) for r in changed for a in r.affected
                            if a.name and (package := _package_key(a.ecosystem, a.name))})
            db.executemany("INSERT INTO products VALUES (?, ?, ?)",
                           {(key, r.source, r.id) for r in changed for a in r.affected
                            if a.product and not a.name
                            and (key := text_key(a.product))})
            db.executemany("INSERT OR IGNORE INTO skipped_files VALUES (?, ?)",
                           [(s.file, s.reason) for s in report.skipped])
            db.executemany("INSERT OR REPLACE INTO rejections VALUES (?, ?, ?)",
                           [(r.file, r.record or "", r.reason) for r in report.rejections])
            group_indexes = ("group_of_record_group", "group_of_ident_group")
            if bulk:
                for name, statement in BULK_INDEXES.items():
                    if name not in group_indexes:
                        db.execute(statement)
            if changed or self._groups_missing():
                if not bulk:
                    for name in group_indexes:
                        db.execute(f"DROP INDEX IF EXISTS {name}")
                if fresh:  # into an empty store: the joining ids are exactly those inserted
                    self._write_groups(links)
                else:
                    self._regroup()
                for name in group_indexes:
                    db.execute(BULK_INDEXES[name])
                self._learn_products()
                db.execute("DELETE FROM meta WHERE key = 'content'")
                if label:
                    db.execute("INSERT INTO meta VALUES ('content', ?)", (label,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        finally:
            db.execute("PRAGMA synchronous = FULL")
        report.groups_total = self.db.execute(
            "SELECT COUNT(DISTINCT group_id) FROM group_of_record").fetchone()[0]

    def _groups_missing(self) -> bool:
        records = self.db.execute("SELECT COUNT(*) FROM records").fetchone()[0]
        grouped = self.db.execute("SELECT COUNT(*) FROM group_of_record").fetchone()[0]
        return bool(records != grouped)

    def _regroup(self) -> None:
        """Recompute every group from the joining ids (cheap: one pass of union-find)."""
        links: dict[tuple[str, str], list[str]] = defaultdict(list)
        for ident, source, record_id in self.db.execute("SELECT ident, source, record_id "
                                                        "FROM idents"):
            links[(source, record_id)].append(ident)
        self._write_groups(links)

    def _write_groups(self, links: Mapping[tuple[str, str], Sequence[str]]) -> None:
        """Replace the groups with those of ``links`` (every record's joining ids)."""
        ident_group, record_group = group_records(links)
        self.db.execute("DELETE FROM group_of_ident")
        self.db.execute("DELETE FROM group_of_record")
        # sorted: inserting in key order keeps the B-trees append-only (several times faster)
        self.db.executemany("INSERT INTO group_of_ident VALUES (?, ?)",
                            sorted(ident_group.items()))
        self.db.executemany("INSERT INTO group_of_record VALUES (?, ?, ?)",
                            sorted((s, i, g) for (s, i), g in record_group.items()))

    def _learn_products(self) -> None:
        """Learn product key -> package from groups joining a text record and a package record."""
        rows = self.db.execute(
            "SELECT p.key, k.ecosystem, k.name, COUNT(DISTINCT gp.group_id) "
            "FROM products p "
            "JOIN group_of_record gp ON gp.source = p.source AND gp.record_id = p.record_id "
            "JOIN group_of_record gk ON gk.group_id = gp.group_id "
            "JOIN packages k ON k.source = gk.source AND k.record_id = gk.record_id "
            "GROUP BY p.key, k.ecosystem, k.name").fetchall()
        per_key: Counter[str] = Counter()
        for key, _eco, _name, support in rows:
            per_key[key] += support
        self.db.execute("DELETE FROM product_map")
        self.db.executemany(
            "INSERT INTO product_map VALUES (?, ?, ?, ?)",
            [(key, eco, name, support) for key, eco, name, support in rows
             if support >= MIN_SUPPORT and support / per_key[key] >= MIN_SHARE])

    # -- queries ---------------------------------------------------------------------------------

    def group(self, ident: str) -> GroupView | None:
        row = self.db.execute("SELECT group_id FROM group_of_ident WHERE ident = ?",
                              (ident.strip(),)).fetchone()
        if row is None:  # ids are case-insensitive for people typing them (ghsa-…, cve-…)
            row = self.db.execute("SELECT group_id FROM group_of_ident WHERE ident = ? "
                                  "COLLATE NOCASE", (ident.strip(),)).fetchone()
        if row is None:
            return None
        group_id = row[0]
        ids = tuple(sorted(i for (i,) in self.db.execute(
            "SELECT ident FROM group_of_ident WHERE group_id = ?", (group_id,))))
        records = tuple(self._record(s, i, blob) for s, i, blob in self.db.execute(
            "SELECT r.source, r.id, r.data FROM group_of_record g JOIN records r ON "
            "r.source = g.source AND r.id = g.record_id WHERE g.group_id = ? "
            "ORDER BY r.source, r.id", (group_id,)))
        return GroupView(group_id, ids, records)

    def _record(self, source: str, ident: str, blob: bytes) -> Advisory:
        key = (source, ident)
        record = self._records.get(key)
        if record is None:
            if len(self._records) > 200_000:
                self._records.clear()  # bound memory on very large scans
            record = self._records[key] = _unpack(blob)
        return record

    def groups(self, group_ids: Iterable[str]) -> dict[str, GroupView]:
        wanted = sorted(set(group_ids))
        found: dict[str, GroupView] = {}
        for start in range(0, len(wanted), 500):  # stay under SQLite's parameter limit
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            ids: dict[str, list[str]] = defaultdict(list)
            for ident, group_id in self.db.execute(
                    f"SELECT ident, group_id FROM group_of_ident WHERE group_id IN ({marks}) "  # noqa: S608
                    "ORDER BY ident", chunk):
                ids[group_id].append(ident)
            records: dict[str, list[Advisory]] = defaultdict(list)
            for group_id, source, ident, blob in self.db.execute(
                    "SELECT g.group_id, r.source, r.id, r.data FROM group_of_record g JOIN "  # noqa: S608
                    "records r ON r.source = g.source AND r.id = g.record_id "
                    f"WHERE g.group_id IN ({marks}) ORDER BY r.source, r.id", chunk):
                records[group_id].append(self._record(source, ident, blob))
            for group_id in chunk:
                if group_id in ids:
                    found[group_id] = GroupView(group_id, tuple(ids[group_id]),
                                                tuple(records[group_id]))
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
            for eco, name, g, s, i, blob in self.db.execute(
                    "SELECT p.ecosystem, p.name, g.group_id, r.source, r.id, r.data "  # noqa: S608
                    "FROM packages p "
                    "JOIN records r ON r.source = p.source AND r.id = p.record_id "
                    "JOIN group_of_record g ON g.source = p.source AND g.record_id = p.record_id "
                    f"WHERE (p.ecosystem, p.name) IN (VALUES {marks}) "
                    "ORDER BY p.ecosystem, p.name, p.rowid", params):
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

    def records_for_product_keys(self, keys: Iterable[str]) -> list[tuple[str, Advisory]]:
        wanted = sorted(set(keys))
        if not wanted:
            return []
        marks = ",".join("?" * len(wanted))
        return [(g, self._record(s, i, blob)) for g, s, i, blob in self.db.execute(
            "SELECT DISTINCT g.group_id, r.source, r.id, r.data FROM products p "  # noqa: S608
            "JOIN records r ON r.source = p.source AND r.id = p.record_id "
            "JOIN group_of_record g ON g.source = p.source AND g.record_id = p.record_id "
            f"WHERE p.key IN ({marks})", wanted)]

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
                "SELECT group_id, source FROM group_of_record ORDER BY group_id"):
            if group_id != current:
                if current is not None:
                    yield current, tuple(sorted(sources))
                current, sources = group_id, set()
            sources.add(source)
        if current is not None:
            yield current, tuple(sorted(sources))

    def published_dates(self) -> Iterator[tuple[str, str, str | None]]:
        yield from self.db.execute(
            "SELECT g.group_id, r.source, r.published FROM records r JOIN group_of_record g "
            "ON g.source = r.source AND g.record_id = r.id ORDER BY g.group_id, r.source")

    def all_records(self) -> Iterator[Advisory]:
        for (blob,) in self.db.execute("SELECT data FROM records ORDER BY source, id"):
            yield _unpack(blob)

    def content_label(self) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'content'").fetchone()
        return str(row[0]) if row else None

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
                tuple(self.db.execute("SELECT * FROM group_of_ident ORDER BY ident")),
                tuple(self.db.execute("SELECT * FROM skipped_files ORDER BY file")),
                tuple(self.db.execute("SELECT * FROM rejections ORDER BY file, record")))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(path: Path | None = None, *, create: bool = True) -> SqliteStore:
    """Open (and migrate) the store at ``path`` or the default location."""
    return SqliteStore(path or default_store_path(), create=create)
