"""One import into the SQL advisory store, inside the caller's transaction.

The SQLite store's rules (``store.SqliteStore.apply_import``): a new record is inserted; a stored
one is replaced when the incoming digest differs and its ``modified`` is not older, keeping
``first_seen``; within one import a later copy of an id wins. Records are written in batches as
they arrive (the input may still be being parsed), each with the group its ids have so far; at
the end every group is recomputed by the shared correlation and the rows whose group moved are
updated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, tuple_, update

from stackrift.advisories import sqlstore_tables as t
from stackrift.advisories.correlation import Correlator, group_records
from stackrift.advisories.model import ImportReport
from stackrift.advisories.store import StoredRecord, _newer

BATCH = 2000
CHUNK = 500
_KEY_TABLES = (t.idents, t.packages, t.products)


class Import:
    """Streams records into the store and regroups at the end."""

    def __init__(self, conn: Connection, report: ImportReport, now: str) -> None:
        self.conn = conn
        self.report = report
        self.now = now
        self.correlator = Correlator()
        self.status: dict[tuple[str, str], str] = {}  # new / updated / unchanged
        self.written: set[tuple[str, str]] = set()  # rows this import wrote
        self.stored: dict[tuple[str, str], tuple[str, str | None]] = {}  # before the import

    def run(self, records: Iterable[StoredRecord]) -> bool:
        """Apply every record; whether anything changed."""
        batch: list[StoredRecord] = []
        for record in records:
            batch.append(record)
            if len(batch) >= BATCH:
                self._apply(batch)
                batch = []
        self._apply(batch)
        for (source, _ident), status in self.status.items():
            summary = self.report.summary(source)
            setattr(summary, status, getattr(summary, status) + 1)
        if not self.written:
            return False
        self._regroup()
        return True

    def _apply(self, batch: Sequence[StoredRecord]) -> None:
        latest = {(r.source, r.id): r for r in batch}  # a later copy of an id wins
        self._load_stored([key for key in latest if key not in self.status])
        inserts: list[StoredRecord] = []
        replaces: list[StoredRecord] = []
        for key, record in latest.items():
            stored = self.stored.get(key)
            if stored is not None and (stored[0] == record.digest
                                       or not _newer(record.modified, stored[1])):
                self.status.setdefault(key, "unchanged")
                continue
            if key not in self.status or self.status[key] == "unchanged":
                self.status[key] = "new" if stored is None else "updated"
            if stored is None and key not in self.written:
                self.correlator.add(key, record.ids)
                inserts.append(record)
            else:
                if key not in self.written:
                    self.correlator.add(key, record.ids)
                replaces.append(record)
            self.written.add(key)
        self._write(inserts, replaces)

    def _load_stored(self, keys: list[tuple[str, str]]) -> None:
        r = self.conn
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start:start + CHUNK]
            for source, ident, digest, modified in r.execute(
                    select(t.records.c.source, t.records.c.id, t.records.c.digest,
                           t.records.c.modified)
                    .where(tuple_(t.records.c.source, t.records.c.id).in_(chunk))):
                self.stored[(source, ident)] = (digest, modified)

    def _write(self, inserts: list[StoredRecord], replaces: list[StoredRecord]) -> None:
        conn, group_of = self.conn, self.correlator.group_of
        if replaces:
            keys = [{"s": r.source, "i": r.id} for r in replaces]
            for table in _KEY_TABLES:
                conn.execute(delete(table).where((table.c.source == bindparam("s"))
                                                 & (table.c.record_id == bindparam("i"))), keys)
            conn.execute(
                update(t.records).where((t.records.c.source == bindparam("s"))
                                        & (t.records.c.id == bindparam("i")))
                .values(group_id=bindparam("g"), modified=bindparam("m"),
                        published=bindparam("p"), withdrawn=bindparam("w"),
                        digest=bindparam("d"), updated_at=bindparam("u"), data=bindparam("b")),
                [{"s": r.source, "i": r.id, "g": group_of((r.source, r.id)), "m": r.modified,
                  "p": r.published, "w": r.withdrawn, "d": r.digest, "u": self.now,
                  "b": r.data} for r in replaces])
        if inserts:
            conn.execute(insert(t.records), [
                {"source": r.source, "id": r.id, "group_id": group_of((r.source, r.id)),
                 "modified": r.modified, "published": r.published, "withdrawn": r.withdrawn,
                 "digest": r.digest, "first_seen": self.now, "updated_at": self.now,
                 "data": r.data} for r in inserts])
        self._insert_keys([*inserts, *replaces])

    def _insert_keys(self, records: Sequence[StoredRecord]) -> None:
        rows: dict[Any, list[dict[str, str]]] = {
            t.idents: [{"ident": i, "source": r.source, "record_id": r.id}
                       for r in records for i in r.ids],
            t.packages: [{"ecosystem": e, "name": n, "source": r.source, "record_id": r.id}
                         for r in records for e, n in r.packages],
            t.products: [{"key": k, "source": r.source, "record_id": r.id}
                         for r in records for k in r.products]}
        for table, values in rows.items():
            if values:
                self.conn.execute(insert(table), values)

    def _regroup(self) -> None:
        """Every record's group from every stored id (union-find over the whole store); the
        rows whose group moved are updated."""
        conn = self.conn
        links: dict[tuple[str, str], list[str]] = {}
        for ident, source, record_id in conn.execute(
                select(t.idents.c.ident, t.idents.c.source, t.idents.c.record_id)):
            links.setdefault((source, record_id), []).append(ident)
        _ident_group, record_group = group_records(links)
        moved = [{"s": source, "i": ident, "g": record_group.get((source, ident), ident)}
                 for source, ident, group_id in conn.execute(
                     select(t.records.c.source, t.records.c.id, t.records.c.group_id))
                 if record_group.get((source, ident), ident) != group_id]
        if moved:
            conn.execute(update(t.records).where((t.records.c.source == bindparam("s"))
                                                 & (t.records.c.id == bindparam("i")))
                         .values(group_id=bindparam("g")), moved)
