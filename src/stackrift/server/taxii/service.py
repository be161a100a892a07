"""TAXII collections over the server's tenancy: who may read and write which collection, and
the reads and writes themselves (every write in the audit log).

A collection belongs to one organisation unit. A user without a role in that unit, or whose
explicit grant allows neither reading nor writing, is told the collection does not exist (404),
as for every other object of another unit. Otherwise the role decides (viewer: read; analyst:
read and write; unit or server administrator: both, always) unless an explicit grant for the
user on that collection says otherwise.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stackrift.server.db.tables import OrgUnit, User, get_row, utcnow
from stackrift.server.errors import ConflictError, NotAllowedError, NotFoundError
from stackrift.server.services.audit import record
from stackrift.server.taxii import queries
from stackrift.server.taxii.filters import Filters
from stackrift.server.taxii.media import STIX_MEDIA
from stackrift.server.taxii.tables import TaxiiCollection, TaxiiGrant, TaxiiObject, TaxiiStatus
from stackrift.server.taxii.validation import (
    PatternBudget,
    Rejected,
    ValidObject,
    added_timestamp,
    check_object,
    display_timestamp,
    is_stix_id,
    parse_envelope,
    timestamp_of,
)
from stackrift.server.taxii.views import CollectionView, GrantView
from stackrift.server.tenancy import Principal, Role

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class Access:
    can_read: bool
    can_write: bool


def access_to(db: Session, actor: Principal, collection: TaxiiCollection) -> Access | None:
    """What the actor may do with the collection; ``None``: it is invisible to them."""
    role = actor.role_in(collection.unit_id)
    if role is None:
        return None
    if role is Role.ADMIN:
        return Access(True, True)
    grant = db.scalar(select(TaxiiGrant).where(TaxiiGrant.collection_id == collection.id,
                                               TaxiiGrant.user_id == actor.user_id))
    if grant is not None:
        chosen = Access(grant.can_read, grant.can_write)
    else:
        chosen = Access(True, role.rank >= Role.ANALYST.rank)
    return chosen if chosen.can_read or chosen.can_write else None


def _is_uuid(text: str) -> bool:
    """Ids in paths are checked before they reach the database (PostgreSQL refuses NUL)."""
    return len(text) == 36 and _UUID.match(text) is not None


def _object_id(stix_id: str) -> str:
    if not is_stix_id(stix_id):
        raise NotFoundError("object")
    return stix_id


def _collection(db: Session, actor: Principal, taxii_id: str) -> tuple[TaxiiCollection, Access]:
    if not _is_uuid(taxii_id):
        raise NotFoundError("collection")
    row = db.scalar(select(TaxiiCollection).where(TaxiiCollection.taxii_id == taxii_id))
    access = access_to(db, actor, row) if row is not None else None
    if row is None or access is None:
        raise NotFoundError("collection")
    return row, access


def _readable(db: Session, actor: Principal, taxii_id: str) -> TaxiiCollection:
    row, access = _collection(db, actor, taxii_id)
    if not access.can_read:
        raise NotAllowedError("you may add objects to this collection but not read it")
    return row


def require_writable(db: Session, actor: Principal, taxii_id: str) -> None:
    """Refuse (404 or 403) before a request body is read."""
    _writable(db, actor, taxii_id)


def _writable(db: Session, actor: Principal, taxii_id: str) -> TaxiiCollection:
    row, access = _collection(db, actor, taxii_id)
    if not access.can_write:
        raise NotAllowedError("you may read this collection but not add to it or delete from it")
    return row


def _collection_resource(row: TaxiiCollection, access: Access) -> dict[str, Any]:
    resource: dict[str, Any] = {"id": row.taxii_id, "title": row.title,
                                "can_read": access.can_read, "can_write": access.can_write,
                                "media_types": [STIX_MEDIA]}
    if row.description:
        resource["description"] = row.description
    if row.alias:
        resource["alias"] = row.alias
    return resource


def _visible_rows(db: Session, actor: Principal) -> list[TaxiiCollection]:
    query = select(TaxiiCollection).order_by(TaxiiCollection.title, TaxiiCollection.id)
    visible = actor.visible_units()
    if visible is not None:
        query = query.where(TaxiiCollection.unit_id.in_(visible))
    return list(db.scalars(query))


def list_collections(db: Session, actor: Principal) -> list[dict[str, Any]]:
    resources = []
    for row in _visible_rows(db, actor):
        access = access_to(db, actor, row)
        if access is not None:
            resources.append(_collection_resource(row, access))
    return resources


def get_collection(db: Session, actor: Principal, taxii_id: str) -> dict[str, Any]:
    return _collection_resource(*_collection(db, actor, taxii_id))


# -- reading ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Listing:
    """A response body and the TAXII date-added headers of its page."""

    body: dict[str, Any]
    first_added: str | None = None
    last_added: str | None = None


def _listing(page: queries.Page, key: str, items: list[Any]) -> Listing:
    if not page.rows:
        return Listing({"more": False})
    body: dict[str, Any] = {"more": page.more, key: items}
    if page.next is not None:
        body["next"] = page.next
    return Listing(body, added_timestamp(page.rows[0].date_added),
                   added_timestamp(page.rows[-1].date_added))


def get_objects(db: Session, actor: Principal, taxii_id: str, filters: Filters) -> Listing:
    row = _readable(db, actor, taxii_id)
    page = queries.page(db, row.id, filters)
    return _listing(page, "objects", [orjson.loads(r.content) for r in page.rows])


def get_object(db: Session, actor: Principal, taxii_id: str, stix_id: str,
               filters: Filters) -> Listing:
    row = _readable(db, actor, taxii_id)
    if not queries.holds(db, row.id, _object_id(stix_id)):
        raise NotFoundError("object")
    page = queries.page(db, row.id, filters.with_id(stix_id))
    return _listing(page, "objects", [orjson.loads(r.content) for r in page.rows])


def object_versions(db: Session, actor: Principal, taxii_id: str, stix_id: str,
                    filters: Filters) -> Listing:
    row = _readable(db, actor, taxii_id)
    if not queries.holds(db, row.id, _object_id(stix_id)):
        raise NotFoundError("object")
    page = queries.page(db, row.id, replace(filters.with_id(stix_id), versions=("all",)))
    return _listing(page, "versions", [display_timestamp(r.version) for r in page.rows])


def manifest(db: Session, actor: Principal, taxii_id: str, filters: Filters) -> Listing:
    row = _readable(db, actor, taxii_id)
    page = queries.page(db, row.id, filters)
    entries = [{"id": r.stix_id, "date_added": added_timestamp(r.date_added),
                "version": display_timestamp(r.version), "media_type": STIX_MEDIA}
               for r in page.rows]
    return _listing(page, "objects", entries)


# -- writing ---------------------------------------------------------------------------------

def _insert_new(db: Session, rows: list[dict[str, Any]]) -> None:
    """Insert, skipping a version another request stored meanwhile (PostgreSQL's transactions
    run side by side; SQLite's writers take turns)."""
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    for start in range(0, len(rows), 500):
        statement = insert(TaxiiObject).values(rows[start:start + 500])
        db.execute(statement.on_conflict_do_nothing(
            index_elements=["collection_id", "stix_id", "version"]))


def _store(db: Session, collection: TaxiiCollection, accepted: list[ValidObject],
           now: datetime) -> list[dict[str, Any]]:
    """Insert the versions not yet held; a version held already (or repeated in the request)
    counts as added, as TAXII allows."""
    stamped = [(obj, obj.version or timestamp_of(now)) for obj in accepted]
    held = queries.stored_versions(db, collection.id, {(o.stix_id, v) for o, v in stamped})
    rows, successes = [], []
    for obj, version in stamped:
        key = (obj.stix_id, version)
        if key not in held:
            held.add(key)
            rows.append({"collection_id": collection.id, "stix_id": obj.stix_id,
                         "stix_type": obj.stix_type, "spec_version": obj.spec_version,
                         "version": version, "date_added": now, "content": obj.content})
        successes.append({"id": obj.stix_id, "version": display_timestamp(version)})
    if rows:
        _insert_new(db, rows)
    return successes


def status_resource(status: TaxiiStatus) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "id": status.id, "status": "complete",
        "request_timestamp": added_timestamp(status.request_timestamp),
        "total_count": status.total_count, "success_count": status.success_count,
        "failure_count": status.failure_count, "pending_count": 0}
    if status.successes:
        resource["successes"] = status.successes
    if status.failures:
        resource["failures"] = status.failures
    return resource


