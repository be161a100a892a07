"""The conflicts analysis: obligations of two regimes on one object that cannot both be met."""

from __future__ import annotations

from typing import Any, ClassVar

from stackrift.analyses.base import AnalysisContext, AnalysisResult, register
from stackrift.estate.loader import LoadedEstate
from stackrift.findings import Finding, Severity, Subject, SubjectKind, finding_id
from stackrift.rules.engine import DISCLAIMER, ConflictHit, detect_conflicts
from stackrift.summaries import Table, summary_json

NAME = "conflicts"
_KINDS = {"flow": SubjectKind.DATA_FLOW, "system": SubjectKind.SYSTEM, "site": SubjectKind.SITE,
          "data_flow": SubjectKind.DATA_FLOW, "entity": SubjectKind.ENTITY}


def _finding(hit: ConflictHit) -> Finding:
    return Finding(
        id=finding_id(NAME, hit.conflict_id, hit.kind.value, hit.subject_id), analysis=NAME,
        rule=hit.conflict_id, severity=Severity(hit.severity),
        title=f"{hit.title}: {hit.kind.value} {hit.subject_id}",
        subject=Subject(kind=_KINDS[hit.kind.value], id=hit.subject_id),
        related=tuple(Subject(kind=_KINDS[k], id=i) for k, i in hit.related),
        evidence={"sides": [{"regime": r, "demand": d, "citation": str(c)}
                            for r, d, c in zip(hit.regimes, hit.demands, hit.citations,
                                               strict=True)],
                  "why": hit.why, "resolutions": list(hit.resolutions),
                  "confidence": hit.confidence, "trace": list(hit.trace)},
        citations=hit.citations,
        recommendation="; or ".join(hit.resolutions))


@register
class ConflictsAnalysis:
    """Finds objects where obeying one regime breaks another."""

    name: ClassVar[str] = NAME
    title: ClassVar[str] = "Regulatory conflicts"
    order: ClassVar[int] = 40

    def run(self, estate: LoadedEstate, context: AnalysisContext) -> AnalysisResult:
        rules = context.rule_set()
        hits = detect_conflicts(estate.estate, context.as_of, rules)
        rows: list[list[Any]] = [
            [h.title, f"{h.kind.value} {h.subject_id}", " vs ".join(h.regimes),
             str(h.citations[0]), str(h.citations[1]),
             ", ".join(f"{k} {i}" for k, i in h.related), " | ".join(h.resolutions)]
            for h in hits]
        summary: dict[str, Any] = {
            "disclaimer": DISCLAIMER,
            **summary_json(tables=[Table.of(
                "Conflicts between regimes",
                ["conflict", "object", "regimes", "citation (side 1)", "citation (side 2)",
                 "objects involved", "resolutions"], rows)]),
        }
        return AnalysisResult(tuple(_finding(h) for h in hits), summary)
