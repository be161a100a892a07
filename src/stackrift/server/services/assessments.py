"""Assessments: requested (queued as a job), run by the worker, their reports downloaded."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackrift.server.db.tables import Assessment, Project, ReportOutput, Upload
from stackrift.server.errors import NotFoundError
from stackrift.server.services.audit import record
from stackrift.server.services.projects import project_row
from stackrift.server.services.uploads import UploadKind, latest_uploads
from stackrift.server.services.views import AssessmentView
from stackrift.server.tenancy import Principal, Role

OUTPUT_FORMATS = {"json": "application/json", "html": "text/html; charset=utf-8",
                  "md": "text/markdown; charset=utf-8", "sarif": "application/sarif+json",
                  "cyclonedx-vex": "application/vnd.cyclonedx+json"}
"""Every format stored when an assessment finishes, and its media type."""


def latest_estate_id(db: Session, project_id: int) -> int | None:
    """The newest estate upload of the project (any name)."""
    return db.scalar(select(Upload.id).where(Upload.project_id == project_id,
                                             Upload.kind == UploadKind.ESTATE.value)
                     .order_by(Upload.id.desc()).limit(1))


def enqueue(db: Session, actor: Principal, project: Project, *, estate_upload_id: int,
            as_of: date, trigger: str) -> Assessment:
    """Queue an assessment of one estate version with the project's newest other uploads."""
    inputs = sorted(i for (kind, _), i in latest_uploads(db, project.id).items()
                    if kind != UploadKind.ESTATE.value)
    assessment = Assessment(project_id=project.id, estate_upload_id=estate_upload_id,
                            input_upload_ids=inputs, as_of=as_of, trigger=trigger,
                            status="queued", progress=0, stage="queued", attempts=0,
                            requested_by=actor.user_id)
    db.add(assessment)
    db.flush()
    record(db, actor, "request", "assessment", assessment.id, project.unit_id,
           project=project.id, estate_upload=estate_upload_id, as_of=as_of.isoformat(),
           trigger=trigger)
    return assessment


def request_assessment(db: Session, actor: Principal, project_id: int, *,
                       as_of: date | None = None, estate_upload_id: int | None = None
                       ) -> AssessmentView:
    """Queue an assessment of the given estate upload (default: the newest estate)."""
    project = project_row(db, actor, project_id, Role.ANALYST)
    if estate_upload_id is None:
        estate_upload_id = latest_estate_id(db, project_id)
        if estate_upload_id is None:
            raise NotFoundError("estate upload (upload an estate first)")
    else:
        estate = db.get(Upload, estate_upload_id)
        if estate is None or estate.project_id != project_id or estate.kind != "estate":
            raise NotFoundError("estate upload")
    assessment = enqueue(db, actor, project, estate_upload_id=estate_upload_id,
                         as_of=as_of or date.today(), trigger="request")
    return AssessmentView.model_validate(assessment)


def assessment_row(db: Session, actor: Principal, assessment_id: int) -> Assessment:
    assessment = db.get(Assessment, assessment_id)
    if assessment is None:
        raise NotFoundError("assessment")
    project_row(db, actor, assessment.project_id)
    return assessment


def get_assessment(db: Session, actor: Principal, assessment_id: int) -> AssessmentView:
    return AssessmentView.model_validate(assessment_row(db, actor, assessment_id))


def list_assessments(db: Session, actor: Principal, project_id: int, *, limit: int = 100
                     ) -> list[AssessmentView]:
    project_row(db, actor, project_id)
    query = (select(Assessment).where(Assessment.project_id == project_id)
             .order_by(Assessment.id.desc()).limit(max(1, min(limit, 1000))))
    return [AssessmentView.model_validate(a) for a in db.scalars(query)]


def assessment_output(db: Session, actor: Principal, assessment_id: int, output_format: str
                      ) -> tuple[bytes, str]:
    """A stored rendering of a finished assessment and its media type."""
    assessment = assessment_row(db, actor, assessment_id)
    if output_format not in OUTPUT_FORMATS:
        raise NotFoundError(f"format {output_format!r}")
    content = db.scalar(select(ReportOutput.content).where(
        ReportOutput.assessment_id == assessment.id, ReportOutput.format == output_format))
    if content is None:
        raise NotFoundError(f"{output_format} report (the assessment is {assessment.status})")
    return content, OUTPUT_FORMATS[output_format]
