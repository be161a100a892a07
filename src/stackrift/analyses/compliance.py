"""The compliance analysis: obligations, filings and certifications per system across regimes.

One finding per system × binding requirement (law, mandatory standard) that applies now or from
a later date, with the framework's and the date rule's citations; one per system × voluntary
framework listing its requirements; requirements whose applicability depends on a fact
the estate does not record are findings of severity ``unknown`` naming those facts (grouped per
system, framework and missing facts, every requirement listed), never dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from stackrift.analyses.base import AnalysisContext, AnalysisResult, register
from stackrift.compliance.engine import (
    Applicability,
    MetStatus,
    ObligationStatus,
    ObligationVerdict,
)
from stackrift.compliance.model import Binding, RequirementKind
from stackrift.compliance.views import DISCLAIMER, run_compliance, summary_tables
from stackrift.estate.loader import LoadedEstate
from stackrift.findings import Finding, Severity, Subject, SubjectKind, finding_id
from stackrift.summaries import summary_json

NAME = "compliance"


@dataclass(frozen=True, kw_only=True)
class ComplianceOptions:
    """What ``assess`` passes the compliance analysis: extra framework folders, a controls
    file (status of each obligation and the control plan), and the OSCAL catalogue folder."""

    frameworks: tuple[Path, ...] = ()
    controls: Path | None = None
    oscal_dir: Path | None = None


_BINDING = (Binding.LAW, Binding.MANDATORY_STANDARD)
# Duties owed to an authority (filings, conformity assessments) and prohibitions weigh more than
# process obligations; voluntary frameworks' controls and outcomes are for information.
_WEIGHTY = (RequirementKind.FILING, RequirementKind.CERTIFICATION, RequirementKind.PROHIBITION)
_STEP_UP = {Severity.INFO: Severity.LOW, Severity.LOW: Severity.MEDIUM,
            Severity.MEDIUM: Severity.HIGH, Severity.HIGH: Severity.HIGH}


def base_severity(verdict: ObligationVerdict) -> Severity:
    """How much an applicable requirement weighs when nothing is known of its controls."""
    if verdict.binding not in _BINDING:
        return Severity.INFO
    return Severity.MEDIUM if verdict.kind in _WEIGHTY else Severity.LOW


def _severity(verdict: ObligationVerdict, status: ObligationStatus | None) -> Severity:
    base = base_severity(verdict)
    if status is None:
        return base
    if status.status is MetStatus.MET:
        return Severity.INFO
    # missing a binding duty is one step worse than not knowing; partly met stays at the base
    return _STEP_UP[base] if status.status is MetStatus.MISSING else base


def _subject(system_id: str) -> Subject:
    return Subject(kind=SubjectKind.SYSTEM, id=system_id)


def _evidence(verdict: ObligationVerdict) -> dict[str, Any]:
    return {"requirement": verdict.ref, "framework": verdict.framework_id,
            "jurisdiction": verdict.jurisdiction, "binding": verdict.binding.value,
            "kind": verdict.kind.value, "status": verdict.status.value,
            "applies_from": verdict.applies_from.isoformat() if verdict.applies_from else None,
            "trace": list(verdict.reasons)}


def _in_scope_finding(verdict: ObligationVerdict, status: ObligationStatus | None) -> Finding:
    future = verdict.status is Applicability.FUTURE
    start = verdict.applies_from.isoformat() if verdict.applies_from else None
    evidence = _evidence(verdict)
    rule = "obligation-future" if future else "obligation-applies"
    if status is not None:
        evidence |= {"controls": status.status.value, "met_by": list(status.met_by),
                     "partly_by": list(status.partly_by), "evidence": list(status.evidence)}
        rule = f"obligation-{status.status.value}"
    severity = (Severity.LOW if verdict.binding in _BINDING else Severity.INFO) if future \
        else _severity(verdict, status)
    when = f"from {start}" if future else "now"
    return Finding(
        id=finding_id(NAME, "obligation", verdict.system_id, verdict.ref), analysis=NAME,
        rule=rule, severity=severity,
        title=(f"System {verdict.system_id}: {verdict.kind.value} {verdict.ref} applies {when}"
               f" ({verdict.title})" + (f"; controls: {status.status.value}" if status else "")),
        subject=_subject(verdict.system_id), evidence=evidence, citations=verdict.citations,
        recommendation=None if status is not None and status.status is MetStatus.MET else
        f"plan and evidence {verdict.ref}" + (f" before {start}" if future else ""))


def _voluntary_findings(verdicts: Sequence[ObligationVerdict],
                        statuses: dict[tuple[str, str], ObligationStatus]) -> list[Finding]:
    """Voluntary frameworks and guidance: one finding per system and framework, listing every
    requirement in scope (a NIST AI RMF system would otherwise give 72 findings)."""
    groups: dict[tuple[str, str], list[ObligationVerdict]] = {}
    for v in verdicts:
        if v.in_scope and v.binding not in _BINDING:
            groups.setdefault((v.system_id, v.framework_id), []).append(v)
    findings = []
    for (system_id, framework_id), group in sorted(groups.items()):
        found = [statuses.get((v.system_id, v.ref)) for v in group]
        known = [s for s in found if s is not None]
        counts = {m.value: sum(s.status is m for s in known) for m in MetStatus}
        severity = max((_severity(v, s) for v, s in zip(group, found, strict=True)),
                       key=lambda s: s.rank)
        evidence: dict[str, Any] = {
            "framework": framework_id, "binding": group[0].binding.value,
            "requirements": [v.ref for v in group], "trace": list(group[0].reasons)}
        if known:
            evidence |= {"controls": counts,
                         "missing": [s.verdict.ref for s in known
                                     if s.status is MetStatus.MISSING]}
        findings.append(Finding(
            id=finding_id(NAME, "framework-applies", system_id, framework_id), analysis=NAME,
            rule="framework-applies", severity=severity,
            title=(f"System {system_id}: {len(group)} requirement(s) of {framework_id} apply"
                   + (f"; controls: {counts['met']} met, {counts['partial']} partly, "
                      f"{counts['missing']} missing" if known else "")),
            subject=_subject(system_id), evidence=evidence,
            citations=tuple(dict.fromkeys(c for v in group for c in v.citations)),
            recommendation=None if known and not counts["missing"] else
            f"map {framework_id}'s requirements to controls and evidence"))
    return findings


def _undetermined_findings(verdicts: Sequence[ObligationVerdict]) -> list[Finding]:
    groups: dict[tuple[str, str, tuple[str, ...]], list[ObligationVerdict]] = {}
    for v in verdicts:
        if v.status is Applicability.UNDETERMINED:
            groups.setdefault((v.system_id, v.framework_id, v.missing), []).append(v)
    findings = []
    for (system_id, framework_id, missing), group in sorted(groups.items()):
        facts = ", ".join(missing) or "a fact"
        refs = [v.ref for v in group]
        citations = tuple(dict.fromkeys(c for v in group for c in v.citations))
        # An unknown fact can hide a legal duty, so binding frameworks fail closed; whether a
        # voluntary framework applies is the owner's choice, so not knowing it hides no duty.
        binding = group[0].binding in _BINDING
        findings.append(Finding(
            id=finding_id(NAME, "obligation-undetermined", system_id, framework_id, *missing),
            analysis=NAME, rule="obligation-undetermined",
            severity=Severity.UNKNOWN if binding else Severity.INFO,
            title=(f"System {system_id}: {len(refs)} requirement(s) of {framework_id} may apply;"
                   f" the estate does not record {facts}"),
            subject=_subject(system_id),
            evidence={"framework": framework_id, "binding": group[0].binding.value,
                      "missing_facts": list(missing),
                      "requirements": refs, "trace": list(group[0].reasons)},
            citations=citations,
            recommendation=f"record {facts} on the system; until then treat these as applying"))
    return findings


@register
class ComplianceAnalysis:
    """Applies every framework's applicability conditions to every system."""

    name: ClassVar[str] = NAME
    title: ClassVar[str] = "Certification and AI obligations"
    order: ClassVar[int] = 60

    def run(self, estate: LoadedEstate, context: AnalysisContext) -> AnalysisResult:
        options = context.options_for(ComplianceOptions)
        outcome = run_compliance(estate.estate, context.as_of, frameworks=options.frameworks,
                                 controls=options.controls, oscal_dir=options.oscal_dir,
                                 with_plan=options.controls is not None)
        statuses = {(s.verdict.system_id, s.verdict.ref): s for s in outcome.statuses or ()}
        findings = [_in_scope_finding(v, statuses.get((v.system_id, v.ref)))
                    for v in outcome.verdicts if v.in_scope and v.binding in _BINDING]
        findings += _voluntary_findings(outcome.verdicts, statuses)
        findings += _undetermined_findings(outcome.verdicts)
        summary: dict[str, Any] = {
            "disclaimer": DISCLAIMER, "caveats": list(outcome.caveats),
            "frameworks": [{"id": f.id, "version": f.version, "jurisdiction": f.jurisdiction,
                            "binding": f.binding.value} for f in outcome.library.frameworks],
            **summary_json(tables=summary_tables(outcome))}
        return AnalysisResult(tuple(findings), summary)
