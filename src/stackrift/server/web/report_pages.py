"""Pages over one assessment: its progress and findings table, one finding, the estate map, and
one system, data flow or vendor, all read from the assessment's stored JSON report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from stackrift.server.deps import Db
from stackrift.server.errors import NotFoundError
from stackrift.server.tenancy import Principal
from stackrift.server.web import data
from stackrift.server.web.estatemap import (
    VERDICT_LABELS,
    estate_map,
    legend_swatch,
    map_edges,
)
from stackrift.server.web.render import WEB, ObjectId, User, link, page
from stackrift.server.web.reportview import (
    SEVERITY_ORDER,
    FindingFilter,
    ReportData,
    evidence_rows,
    safe_url,
)

PAGE_SIZE = 100
DOWNLOADS = (("json", "JSON"), ("html", "HTML report"), ("md", "Markdown"),
             ("sarif", "SARIF"), ("cyclonedx-vex", "CycloneDX VEX"))


def _frame(db: Session, user: Principal, assessment_id: int
           ) -> tuple[ReportData, dict[str, Any]]:
    """The report and the context every page of an assessment shares (its breadcrumbs)."""
    state, project, unit = data.assessment_context(db, user, assessment_id)
    report = data.report_of(db, user, assessment_id)
    crumbs = [("Dashboard", link()), (unit.name, link("units", unit.id)),
              (project.name, link("projects", project.id)),
              (f"Assessment {state.id}", link("assessments", state.id))]
    return report, {"a": state, "project": project, "crumbs": crumbs, "principal": user}


def _findings_context(report: ReportData, chosen: FindingFilter, page_number: int
                      ) -> dict[str, Any]:
    matching = [f for f in report.findings if chosen.matches(f)]
    pages = max(1, -(-len(matching) // PAGE_SIZE))
    current = min(max(page_number, 1), pages)
    start = (current - 1) * PAGE_SIZE
    return {"filter": chosen, "shown": matching[start:start + PAGE_SIZE], "total": len(matching),
            "first": start + 1, "page": current, "pages": pages,
            "analyses": report.analyses(), "systems": report.systems(),
            "counts": report.severity_counts(), "severities": SEVERITY_ORDER,
            "all_findings": len(report.findings)}


def _assessment(request: Request, db: Session, user: Principal, assessment_id: int,
                chosen: FindingFilter, page_number: int) -> HTMLResponse:
    state, project, unit = data.assessment_context(db, user, assessment_id)
    crumbs = [("Dashboard", link()), (unit.name, link("units", unit.id)),
              (project.name, link("projects", project.id))]
    context: dict[str, Any] = {"a": state, "project": project, "downloads": DOWNLOADS,
                               "crumbs": crumbs}
    if state.status == "done":
        report = data.report_of(db, user, assessment_id)
        context.update(_findings_context(report, chosen, page_number))
        context["caveats"] = _caveats(report)
    return page(request, "assessment.html.j2", principal=user,
                title=f"Assessment {state.id} of {project.name}", **context)


def _caveats(report: ReportData) -> list[str]:
    """What the analyses say they did not look at (shown beside the findings)."""
    found: list[str] = []
    for section in report.document.get("analyses", {}).values():
        caveats = section.get("summary", {}).get("caveats", [])
        found.extend(str(c) for c in caveats if isinstance(caveats, list))
    return found


def _finding_view(finding: Mapping[str, Any]) -> dict[str, Any]:
    citations = [{"text": ", ".join(str(c.get(k)) for k in ("source", "section") if c.get(k)),
                  "url": safe_url(c.get("url")), "confidence": c.get("confidence", ""),
                  "in_force": " to ".join(str(c.get(k)) for k in ("in_force_from",
                                                                 "in_force_until")
                                          if c.get(k))}
                 for c in finding.get("citations") or () if isinstance(c, Mapping)]
    return {"f": finding, "evidence": evidence_rows(finding.get("evidence") or {}),
            "citations": citations, "subjects": [finding.get("subject") or {},
                                                 *(finding.get("related") or ())]}


def _object_page(request: Request, report: ReportData, frame: dict[str, Any], *, kind: str,
                 label: str, key: str, column: str, ids: set[str]) -> HTMLResponse:
    """A system's or flow's page: every table row naming it and every finding about it."""
    tables = [t.rows_where(column, ids) for t in report.tables_with(column)]
    findings = report.about(kind, ids)
    if not findings and not any(t.rows for t in tables):
        raise NotFoundError(label)
    return page(request, "object.html.j2", title=f"{label.capitalize()} {key}", kind=label,
                key=key, tables=[t for t in tables if t.rows], findings=findings, **frame)


def _object_routes(web: APIRouter) -> None:
    @web.get(f"{WEB}/assessments/{{assessment_id}}/systems/{{system_id:path}}")
    def system(assessment_id: ObjectId, system_id: str, request: Request, db: Db, user: User
               ) -> HTMLResponse:
        report, frame = _frame(db, user, assessment_id)
        return _object_page(request, report, frame, kind="system", label="system",
                            key=system_id, column="system", ids={system_id})

    @web.get(f"{WEB}/assessments/{{assessment_id}}/flows/{{flow_id:path}}")
    def flow(assessment_id: ObjectId, flow_id: str, request: Request, db: Db, user: User
             ) -> HTMLResponse:
        report, frame = _frame(db, user, assessment_id)
        return _object_page(request, report, frame, kind="data_flow", label="data flow",
                            key=flow_id, column="flow", ids={flow_id})

    @web.get(f"{WEB}/assessments/{{assessment_id}}/vendors/{{vendor:path}}")
    def vendor(assessment_id: ObjectId, vendor: str, request: Request, db: Db, user: User
               ) -> HTMLResponse:
        """The vendor's rows in every table, and the findings about its components."""
        report, frame = _frame(db, user, assessment_id)
        components = report.vendors().get(vendor)
        if components is None:
            raise NotFoundError("vendor")
        tables = [t.rows_where("vendor", {vendor}) for t in report.tables_with("vendor")]
        return page(request, "object.html.j2", title=f"Vendor {vendor}", kind="vendor",
                    key=vendor, tables=[t for t in tables if t.rows],
                    findings=report.about("component", components),
                    components=sorted(components), **frame)


