"""The executive summary: what to do first, and what changed since a previous report.

Top risks group findings of one kind (analysis and rule), so that one vulnerable library used by
nine systems is one risk affecting nine systems rather than nine lines. Risks are ranked by
severity, then by the criticality of the systems they hit, then by how many systems and findings.
The comparison with a baseline reads a previous JSON report by finding id, so it works across
versions of the tool as long as ids stay stable (they are built from analysis, rule and subject).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from stackrift.errors import InvalidInputError, json_syntax_error
from stackrift.findings import Finding, Severity, SubjectKind
from stackrift.report.model import BaselineChanges, EstateIndex, Report

TOP_RISKS = 10
_CRITICALITY_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}
_BASELINE_LIMIT = 256 * 1024 * 1024


@dataclass(frozen=True)
class TopRisk:
    """One line of the executive summary: a kind of finding, its reach and the first action."""

    severity: Severity
    headline: str
    action: str | None
    analysis: str
    rule: str
    finding_ids: tuple[str, ...]
    systems: tuple[str, ...]
    """Systems hit, most critical first."""

    @property
    def sentence(self) -> str:
        """The risk and its action as one sentence."""
        text = self.headline.rstrip(".")
        if self.action:
            text += f" — {_first_sentence(self.action)}"
        return text if text.endswith((".", "?", "!", "…")) else text + "."


ACTION_CHARS = 180


def _first_sentence(text: str) -> str:
    """The first sentence of a recommendation, cut at a clause when long (the evidence has all)."""
    head, dot, _ = text.strip().partition(". ")
    head += "." if dot else ""
    if len(head) <= ACTION_CHARS:
        return head
    clause = head.rfind("; ", 0, ACTION_CHARS)
    cut = clause if clause > ACTION_CHARS // 3 else head.rfind(" ", 0, ACTION_CHARS)
    return head[: cut if cut > 0 else ACTION_CHARS].rstrip(",;: ") + " …"


def systems_hit(finding: Finding, index: EstateIndex) -> set[str]:
    """The systems a finding concerns: its subject (or the systems using it) and related systems.

    Related sites and entities are not expanded: a flow's finding names both ends' sites, and
    every system at those sites is not thereby hit.
    """
    subject = finding.subject
    if subject.kind is SubjectKind.SYSTEM:
        hit = {subject.id}
    else:
        hit = set(index.systems_of.get(f"{subject.kind.value}:{subject.id}", ()))
    hit.update(s.id for s in finding.related if s.kind is SubjectKind.SYSTEM)
    return hit


def top_risks(report: Report, limit: int = TOP_RISKS) -> tuple[TopRisk, ...]:
    """At most ``limit`` risks above info, most urgent first."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in report.findings:
        if finding.severity.rank > Severity.INFO.rank:
            groups.setdefault((finding.analysis, finding.rule), []).append(finding)
    risks = [_risk(findings, report.index) for findings in groups.values()]
    risks.sort(key=lambda r: _urgency(r, report.index))
    return tuple(risks[:limit])


def _risk(findings: list[Finding], index: EstateIndex) -> TopRisk:
    worst = findings[0]  # report.findings is sorted most severe first
    systems: set[str] = set()
    for finding in findings:
        systems |= systems_hit(finding, index)
    ordered = sorted(systems, key=lambda s: (-_CRITICALITY_RANK.get(index.criticality.get(s, ""),
                                                                     0), s))
    headline = worst.title
    if len(findings) > 1:
        headline += f" (and {len(findings) - 1} more of this kind)"
    if ordered:
        shown = ", ".join(ordered[:4]) + (f" and {len(ordered) - 4} more" if len(ordered) > 4
                                          else "")
        headline += f"; {len(ordered)} system{'s' if len(ordered) != 1 else ''} hit: {shown}"
    action = next((f.recommendation for f in findings if f.recommendation), None)
    return TopRisk(worst.severity, headline, action, worst.analysis, worst.rule,
                   tuple(f.id for f in findings), tuple(ordered))


def _urgency(risk: TopRisk, index: EstateIndex) -> tuple[int, int, int, int, str]:
    """Sort key, most urgent first; ties go to the first finding id so the order is stable."""
    criticality = max((_CRITICALITY_RANK.get(index.criticality.get(s, ""), 0)
                       for s in risk.systems), default=0)
    return (-risk.severity.rank, -criticality, -len(risk.systems), -len(risk.finding_ids),
            risk.finding_ids[0])


def load_baseline(path: Path) -> dict[str, str]:
    """Finding id → severity from a JSON report written by ``assess --format json``."""
    where = "a JSON report written by 'stackrift assess --format json'"
    try:
        with path.open("rb") as handle:
            raw = handle.read(_BASELINE_LIMIT + 1)
    except OSError as exc:
        raise InvalidInputError.single(path, f"cannot read the baseline ({exc.strerror})",
                                       where) from exc
    if len(raw) > _BASELINE_LIMIT:
        raise InvalidInputError.single(path, f"baseline larger than {_BASELINE_LIMIT} bytes",
                                       where)
    try:
        document: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise json_syntax_error(path, exc, "baseline is not valid JSON ({reason})", where) from None
    return severities_of_report(document, str(path))


def severities_of_report(document: Any, source: str) -> dict[str, str]:
    """Finding id → severity from a parsed JSON report."""
    where = "a JSON report written by 'stackrift assess --format json'"
    findings = document.get("findings") if isinstance(document, dict) else None
    if not isinstance(findings, list):
        raise InvalidInputError.single(source, "baseline has no 'findings' list", where)
    severities: dict[str, str] = {}
    for number, item in enumerate(findings):
        if not (isinstance(item, dict) and isinstance(item.get("id"), str)
                and isinstance(item.get("severity"), str)):
            raise InvalidInputError.single(
                source, f"baseline findings[{number}] has no string 'id' and 'severity'", where)
        severities[item["id"]] = item["severity"]
    return severities


def compare_with_baseline(findings: Iterable[Finding], baseline: Mapping[str, str],
                          source: str) -> BaselineChanges:
    """Findings new since the baseline, gone since it, and those whose severity changed."""
    return compare_severities({f.id: f.severity.value for f in findings}, baseline, source)


def compare_severities(current: Mapping[str, str], baseline: Mapping[str, str],
                       source: str) -> BaselineChanges:
    """The same comparison over finding id → severity maps (two stored JSON reports)."""
    added = tuple(sorted(i for i in current if i not in baseline))
    resolved = tuple(sorted(i for i in baseline if i not in current))
    changed = tuple(sorted((i, baseline[i], severity) for i, severity in current.items()
                           if i in baseline and baseline[i] != severity))
    return BaselineChanges(source, added, resolved, changed)
