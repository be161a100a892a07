"""Pages of stored object versions for the objects, object, versions and manifest endpoints:
filters applied in SQL, ordered by date added, continued by keyset (``next`` is a row id)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from stackrift.server.db.tables import get_row
from stackrift.server.taxii.filters import Filters
from stackrift.server.taxii.tables import TaxiiObject
from stackrift.server.taxii.validation import EnvelopeError

MAX_PAGE_CHARS = 16 << 20
"""Characters of stored objects one page holds at most (at least one object, whatever its
size): a page of ``limit`` large objects ends early, with ``more`` and ``next``."""


@dataclass(frozen=True)
class Page:
    rows: tuple[TaxiiObject, ...]
    more: bool

    @property
    def next(self) -> str | None:
        return str(self.rows[-1].id) if self.more and self.rows else None


def _version_condition(collection_id: int, versions: tuple[str, ...]
                       ) -> ColumnElement[bool] | None:
    if "all" in versions:
        return None
    other = aliased(TaxiiObject)
    conditions: list[ColumnElement[bool]] = []
    for word, pick in (("last", func.max), ("first", func.min)):
        if word in versions:
            chosen = select(pick(other.version)).where(
                other.collection_id == collection_id,
                other.stix_id == TaxiiObject.stix_id).scalar_subquery()
            conditions.append(TaxiiObject.version == chosen)
    stamps = [v for v in versions if v not in {"first", "last"}]
    if stamps:
        conditions.append(TaxiiObject.version.in_(stamps))
    return or_(*conditions)


def _after_row(db: Session, collection_id: int, row_id: int) -> ColumnElement[bool]:
    row = get_row(db, TaxiiObject, row_id)
    if row is None or row.collection_id != collection_id:
        raise EnvelopeError("next: not a value this server handed out for this collection "
                            "(or its object was deleted)")
    return or_(TaxiiObject.date_added > row.date_added,
               and_(TaxiiObject.date_added == row.date_added, TaxiiObject.id > row.id))


def conditions(db: Session, collection_id: int, filters: Filters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [TaxiiObject.collection_id == collection_id]
    if filters.ids:
        where.append(TaxiiObject.stix_id.in_(filters.ids))
    if filters.types:
        where.append(TaxiiObject.stix_type.in_(filters.types))
    if filters.spec_versions:
        where.append(TaxiiObject.spec_version.in_(filters.spec_versions))
    version = _version_condition(collection_id, filters.versions)
    if version is not None:
        where.append(version)
    if filters.added_after is not None:
        where.append(TaxiiObject.date_added > filters.added_after)
    return where


def page(db: Session, collection_id: int, filters: Filters) -> Page:
    where = conditions(db, collection_id, filters)
    if filters.next_row is not None:
        where.append(_after_row(db, collection_id, filters.next_row))
    order = (TaxiiObject.date_added, TaxiiObject.id)
    sizes: Any = select(TaxiiObject.id, func.length(TaxiiObject.content)).where(
        *where).order_by(*order).limit(filters.limit + 1)
    candidates = db.execute(sizes).all()
    chosen: list[int] = []
    total = 0
    for row_id, size in candidates[:filters.limit]:
        if chosen and total + size > MAX_PAGE_CHARS:
            break
        chosen.append(row_id)
        total += size
    rows = db.scalars(select(TaxiiObject).where(TaxiiObject.id.in_(chosen)).order_by(*order))
    return Page(tuple(rows), len(candidates) > len(chosen))


def holds(db: Session, collection_id: int, stix_id: str) -> bool:
    query = select(TaxiiObject.id).where(TaxiiObject.collection_id == collection_id,
                                         TaxiiObject.stix_id == stix_id).limit(1)
    return db.scalar(query) is not None


def stored_versions(db: Session, collection_id: int, keys: set[tuple[str, str]]
                    ) -> set[tuple[str, str]]:
    """Which of the (id, version) pairs the collection holds already."""
    found: set[tuple[str, str]] = set()
    ids = sorted({stix_id for stix_id, _version in keys})
    for start in range(0, len(ids), 500):
        query = select(TaxiiObject.stix_id, TaxiiObject.version).where(
            TaxiiObject.collection_id == collection_id,
            TaxiiObject.stix_id.in_(ids[start:start + 500]))
        found.update((stix_id, version) for stix_id, version in db.execute(query))
    return found & keys
