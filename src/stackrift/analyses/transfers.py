"""The transfers analysis: every data flow's verdict under every regime's rule pack."""

from __future__ import annotations

from typing import Any, ClassVar

from stackrift.analyses.base import AnalysisContext, AnalysisResult, register
from stackrift.estate.implied import is_implied, with_implied_flows
from stackrift.estate.loader import LoadedEstate
from stackrift.findings import Finding, Severity, Subject, SubjectKind, finding_id
from stackrift.rules.engine import DISCLAIMER, FlowVerdict, SubjectVerdict
from stackrift.rules.loader import RuleSet
from stackrift.rules.model import Verdict
from stackrift.rules.views import evaluate_all, matrix, sources_json
from stackrift.summaries import Heatmap, Table, summary_json

NAME = "transfers"
_BY_RANK = [v.value for v in Verdict]  # a cell's worst rank, as the verdict it stands for


def _flow_findings(verdict: FlowVerdict, rules: RuleSet, name: str | None) -> list[Finding]:
    subject = Subject(kind=SubjectKind.DATA_FLOW, id=verdict.flow_id, name=name)
    evidence: dict[str, Any] = {
        "origin": verdict.origin, "destination": verdict.destination,
        "verdict": verdict.verdict.value, "regimes": list(verdict.regimes),
        "mechanisms_required": list(verdict.mechanisms_required),
        "mechanisms_missing": list(verdict.mechanisms_missing),
        "rules_fired": list(verdict.rules_fired), "trace": list(verdict.trace),
        "rules_undetermined": list(verdict.rules_undetermined),
        "missing_facts": list(verdict.missing_facts),
        "rules_holding": list(verdict.rules_holding)}
    if is_implied(verdict.flow_id):
        evidence["implied"] = "not declared: the data of the system's users reaching its site"
    findings: list[Finding] = []
    route = f"{verdict.origin or '?'} → {verdict.destination or '?'}"
    fired = [r for r in (rules.rule(i) for i in verdict.rules_fired) if r is not None]
    if verdict.verdict is Verdict.PROHIBITED:
        outright = [r.id for r in fired if r.outcome is Verdict.PROHIBITED]
        # Without a mechanism: high when a verified rule demands it, medium when only this
        # pack's unverified reading does (e.g. intra-group access as a restricted transaction).
        gated = [r for r in fired if r.if_missing == "prohibited" and r.mechanisms
                 and set(verdict.mechanisms_missing) & {m for s in r.mechanisms for m in s.all_of}]
        verified_gate = any(r.confidence.value == "verified" for r in gated)
        severity = (Severity.CRITICAL if outright else
                    Severity.HIGH if verified_gate or not gated else Severity.MEDIUM)
        why = (f"prohibited by {', '.join(outright)}" if outright else
               f"prohibited unless {', '.join(verdict.mechanisms_missing)} is in place")
        findings.append(Finding(
            id=finding_id(NAME, "prohibited-flow", verdict.flow_id), analysis=NAME,
            rule="prohibited-flow", severity=severity,
            title=f"Data flow {verdict.flow_id} ({route}) is {why}", subject=subject,
            evidence=evidence, citations=verdict.citations,
            recommendation=("stop the flow or restructure it (in-region processing, anonymisation "
                            "before transfer, a different recipient)" if outright else
                            f"put {', '.join(verdict.mechanisms_missing)} in place before any "
                            "transfer, or stop the flow")))
    elif verdict.mechanisms_missing:
        verified = any(r.mechanisms and r.confidence.value == "verified" for r in fired)
        findings.append(Finding(
            id=finding_id(NAME, "missing-mechanism", verdict.flow_id), analysis=NAME,
            rule="missing-mechanism", severity=Severity.HIGH if verified else Severity.MEDIUM,
            title=(f"Data flow {verdict.flow_id} ({route}) lacks "
                   f"{', '.join(verdict.mechanisms_missing)}"),
            subject=subject, evidence=evidence, citations=verdict.citations,
            recommendation=f"put in place: {', '.join(verdict.mechanisms_missing)}; then: "
                           + "; ".join(verdict.obligations[:4])))
    if verdict.verdict is Verdict.UNDETERMINED:
        findings.append(_undetermined_finding(verdict, rules, subject, evidence, route))
    elif verdict.rules_undetermined:
        findings.append(Finding(
            id=finding_id(NAME, "undetermined-rule", verdict.flow_id), analysis=NAME,
            rule="undetermined-rule", severity=Severity.LOW,
            title=(f"Data flow {verdict.flow_id}: the estate does not say enough to decide "
                   f"{', '.join(verdict.rules_undetermined)}"),
            subject=subject, evidence=evidence,
            citations=tuple(r.cited() for r in (rules.rule(i) for i in verdict.rules_undetermined)
                            if r is not None),
            recommendation="record the missing facts (subject counts, subjects' countries, "
                           "purpose, owning entity) on the flow"))
    return findings


