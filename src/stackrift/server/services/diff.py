"""What changed between two assessments, and which of their inputs can explain it.

The comparison itself is the library's (``report.executive.compare_severities``, the one
``assess --baseline`` uses) over the two stored JSON reports; this module adds the inputs each
assessment recorded: estate version, other uploads, advisory-store fingerprint, knowledge set
and rule packs, as-of date.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from stackrift.server.db.tables import Assessment, ReportOutput, Upload
from stackrift.server.errors import ConflictError, NotFoundError
from stackrift.server.services.assessments import assessment_row
from stackrift.server.services.projects import project_row
from stackrift.server.services.views import AssessmentDiff, FindingChange
from stackrift.server.tenancy import Principal

# which inputs can change an analysis's findings
_ADVISORY_ANALYSES = frozenset({"vulnerabilities"})
_COMMON_CAUSES = ("estate", "inputs", "as_of")


def _findings(db: Session, assessment: Assessment) -> dict[str, dict[str, Any]]:
    content = db.scalar(select(ReportOutput.content).where(
        ReportOutput.assessment_id == assessment.id, ReportOutput.format == "json"))
    if content is None:
        raise ConflictError(f"assessment {assessment.id} has no report yet "
                            f"(it is {assessment.status})")
    document = orjson.loads(content)
    return {f["id"]: f for f in document.get("findings", []) if isinstance(f, dict)}


def _upload_label(db: Session, upload_id: int) -> dict[str, Any]:
    upload = db.get(Upload, upload_id)
    if upload is None:
        return {"upload": upload_id}
    return {"upload": upload_id, "name": upload.name, "version": upload.version,
            "sha256": upload.sha256}


def input_causes(db: Session, before: Assessment, after: Assessment) -> dict[str, Any]:
    """Each input that differs between the two runs, with its two values."""
    causes: dict[str, Any] = {}
    if before.estate_upload_id != after.estate_upload_id:
        causes["estate"] = {"from": _upload_label(db, before.estate_upload_id),
                            "to": _upload_label(db, after.estate_upload_id)}
    rule_ids = _rule_uploads(db, before), _rule_uploads(db, after)
    if before.knowledge_digest != after.knowledge_digest or rule_ids[0] != rule_ids[1]:
        causes["rules"] = {"from": {"knowledge": before.knowledge_version,
                                    "digest": before.knowledge_digest,
                                    "rule_pack_uploads": rule_ids[0]},
                           "to": {"knowledge": after.knowledge_version,
                                  "digest": after.knowledge_digest,
                                  "rule_pack_uploads": rule_ids[1]}}
    others = (set(before.input_upload_ids) - set(rule_ids[0]),
              set(after.input_upload_ids) - set(rule_ids[1]))
    if others[0] != others[1]:
        causes["inputs"] = {"from": sorted(others[0]), "to": sorted(others[1])}
    if before.advisory_fingerprint != after.advisory_fingerprint:
        causes["advisories"] = {"from": before.advisory_fingerprint,
                                "to": after.advisory_fingerprint}
    if before.as_of != after.as_of:
        causes["as_of"] = {"from": before.as_of.isoformat(), "to": after.as_of.isoformat()}
    return causes


def _rule_uploads(db: Session, assessment: Assessment) -> list[int]:
    if not assessment.input_upload_ids:
        return []
    return sorted(db.scalars(select(Upload.id).where(Upload.id.in_(assessment.input_upload_ids),
                                                     Upload.kind == "rules")))


def _causes_for(analysis: str, causes: dict[str, Any]) -> list[str]:
    specific = "advisories" if analysis in _ADVISORY_ANALYSES else "rules"
    return [c for c in (*_COMMON_CAUSES, specific) if c in causes]


def _change(finding: dict[str, Any], before: str | None, after: str | None,
            causes: dict[str, Any]) -> FindingChange:
    analysis = str(finding.get("analysis", ""))
    return FindingChange(id=finding["id"], analysis=analysis, title=str(finding.get("title", "")),
                         severity_before=before, severity_after=after,
                         causes=_causes_for(analysis, causes))


def diff_assessments(db: Session, actor: Principal, project_id: int, from_id: int, to_id: int
                     ) -> AssessmentDiff:
    """Findings added, removed and changed in severity from ``from_id`` to ``to_id``."""
    from stackrift.report.executive import compare_severities

    project_row(db, actor, project_id)
    before, after = assessment_row(db, actor, from_id), assessment_row(db, actor, to_id)
    if before.project_id != project_id or after.project_id != project_id:
        raise NotFoundError("assessment")
    old, new = _findings(db, before), _findings(db, after)
    changes = compare_severities({i: str(f.get("severity")) for i, f in new.items()},
                                 {i: str(f.get("severity")) for i, f in old.items()},
                                 f"assessment {from_id}")
    causes = input_causes(db, before, after)
    return AssessmentDiff(
        from_assessment=from_id, to_assessment=to_id, causes=causes,
        added=[_change(new[i], None, new[i].get("severity"), causes) for i in changes.added],
        removed=[_change(old[i], old[i].get("severity"), None, causes)
                 for i in changes.resolved],
        changed=[_change(new[i], was, now, causes) for i, was, now in changes.changed])
