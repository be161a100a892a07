"""Obligations as OSCAL 1.1 JSON: assessment results (one finding per system × obligation) and a
plan of action and milestones (the smallest control set, and what no control covers).

Written with our own code (no OSCAL library at run time); the tests load every document with
compliance-trestle's models and validators. Output is deterministic: UUIDs are name-based
(UUID 5) from the system and requirement, and timestamps are the as-of date, never the clock.

How obligations map onto OSCAL: a requirement ``framework:requirement`` is the finding's target
(``objective-id``; OSCAL tokens allow no colon, so ``framework_requirement`` with any other
character outside the token alphabet replaced by ``-``; the exact reference is the
``requirement`` property). A finding is ``satisfied`` only when declared implemented controls
meet the obligation; otherwise ``not-satisfied``, with the reason ``fail`` (controls assessed and
missing or partial) or ``other`` (no controls declared, or applicability undetermined: the
missing facts are named). Nothing is called satisfied that was not looked at.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from stackrift.compliance.cover import PlanComparison
from stackrift.compliance.engine import (
    Applicability,
    MetStatus,
    ObligationStatus,
    ObligationVerdict,
)
from stackrift.compliance.model import ComplianceError
from stackrift.compliance.oscal import NAMESPACE, target_token
from stackrift.compliance.views import DISCLAIMER, ComplianceOutcome

OSCAL_VERSION = "1.1.2"
_UUIDS = uuid.uuid5(uuid.NAMESPACE_URL, NAMESPACE)


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_UUIDS, "\x1f".join(parts)))


def _stamp(as_of: date) -> str:
    return f"{as_of.isoformat()}T00:00:00Z"


def _prop(name: str, value: str) -> dict[str, str]:
    return {"name": name, "ns": NAMESPACE, "value": value}


def _metadata(title: str, as_of: date, remarks: str) -> dict[str, Any]:
    return {"title": title, "last-modified": _stamp(as_of), "version": as_of.isoformat(),
            "oscal-version": OSCAL_VERSION, "remarks": remarks}


def _links(verdict: ObligationVerdict) -> list[dict[str, str]]:
    seen: dict[str, str] = {}
    for citation in verdict.citations:
        if citation.url and citation.url not in seen:
            seen[citation.url] = citation.source + (
                f", {citation.section}" if citation.section else "")
    return [{"href": url, "rel": "reference", "text": text} for url, text in seen.items()]


def _verdict_props(verdict: ObligationVerdict) -> list[dict[str, str]]:
    props = [_prop("system", verdict.system_id), _prop("requirement", verdict.ref),
             _prop("framework", verdict.framework_id),
             _prop("jurisdiction", verdict.jurisdiction or "global"),
             _prop("binding", verdict.binding.value), _prop("kind", verdict.kind.value),
             _prop("applicability", verdict.status.value)]
    if verdict.applies_from is not None:
        props.append(_prop("applies-from", verdict.applies_from.isoformat()))
    props += [_prop("missing-fact", fact) for fact in verdict.missing]
    return props


def _target_status(verdict: ObligationVerdict, status: ObligationStatus | None
                   ) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The OSCAL objective status and the control properties of one obligation."""
    if verdict.status is Applicability.UNDETERMINED:
        return {"state": "not-satisfied", "reason": "other", "remarks":
                "applicability undetermined: the estate does not record "
                + (", ".join(verdict.missing) or "a fact")}, []
    if status is None:
        return {"state": "not-satisfied", "reason": "other",
                "remarks": "no controls were declared: applicability only, not assessed"}, []
    props = [_prop("control-status", status.status.value),
             *(_prop("met-by", c) for c in status.met_by),
             *(_prop("partly-met-by", c) for c in status.partly_by),
             *(_prop("evidence", e) for e in status.evidence)]
    if status.status is MetStatus.MET:
        return {"state": "satisfied", "reason": "pass"}, props
    return {"state": "not-satisfied", "reason": "fail",
            "remarks": f"declared controls: {status.status.value}"}, props


def _finding(verdict: ObligationVerdict, status: ObligationStatus | None) -> dict[str, Any]:
    target_status, control_props = _target_status(verdict, status)
    finding: dict[str, Any] = {
        "uuid": _uuid("finding", verdict.system_id, verdict.ref),
        "title": f"{verdict.system_id}: {verdict.ref} {verdict.title}",
        "description": "; ".join(verdict.reasons) or verdict.status.value,
        "props": _verdict_props(verdict) + control_props,
        "target": {"type": "objective-id", "target-id": target_token(verdict.ref),
                   "title": verdict.title, "status": target_status}}
    links = _links(verdict)
    if links:
        finding["links"] = links
    return finding


def _reported(verdicts: Iterable[ObligationVerdict]) -> list[ObligationVerdict]:
    """The obligations an export lists: in scope now or later, or undetermined."""
    return [v for v in verdicts if v.in_scope or v.status is Applicability.UNDETERMINED]


def _findings(outcome: ComplianceOutcome) -> list[dict[str, Any]]:
    statuses = {(s.verdict.system_id, s.verdict.ref): s for s in outcome.statuses or ()}
    return [_finding(v, statuses.get((v.system_id, v.ref))) for v in _reported(outcome.verdicts)]