def _undetermined_finding(verdict: FlowVerdict, rules: RuleSet, subject: Subject,
                          evidence: dict[str, Any], route: str) -> Finding:
    """A flow that a prohibiting or restricting rule may catch, had the estate said more: not
    lawful until the missing facts are recorded (high when a verified rule is at stake)."""
    deciding = [r for r in (rules.rule(i) for i in verdict.rules_holding) if r is not None]
    verified = any(r.confidence.value == "verified" for r in deciding)
    facts = ", ".join(verdict.missing_facts) or "the missing facts"
    return Finding(
        id=finding_id(NAME, "undetermined-flow", verdict.flow_id), analysis=NAME,
        rule="undetermined-flow", severity=Severity.HIGH if verified else Severity.MEDIUM,
        title=(f"Data flow {verdict.flow_id} ({route}) is undetermined: the estate does not "
               f"record {facts}, on which {', '.join(r.id for r in deciding)} depends"),
        subject=subject, evidence=evidence, citations=verdict.citations,
        recommendation=(f"record {facts} on the flow; until then treat it as not lawful "
                        "(a rule that may prohibit it or demand a mechanism is undecided)"))


def _subject_findings(verdict: SubjectVerdict, rules: RuleSet) -> list[Finding]:
    if verdict.verdict is Verdict.NOT_APPLICABLE or not verdict.rules_fired:
        return []
    kind = SubjectKind.SYSTEM if verdict.kind.value == "system" else SubjectKind.SITE
    prohibited = verdict.verdict is Verdict.PROHIBITED
    return [Finding(
        id=finding_id(NAME, f"{verdict.kind.value}-obligations", verdict.subject_id),
        analysis=NAME, rule=f"{verdict.kind.value}-obligations",
        severity=Severity.CRITICAL if prohibited else Severity.INFO,
        title=(f"{verdict.kind.value.capitalize()} {verdict.subject_id}: "
               f"{'prohibited' if prohibited else 'obligations'} under "
               f"{', '.join(verdict.regimes) or 'no regime'} "
               f"({len(verdict.rules_fired)} rules)"),
        subject=Subject(kind=kind, id=verdict.subject_id),
        evidence={"verdict": verdict.verdict.value, "rules_fired": list(verdict.rules_fired),
                  "obligations": list(verdict.obligations), "trace": list(verdict.trace)},
        citations=verdict.citations,
        recommendation="; ".join(verdict.obligations[:6]) or None)]


@register
class TransfersAnalysis:
    """Applies the rule packs to every data flow, system and site."""

    name: ClassVar[str] = NAME
    title: ClassVar[str] = "Cross-border data transfers"
    order: ClassVar[int] = 30

    def run(self, estate: LoadedEstate, context: AnalysisContext) -> AnalysisResult:
        rules = context.rule_set()
        # Users' data reaching each system's site is judged like a declared flow, marked implied.
        judged = with_implied_flows(estate.estate)
        result = evaluate_all(judged, context.as_of, rules)
        names = {f.id: f.name for f in judged.data_flows}
        findings = [f for v in result.flows for f in _flow_findings(v, rules, names.get(v.flow_id))]
        findings += [f for v in (*result.systems, *result.sites)
                     for f in _subject_findings(v, rules)]
        origins, destinations, cells, values = matrix(result.flows)
        flow_rows = [[f"{v.flow_id} (implied)" if is_implied(v.flow_id) else v.flow_id,
                      v.origin, v.destination, v.verdict.value,
                      ", ".join(v.regimes), ", ".join(v.mechanisms_missing) or "none",
                      ", ".join(v.rules_fired), "; ".join(str(c) for c in v.citations)]
                     for v in result.flows]
        system_rows = [[v.kind.value, v.subject_id, v.verdict.value, ", ".join(v.rules_fired),
                        "; ".join(v.obligations)]
                       for v in (*result.systems, *result.sites) if v.rules_fired]
        summary: dict[str, Any] = {
            "disclaimer": DISCLAIMER,
            "sources": sources_json(rules),
            "verdict_scale": {v.value: v.rank for v in Verdict},
            **summary_json(
                charts=[Heatmap(
                    "Data-flow verdicts, origin × destination "
                    "(0 not applicable, 1 allowed, 2 allowed with, 3 prohibited)",
                    tuple(destinations), tuple(origins), tuple(tuple(row) for row in values),
                    tuple(tuple(row) for row in cells),
                    tuple(tuple(None if rank is None else _BY_RANK[rank] for rank in row)
                          for row in values))],
                tables=[
                    Table.of("Data flows", ["flow", "origin", "destination", "verdict",
                                            "regimes", "missing mechanisms", "rules fired",
                                            "citations"], flow_rows),
                    Table.of("System and site obligations",
                             ["kind", "id", "verdict", "rules fired", "obligations"],
                             system_rows),
                    Table.of("Sources (rule packs; not legal advice)",
                             ["pack", "version", "rules", "file"],
                             [[p.pack.pack, p.pack.version, len(p.pack.rules), p.path]
                              for p in rules.packs]),
                ]),
        }
        return AnalysisResult(tuple(findings), summary)