def add_objects(db: Session, actor: Principal, taxii_id: str, body: bytes) -> dict[str, Any]:
    """Check each object of the envelope, store the good ones, and return the (complete)
    status resource listing every success and every failure with its reason."""
    collection = _writable(db, actor, taxii_id)
    objects = parse_envelope(body)
    budget = PatternBudget()
    checked = [check_object(obj, index, budget) for index, obj in enumerate(objects)]
    accepted = [c for c in checked if isinstance(c, ValidObject)]
    failures = [{"id": c.stix_id, **({"version": c.version} if c.version else {}),
                 "message": c.message} for c in checked if isinstance(c, Rejected)]
    # one add at a time per collection, its date added taken under the lock: dates added
    # follow commit order, so a client's next added_after never skips a slower request's objects
    db.execute(select(TaxiiCollection.id).where(TaxiiCollection.id == collection.id)
               .with_for_update())
    now = utcnow()
    successes = _store(db, collection, accepted, now)
    status = TaxiiStatus(id=str(uuid.uuid4()), collection_id=collection.id,
                         user_id=actor.user_id, request_timestamp=now,
                         total_count=len(objects), success_count=len(successes),
                         failure_count=len(failures), successes=successes, failures=failures)
    db.add(status)
    db.flush()
    record(db, actor, "taxii-add", "taxii-collection", collection.id, collection.unit_id,
           collection=collection.taxii_id, status=status.id, added=len(successes),
           failed=len(failures))
    return status_resource(status)


