"""One import into the SQL advisory store, inside the caller's transaction.

The SQLite store's rules (``store.SqliteStore.apply_import``): a new record is inserted; a stored
one is replaced when the incoming digest differs and its ``modified`` is not older, keeping
``first_seen``; within one import a later copy of an id wins. Records are written in batches as
they arrive (the input may still be being parsed), each with the group its ids have so far; at
the end the groups the import can have changed are recomputed by the shared correlation and the
rows whose group moved are updated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from stackrift.advisories import sqlstore_tables as t
from stackrift.advisories.correlation import Correlator, group_records
from stackrift.advisories.model import ImportReport
from stackrift.advisories.store import LOCAL_REGROUP_LIMIT, StoredRecord, not_older

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
        # digest, modified and group of the records already stored, before the import
        self.stored: dict[tuple[str, str], tuple[str, str | None, str]] = {}
        self.fresh_ids: set[str] = set()  # the joining ids of the records written
        # into an empty store nothing is looked up before writing
        self.empty = conn.execute(select(t.records.c.id).limit(1)).first() is None

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
                                       or not not_older(record.modified, stored[1])):
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
            self.fresh_ids.update(record.ids)
        self._write(inserts, replaces)

    def _load_stored(self, keys: list[tuple[str, str]]) -> None:
        """The stored digest and ``modified`` of ``keys`` (by source and a list of ids: a
        row-value ``IN`` list is not answered from the primary key on every database)."""
        if self.empty:
            return
        by_source: dict[str, list[str]] = {}
        for source, ident in keys:
            by_source.setdefault(source, []).append(ident)
        r = t.records
        for source, idents in by_source.items():
            for start in range(0, len(idents), CHUNK):
                for ident, digest, modified, group_id in self.conn.execute(
                        select(r.c.id, r.c.digest, r.c.modified, r.c.group_id)
                        .where((r.c.source == source)
                               & r.c.id.in_(idents[start:start + CHUNK]))):
                    self.stored[(source, ident)] = (digest, modified, group_id)

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
        """Every changed group recomputed by the shared correlation; the rows whose group moved
        are updated.

        Groups are the connected parts of the ids, so only the groups holding an id of a
        written record, and the groups replaced records were in before, can change: a small
        import (the starter pack into a store of 10^5 records) regroups those alone, as the
        SQLite store does. A large one regroups the whole store in one pass."""
        r, i = t.records, t.idents
        if len(self.written) > LOCAL_REGROUP_LIMIT:
            links = self._links(select(i.c.ident, i.c.source, i.c.record_id))
            rows = self.conn.execute(select(r.c.source, r.c.id, r.c.group_id)).all()
        else:
            touched = {stored[2] for key, stored in self.stored.items() if key in self.written}
            for chunk in _chunks(sorted(self.fresh_ids)):
                touched.update(self.conn.execute(
                    select(r.c.group_id).distinct()
                    .join(i, (i.c.source == r.c.source) & (i.c.record_id == r.c.id))
                    .where(i.c.ident.in_(chunk))).scalars())
            links, rows = {}, []
            for chunk in _chunks(sorted(touched)):
                self._links(select(i.c.ident, i.c.source, i.c.record_id)
                            .join(r, (i.c.source == r.c.source) & (i.c.record_id == r.c.id))
                            .where(r.c.group_id.in_(chunk)), links)
                rows.extend(self.conn.execute(select(r.c.source, r.c.id, r.c.group_id)
                                              .where(r.c.group_id.in_(chunk))))
        _ident_group, record_group = group_records(links)
        moved = [{"s": source, "i": ident, "g": record_group.get((source, ident), ident)}
                 for source, ident, group_id in rows
                 if record_group.get((source, ident), ident) != group_id]
        if moved:
            self.conn.execute(update(r).where((r.c.source == bindparam("s"))
                                              & (r.c.id == bindparam("i")))
                              .values(group_id=bindparam("g")), moved)

    def _links(self, query: Any, links: dict[tuple[str, str], list[str]] | None = None
               ) -> dict[tuple[str, str], list[str]]:
        """(source, record id) -> joining ids, from rows of (ident, source, record id)."""
        found = links if links is not None else {}
        for ident, source, record_id in self.conn.execute(query):
            found.setdefault((source, record_id), []).append(ident)
        return found


def _chunks(items: Sequence[str], size: int = CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
