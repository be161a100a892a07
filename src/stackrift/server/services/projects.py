"""Projects: each belongs to one organisation unit and holds uploads and assessments."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackrift.server.db.tables import OrgUnit, Project
from stackrift.server.errors import ConflictError, NotFoundError
from stackrift.server.services.audit import record
from stackrift.server.services.views import ProjectView
from stackrift.server.tenancy import Principal, Role


def project_row(db: Session, actor: Principal, project_id: int, role: Role = Role.VIEWER
                ) -> Project:
    """The project if the actor holds ``role`` in its unit; invisible or absent → 404."""
    project = db.get(Project, project_id)
    if project is None:
        raise NotFoundError("project")
    actor.require(project.unit_id, role, "project")
    return project


def list_projects(db: Session, actor: Principal, unit_id: int | None = None
                  ) -> list[ProjectView]:
    query = select(Project).order_by(Project.name, Project.id)
    visible = actor.visible_units()
    if visible is not None:
        query = query.where(Project.unit_id.in_(visible))
    if unit_id is not None:
        query = query.where(Project.unit_id == unit_id)
    return [ProjectView.model_validate(p) for p in db.scalars(query)]


def get_project(db: Session, actor: Principal, project_id: int) -> ProjectView:
    return ProjectView.model_validate(project_row(db, actor, project_id))


def create_project(db: Session, actor: Principal, unit_id: int, name: str,
                   description: str = "") -> ProjectView:
    actor.require(unit_id, Role.ANALYST, "unit")
    if db.get(OrgUnit, unit_id) is None:
        raise NotFoundError("unit")
    exists = db.scalar(select(Project).where(Project.unit_id == unit_id, Project.name == name))
    if exists is not None:
        raise ConflictError(f"the unit already has a project named {name!r}")
    project = Project(unit_id=unit_id, name=name, description=description,
                      created_by=actor.user_id)
    db.add(project)
    db.flush()
    record(db, actor, "create", "project", project.id, unit_id, name=name)
    return ProjectView.model_validate(project)