def _control_selection(verdicts: Sequence[ObligationVerdict]) -> dict[str, Any]:
    targets = sorted({target_token(v.ref) for v in verdicts})
    selection: dict[str, Any] = {"description": "Requirements of the packaged and user "
                                 "frameworks found in scope or undetermined for some system"}
    if targets:
        selection["include-controls"] = [{"control-id": t} for t in targets]
    else:
        selection["include-all"] = {}
    return {"control-selections": [selection]}


def assessment_results(outcome: ComplianceOutcome, *, estate_name: str, as_of: date
                       ) -> dict[str, Any]:
    """An OSCAL assessment-results document: one result for the as-of date with one finding
    per system × obligation in scope or undetermined."""
    reported = _reported(outcome.verdicts)
    remarks = " ".join([DISCLAIMER, *outcome.caveats])
    result: dict[str, Any] = {
        "uuid": _uuid("result", estate_name, as_of.isoformat()),
        "title": f"Obligations on {as_of.isoformat()}",
        "description": f"Obligations, filings and certifications per system of {estate_name} "
                       f"across {len(outcome.library.frameworks)} frameworks, decided from the "
                       "estate's facts" + (" and assessed against declared controls"
                                           if outcome.statuses is not None else ""),
        "start": _stamp(as_of), "end": _stamp(as_of),
        "reviewed-controls": _control_selection(reported),
        "remarks": remarks}
    findings = _findings(outcome)
    if findings:
        result["findings"] = findings
    return {"assessment-results": {
        "uuid": _uuid("assessment-results", estate_name, as_of.isoformat()),
        "metadata": _metadata(f"StackRift obligations: {estate_name}", as_of, remarks),
        # no OSCAL assessment plan exists: the estate file stands in for it
        "import-ap": {"href": estate_name, "remarks": "No OSCAL assessment plan: the "
                      "obligations were derived from this StackRift estate file."},
        "results": [result]}}


def _plan_items(plan: PlanComparison, finding_of: dict[tuple[str, str], str]
                ) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for chosen in plan.joint.chosen:
        related = sorted({finding_of[n] for n in chosen.discharges if n in finding_of})
        item: dict[str, Any] = {
            "uuid": _uuid("poam-control", chosen.control_id),
            "title": f"Put control {chosen.control_id} in place",
            "description": f"Part of the cheapest control set: discharges "
                           f"{len(chosen.discharges)} obligation(s) across "
                           f"{len({r.split(':', 1)[0] for _, r in chosen.discharges})} "
                           "framework(s)",
            "props": [_prop("control", chosen.control_id), _prop("cost", str(chosen.cost)),
                      _prop("plan-status", plan.joint.status.value)]}
        if related:
            item["related-findings"] = [{"finding-uuid": u} for u in related]
        items.append(item)
    for why, needs in (("no declared control covers it", plan.joint.uncovered),
                       ("applicability undetermined: record the missing facts",
                        plan.undetermined)):
        for system_id, ref in needs:
            item = {"uuid": _uuid("poam-gap", system_id, ref),
                    "title": f"{system_id}: {ref} is not covered by the plan",
                    "description": why,
                    "props": [_prop("system", system_id), _prop("requirement", ref)]}
            if (system_id, ref) in finding_of:
                item["related-findings"] = [{"finding-uuid": finding_of[system_id, ref]}]
            items.append(item)
    return items


def plan_of_action(outcome: ComplianceOutcome, *, estate_name: str, as_of: date
                   ) -> dict[str, Any]:
    """An OSCAL plan of action and milestones: one item per control of the joint plan (linked to
    the obligations it discharges), one per obligation no control covers and one per obligation
    left undetermined; the findings are those of :func:`assessment_results`."""
    if outcome.plan is None:
        raise ComplianceError("a plan of action needs a control plan; expected a run with a "
                              "controls file")
    plan = outcome.plan
    findings = _findings(outcome)
    finding_of = {(v.system_id, v.ref): _uuid("finding", v.system_id, v.ref)
                  for v in _reported(outcome.verdicts)}
    proof = "all plans proven optimal" if plan.all_optimal else \
        "an estimate: not all plans proven optimal"
    remarks = " ".join([
        f"Joint plan cost {plan.joint.cost} against {plan.separate_cost} planned per framework "
        f"(saving {plan.saving}; {proof}).", DISCLAIMER, *outcome.caveats])
    items = _plan_items(plan, finding_of)
    document: dict[str, Any] = {
        "uuid": _uuid("poam", estate_name, as_of.isoformat()),
        "metadata": _metadata(f"StackRift control plan: {estate_name}", as_of, remarks),
        "system-id": {"identifier-type": "https://ietf.org/rfc/rfc4122",
                      "id": _uuid("system", estate_name)},
        "poam-items": items or [{"uuid": _uuid("poam-none"), "title": "Nothing to do",
                                 "description": "no obligation is in scope"}]}
    if findings:
        document["findings"] = findings
    return {"plan-of-action-and-milestones": document}