def finding_filter(severity: Annotated[str, Query(max_length=20)] = "",
                   analysis: Annotated[str, Query(max_length=60)] = "",
                   system: Annotated[str, Query(max_length=200)] = "",
                   q: Annotated[str, Query(max_length=200)] = "") -> FindingFilter:
    """The findings table's filters from the query string (so they work without script)."""
    return FindingFilter(severity, analysis, system, q.strip())


def report_routes(web: APIRouter) -> None:
    @web.get(f"{WEB}/assessments/{{assessment_id}}")
    def assessment(assessment_id: ObjectId, request: Request, db: Db, user: User,
                   chosen: Annotated[FindingFilter, Depends(finding_filter)],
                   page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1
                   ) -> HTMLResponse:
        """Progress while the job runs; then the findings, filtered by the query."""
        return _assessment(request, db, user, assessment_id, chosen, page_number)

    @web.get(f"{WEB}/assessments/{{assessment_id}}/findings/{{finding_id:path}}")
    def finding(assessment_id: ObjectId, finding_id: str, request: Request, db: Db, user: User
                ) -> HTMLResponse:
        report, frame = _frame(db, user, assessment_id)
        found = report.by_id.get(finding_id)
        if found is None:
            raise NotFoundError("finding")
        return page(request, "finding.html.j2", title=str(found.get("title", finding_id)),
                    **_finding_view(found), **frame)

    @web.get(f"{WEB}/assessments/{{assessment_id}}/estate")
    def estate(assessment_id: ObjectId, request: Request, db: Db, user: User) -> HTMLResponse:
        """The estate map, its table equivalent, and the systems, flows and vendors."""
        report, frame = _frame(db, user, assessment_id)
        sites = report.sites_by_country()
        flows = report.flow_lines()
        verdicts = sorted({f.verdict for f in flows})
        return page(request, "estate.html.j2", title="Estate map", sites=sites, flows=flows,
                    svg=estate_map(sites, map_edges(flows)) if sites or flows else None,
                    legend=[(v, VERDICT_LABELS.get(v, v), legend_swatch(v)) for v in verdicts],
                    verdict_labels=VERDICT_LABELS, systems=report.systems(),
                    flow_names=report.flows(), vendors=report.vendors(), **frame)

    _object_routes(web)
