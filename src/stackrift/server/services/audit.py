"""The audit log: every write, who did it, when, to which object."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from stackrift.server.db.tables import AuditEntry
from stackrift.server.services.views import AuditView
from stackrift.server.tenancy import Principal, Role


def record(db: Session, actor: Principal, action: str, object_type: str,
           object_id: int | None, unit_id: int | None, **detail: Any) -> None:
    db.add(AuditEntry(user_id=actor.user_id, actor=actor.username, action=action,
                      object_type=object_type, object_id=object_id, unit_id=unit_id,
                      detail=detail))


def list_audit(db: Session, actor: Principal, *, unit_id: int | None = None,
               limit: int = 200) -> list[AuditView]:
    """Entries a unit administrator may read (their units), all for a server administrator;
    newest first."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(max(1, min(limit, 1000)))
    if unit_id is not None:
        actor.require(unit_id, Role.ADMIN, "unit")
        query = query.where(AuditEntry.unit_id == unit_id)
    elif not actor.is_admin:
        units = [u for u, role in actor.roles.items() if role is Role.ADMIN]
        query = query.where(or_(AuditEntry.unit_id.in_(units),
                                AuditEntry.user_id == actor.user_id))
    return [AuditView.model_validate(row) for row in db.scalars(query)]
