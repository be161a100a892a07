"""Assessments: request, follow, download (JSON, HTML, Markdown, SARIF, CycloneDX VEX), diff."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response
from pydantic import BaseModel

from stackrift.server.deps import Actor, Db
from stackrift.server.routes import API
from stackrift.server.services import assessments
from stackrift.server.services.diff import diff_assessments
from stackrift.server.services.views import AssessmentDiff, AssessmentView


class AssessmentRequest(BaseModel):
    as_of: date | None = None
    estate_upload_id: int | None = None


class OutputFormat(StrEnum):
    JSON = "json"
    HTML = "html"
    MD = "md"
    SARIF = "sarif"
    CYCLONEDX_VEX = "cyclonedx-vex"


_EXTENSIONS = {"json": "json", "html": "html", "md": "md", "sarif": "sarif",
               "cyclonedx-vex": "vex.json"}


def router() -> APIRouter:
    api = APIRouter(tags=["assessments"])

    @api.post(f"{API}/projects/{{project_id}}/assessments", response_model=AssessmentView,
              status_code=202)
    def request_assessment(project_id: int, db: Db, actor: Actor,
                           body: Annotated[AssessmentRequest | None, Body()] = None
                           ) -> AssessmentView:
        """Queue an assessment of the newest (or given) estate with the project's newest
        SBOMs, controls, rule packs, VEX and waivers; follow it with GET …/assessments/ID."""
        body = body or AssessmentRequest()
        return assessments.request_assessment(db, actor, project_id, as_of=body.as_of,
                                              estate_upload_id=body.estate_upload_id)

    @api.get(f"{API}/projects/{{project_id}}/assessments", response_model=list[AssessmentView])
    def list_assessments(project_id: int, db: Db, actor: Actor) -> list[AssessmentView]:
        """The project's assessments, newest first."""
        return assessments.list_assessments(db, actor, project_id)

    @api.get(f"{API}/assessments/{{assessment_id}}", response_model=AssessmentView)
    def get_assessment(assessment_id: int, db: Db, actor: Actor) -> AssessmentView:
        """Status and progress; once done, the report formats can be downloaded."""
        return assessments.get_assessment(db, actor, assessment_id)

    @api.get(f"{API}/assessments/{{assessment_id}}/report",
             responses={200: {"content": {m: {} for m in assessments.OUTPUT_FORMATS.values()}}})
    def report(assessment_id: int, db: Db, actor: Actor,
               format: OutputFormat = OutputFormat.JSON) -> Response:
        """The stored report: json, html, md, sarif or cyclonedx-vex."""
        content, media_type = assessments.assessment_output(db, actor, assessment_id,
                                                            format.value)
        name = f"assessment-{assessment_id}.{_EXTENSIONS[format.value]}"
        return Response(content, media_type=media_type,
                        headers={"Content-Disposition": f'inline; filename="{name}"'})

    @api.get(f"{API}/projects/{{project_id}}/diff", response_model=AssessmentDiff)
    def diff(project_id: int, db: Db, actor: Actor,
             from_id: Annotated[int, Query(alias="from")],
             to_id: Annotated[int, Query(alias="to")]) -> AssessmentDiff:
        """Findings added, removed and changed between two finished assessments of the
        project, and which inputs differ (estate, advisories, rules, as-of date)."""
        return diff_assessments(db, actor, project_id, from_id, to_id)

    return api
