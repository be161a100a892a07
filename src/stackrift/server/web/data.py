"""What each page shows, gathered from the services (which check tenancy) and the stored
reports; no SQL and no analysis here."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import orjson
from sqlalchemy.orm import Session

from stackrift.server.errors import ConflictError
from stackrift.server.services import accounts, assessments, projects, uploads
from stackrift.server.services.views import (
    AssessmentView,
    ProjectView,
    UnitView,
    UploadView,
)
from stackrift.server.tenancy import Principal, Role
from stackrift.server.web.reportview import ReportData

ACTIVE = frozenset({"queued", "running"})


@dataclass(frozen=True)
class ProjectRow:
    project: ProjectView
    latest: AssessmentView | None
    counts: dict[str, int] | None
    """Findings by severity of the latest finished assessment."""
    active_jobs: int


@dataclass(frozen=True)
class UnitBoard:
    unit: UnitView
    role: str
    rows: list[ProjectRow]

    @property
    def can_write(self) -> bool:
        return self.role in {Role.ANALYST.value, Role.ADMIN.value}


@dataclass(frozen=True)
class ProjectPage:
    unit: UnitView
    project: ProjectView
    uploads: list[UploadView]
    estates: list[UploadView]
    history: list[AssessmentView]
    can_write: bool


_CACHE_SIZE = 16
_cache: OrderedDict[tuple[str, int, str], ReportData] = OrderedDict()
_cache_lock = threading.Lock()


def report_of(db: Session, actor: Principal, assessment_id: int) -> ReportData:
    """The finished assessment's JSON report (404 for an invisible one, 409 before it ends).

    A finished report never changes, so the last few read are kept parsed; the access check
    above runs on every call all the same."""
    state = assessments.get_assessment(db, actor, assessment_id)
    if state.status != "done":
        raise ConflictError(f"assessment {assessment_id} is {state.status}; its report is "
                            "not there yet")
    key = (str(db.get_bind().engine.url), assessment_id, str(state.finished_at))
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    content, _ = assessments.assessment_output(db, actor, assessment_id, "json")
    report = ReportData.of(orjson.loads(content))
    with _cache_lock:
        _cache[key] = report
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return report


def _row(db: Session, actor: Principal, project: ProjectView) -> ProjectRow:
    history = assessments.list_assessments(db, actor, project.id, limit=20)
    done = next((a for a in history if a.status == "done"), None)
    counts = report_of(db, actor, done.id).severity_counts() if done else None
    return ProjectRow(project, history[0] if history else None, counts,
                      sum(a.status in ACTIVE for a in history))


def dashboard(db: Session, actor: Principal, unit_id: int | None = None) -> list[UnitBoard]:
    """Every visible unit (or one) with its projects, latest assessment and finding counts."""
    units = ([accounts.get_unit(db, actor, unit_id)] if unit_id is not None
             else accounts.list_units(db, actor))
    boards = []
    for unit in units:
        role = actor.role_in(unit.id)
        rows = [_row(db, actor, p) for p in projects.list_projects(db, actor, unit.id)]
        boards.append(UnitBoard(unit, role.value if role else "", rows))
    return boards


def project_page(db: Session, actor: Principal, project_id: int) -> ProjectPage:
    project = projects.get_project(db, actor, project_id)
    unit = accounts.get_unit(db, actor, project.unit_id)
    files = uploads.list_uploads(db, actor, project_id)
    role = actor.role_in(project.unit_id)
    return ProjectPage(unit, project, files, [u for u in files if u.kind == "estate"],
                       assessments.list_assessments(db, actor, project_id),
                       role is not None and role.rank >= Role.ANALYST.rank)


def assessment_context(db: Session, actor: Principal, assessment_id: int
                       ) -> tuple[AssessmentView, ProjectView, UnitView]:
    state = assessments.get_assessment(db, actor, assessment_id)
    project = projects.get_project(db, actor, state.project_id)
    return state, project, accounts.get_unit(db, actor, project.unit_id)