def delete_object(db: Session, actor: Principal, taxii_id: str, stix_id: str,
                  filters: Filters) -> int:
    """Delete the object's versions the filters select (the route selects every version
    unless ``match[version]`` is given); 404 when the collection does not hold the object."""
    collection = _writable(db, actor, taxii_id)
    if not queries.holds(db, collection.id, _object_id(stix_id)):
        raise NotFoundError("object")
    rows = list(db.scalars(select(TaxiiObject).where(
        *queries.conditions(db, collection.id, filters.with_id(stix_id)))))
    for row in rows:
        db.delete(row)
    db.flush()
    record(db, actor, "taxii-delete", "taxii-collection", collection.id, collection.unit_id,
           collection=collection.taxii_id, object=stix_id, versions=len(rows))
    return len(rows)


def get_status(db: Session, actor: Principal, status_id: str) -> dict[str, Any]:
    """A status is visible to whoever may see its collection."""
    status = db.get(TaxiiStatus, status_id) if _is_uuid(status_id) else None
    collection = db.get(TaxiiCollection, status.collection_id) if status is not None else None
    if status is None or collection is None or access_to(db, actor, collection) is None:
        raise NotFoundError("status")
    return status_resource(status)


# -- management ------------------------------------------------------------------------------

def _flush_or_conflict(db: Session, message: str) -> None:
    """A unique index refusing a row another transaction just wrote is a 409, not a 500."""
    try:
        db.flush()
    except IntegrityError:
        raise ConflictError(message) from None


def _view(row: TaxiiCollection) -> CollectionView:
    return CollectionView(id=row.taxii_id, unit_id=row.unit_id, title=row.title,
                          description=row.description, alias=row.alias,
                          created_at=row.created_at)


def create_collection(db: Session, actor: Principal, unit_id: int, title: str,
                      description: str = "", alias: str | None = None) -> CollectionView:
    """A new collection in a unit (that unit's administrators)."""
    actor.require(unit_id, Role.ADMIN, "unit")
    if get_row(db, OrgUnit, unit_id) is None:
        raise NotFoundError("unit")
    if alias and db.scalar(select(TaxiiCollection).where(TaxiiCollection.alias == alias)):
        raise ConflictError(f"a collection with the alias {alias!r} exists")
    row = TaxiiCollection(taxii_id=str(uuid.uuid4()), unit_id=unit_id, title=title,
                          description=description, alias=alias or None,
                          created_by=actor.user_id)
    db.add(row)
    _flush_or_conflict(db, f"a collection with the alias {alias!r} was just created")
    record(db, actor, "create", "taxii-collection", row.id, unit_id, collection=row.taxii_id,
           title=title)
    return _view(row)


def list_managed(db: Session, actor: Principal) -> list[CollectionView]:
    return [_view(row) for row in _visible_rows(db, actor)
            if access_to(db, actor, row) is not None]


def _administered(db: Session, actor: Principal, taxii_id: str) -> TaxiiCollection:
    row = db.scalar(select(TaxiiCollection).where(TaxiiCollection.taxii_id == taxii_id))
    if row is None or actor.role_in(row.unit_id) is None:
        raise NotFoundError("collection")
    actor.require(row.unit_id, Role.ADMIN, "collection")
    return row


def set_grant(db: Session, actor: Principal, taxii_id: str, user_id: int, *, can_read: bool,
              can_write: bool) -> GrantView:
    """Set one user's permissions on one collection; the user must hold a role in its unit."""
    from stackrift.server.db.tables import Grant

    row = _administered(db, actor, taxii_id)
    if get_row(db, User, user_id) is None or db.scalar(select(Grant).where(
            Grant.user_id == user_id, Grant.unit_id == row.unit_id)) is None:
        raise NotFoundError("user")
    grant = db.scalar(select(TaxiiGrant).where(TaxiiGrant.collection_id == row.id,
                                               TaxiiGrant.user_id == user_id))
    if grant is None:
        grant = TaxiiGrant(collection_id=row.id, user_id=user_id)
        db.add(grant)
    grant.can_read, grant.can_write = can_read, can_write
    _flush_or_conflict(db, "the user's permissions were changed at the same moment; try again")
    record(db, actor, "grant", "taxii-collection", row.id, row.unit_id,
           collection=taxii_id, user=user_id, can_read=can_read, can_write=can_write)
    return GrantView(collection=taxii_id, user_id=user_id, can_read=can_read,
                     can_write=can_write)


def remove_grant(db: Session, actor: Principal, taxii_id: str, user_id: int) -> None:
    """Back to what the user's role gives."""
    row = _administered(db, actor, taxii_id)
    grant = db.scalar(select(TaxiiGrant).where(TaxiiGrant.collection_id == row.id,
                                               TaxiiGrant.user_id == user_id)) \
        if get_row(db, User, user_id) is not None else None
    if grant is None:
        raise NotFoundError("grant")
    db.delete(grant)
    db.flush()
    record(db, actor, "revoke", "taxii-collection", row.id, row.unit_id, collection=taxii_id,
           user=user_id)
