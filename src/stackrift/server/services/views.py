"""What the services return: frozen records, also the HTTP API's response models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class View(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class UnitView(View):
    id: int
    name: str
    created_at: datetime


class UserView(View):
    id: int
    username: str
    is_admin: bool
    active: bool
    roles: dict[int, str] = {}


class MeView(View):
    id: int | None
    username: str
    is_admin: bool
    roles: dict[int, str]
    via: str
    csrf_token: str | None = None


class TokenView(View):
    id: int
    user_id: int
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


class NewToken(View):
    """A token's secret, shown only in this answer."""

    token: str
    info: TokenView


class ProjectView(View):
    id: int
    unit_id: int
    name: str
    description: str
    created_at: datetime


class UploadView(View):
    id: int
    project_id: int
    kind: str
    name: str
    version: int
    sha256: str
    size: int
    created_by: int | None
    created_at: datetime


class AssessmentView(View):
    id: int
    project_id: int
    estate_upload_id: int
    input_upload_ids: list[int]
    as_of: date
    trigger: str
    status: str
    progress: int
    stage: str
    error: str | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    knowledge_version: str | None
    knowledge_digest: str | None
    advisory_fingerprint: str | None
    finding_count: int | None
    failing_count: int | None


class AuditView(View):
    id: int
    at: datetime
    user_id: int | None
    actor: str
    action: str
    object_type: str
    object_id: int | None
    unit_id: int | None
    detail: dict[str, Any]


class FindingChange(View):
    id: str
    analysis: str
    title: str
    severity_before: str | None
    severity_after: str | None
    causes: list[str]
    """Changed inputs that can explain this change (see ``AssessmentDiff.causes``)."""


class AssessmentDiff(View):
    """What changed between two assessments of one project, and which inputs differ."""

    from_assessment: int
    to_assessment: int
    causes: dict[str, Any]
    """``estate``, ``advisories``, ``rules``, ``as_of``: present when that input differs."""
    added: list[FindingChange]
    removed: list[FindingChange]
    changed: list[FindingChange]
