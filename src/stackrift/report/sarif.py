"""SARIF 2.1.0 output, for code-scanning dashboards: results located in the estate file.

One run; one rule per distinct (analysis, rule) pair; each finding's stable id is its partial
fingerprint, so dashboards track a finding across runs even when lines move. A run holding more
results than GitHub code scanning keeps says so in a tool notification (and the CLI on standard
error): a dashboard showing the 5,000 most severe of 60,000 results must not look complete.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import cache, partial
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

from stackrift.errors import Location
from stackrift.findings import Citation, Finding, Severity, gated_severity
from stackrift.jsonpieces import list_in_pieces
from stackrift.report._view import citation_text, safe_url
from stackrift.report.base import register
from stackrift.report.json_format import dumps, dumps_bytes, finding_document
from stackrift.report.markdown import md
from stackrift.report.model import Report

SARIF_SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                "sarif-schema-2.1.0.json")
INFORMATION_URI = "https://stackrift.dev"

# GitHub code scanning's limits on one SARIF run ("SARIF results exceed one or more limits",
# https://docs.github.com/en/code-security/code-scanning/troubleshooting-sarif-uploads/results-exceed-limit,
# checked 2026-12-05): the 5,000 most severe results are kept; a run of more than 25,000 is
# rejected.
GITHUB_KEPT_RESULTS = 5_000
GITHUB_ACCEPTED_RESULTS = 25_000
GITHUB_LIMITS_URI = ("https://docs.github.com/en/code-security/code-scanning/"
                     "troubleshooting-sarif-uploads/results-exceed-limit")

LEVELS: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.UNKNOWN: "warning",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub code scanning ranks security results by this CVSS-like score (a string by convention).
SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.UNKNOWN: "5.5",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}


def rule_id(finding: Finding) -> str:
    """The SARIF rule id of a finding: ``analysis/rule``."""
    return f"{finding.analysis}/{finding.rule}"


def artifact_uri(path: str, cwd: Path | None = None) -> str:
    """The estate file as a URI reference: relative to ``cwd`` when inside it, else ``file://``."""
    base = (cwd or Path.cwd()).resolve()
    file = Path(path)
    absolute = (file if file.is_absolute() else base / file).resolve()
    try:
        return quote(absolute.relative_to(base).as_posix())
    except ValueError:
        return absolute.as_uri()


def _citation_text(citation: Citation, *, markdown: bool = False) -> str:
    text = md(citation_text(citation)) if markdown else citation_text(citation)
    url = safe_url(citation.url)  # only http(s): a javascript: URL must not become a link
    if url:
        text += f" <{url}>"
    if citation.in_force_from:
        text += f", in force from {citation.in_force_from}"
    if citation.in_force_until:
        text += f" until {citation.in_force_until}"
    return text


def _rule(rid: str, findings: list[Finding], unknown_as: Severity) -> dict[str, Any]:
    first = findings[0]
    # levels follow the gate: an unknown severity is reported as what it counts as
    worst = max((gated_severity(f.severity, unknown_as) for f in findings), key=lambda s: s.rank)
    cited = {c for f in findings for c in f.citations}
    readable = first.rule.replace("-", " ").replace("_", " ")
    short = f"{readable[:1].upper()}{readable[1:]} ({first.analysis} analysis)"

    def help_text(markdown: bool) -> str:
        # Recommendations name estate objects, so they belong to each result, not to the rule.
        lines = [f"{short}. Each result gives its evidence and what to do."]
        citations = sorted(_citation_text(c, markdown=markdown) for c in cited)
        if citations:
            lines += ["", "Sources cited by these results:", *(f"- {c}" for c in citations)]
        return "\n".join(lines)

    return {
        "id": rid,
        "name": "".join(part.capitalize() for part in rid.replace("/", "-").split("-") if part),
        "shortDescription": {"text": short},
        "help": {"text": help_text(markdown=False), "markdown": help_text(markdown=True)},
        "helpUri": INFORMATION_URI,
        "defaultConfiguration": {"level": LEVELS[worst]},
        "properties": {"tags": ["stackrift", first.analysis],
                       "security-severity": SECURITY_SEVERITY[worst]},
    }


def _location(finding: Finding, location: Location | None, uri: str,
              uri_of: Callable[[str], str]) -> dict[str, Any]:
    # Normally the estate file; an analysis may locate a finding in another file (e.g. an SBOM).
    where = uri_of(location.file) if location is not None and location.file else uri
    physical: dict[str, Any] = {"artifactLocation": {"uri": where}}
    if location is not None and location.line > 0:
        physical["region"] = {"startLine": location.line,
                              "startColumn": max(location.column, 1)}
    subject = finding.subject
    return {"physicalLocation": physical,
            "logicalLocations": [{"name": subject.id, "kind": subject.kind.value,
                                  "fullyQualifiedName": f"{subject.kind.value}/{subject.id}"}]}


def _result(finding: Finding, index: int, report: Report, uri: str,
            uri_of: Callable[[str], str]) -> dict[str, Any]:
    document = finding_document(finding, report.locations.get(finding.id))
    text = f"{finding.title} [{finding.subject}]"
    if finding.recommendation:
        text += f" Recommendation: {finding.recommendation}"
    return {
        "ruleId": rule_id(finding),
        "ruleIndex": index,
        "level": LEVELS[gated_severity(finding.severity, report.unknown_as)],
        "message": {"text": text},
        "locations": [_location(finding, report.locations.get(finding.id), uri, uri_of)],
        "partialFingerprints": {"stackriftFindingId/v1": finding.id},
        "properties": {
            "severity": finding.severity.value,
            "analysis": finding.analysis,
            "subject": document["subject"],
            "evidence": document["evidence"],
            "citations": document["citations"],
        },
    }


def github_limit_note(count: int) -> str | None:
    """What GitHub code scanning would do with a run of ``count`` results, when it would not
    keep them all; ``None`` when it would."""
    if count <= GITHUB_KEPT_RESULTS:
        return None
    fate = (f"rejects a run of more than {GITHUB_ACCEPTED_RESULTS:,} results"
            if count > GITHUB_ACCEPTED_RESULTS else
            f"keeps only the {GITHUB_KEPT_RESULTS:,} most severe results of a run")
    return (f"this SARIF run holds {count:,} result{'' if count == 1 else 's'}: GitHub code "
            f"scanning {fate} "
            f"({GITHUB_LIMITS_URI}); the JSON report lists every finding")


def _grouped(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(rule_id(finding), []).append(finding)
    return dict(sorted(groups.items()))


def sarif_document(report: Report, cwd: Path | None = None) -> dict[str, Any]:
    """The SARIF log as a dictionary."""
    run, _count, results = _run_parts(report, cwd)
    return _log(report, run, list(results))


def sarif_pieces(report: Report, cwd: Path | None = None) -> Iterator[bytes]:
    """:func:`sarif_document` as the renderer writes it (UTF-8), in pieces: results are built
    and serialised a thousand at a time, so the log of a large scan (10^4–10^5 results) is
    never held whole, as objects or as text."""
    run, count, results = _run_parts(report, cwd)
    yield from list_in_pieces(partial(_log, report, run), ("runs", 0, "results"), results,
                              count, dumps_bytes)
    yield b"\n"


def _run_parts(report: Report, cwd: Path | None
               ) -> tuple[dict[str, Any], int, Iterator[dict[str, Any]]]:
    """The run's rules and artifacts, the number of its results, and the results as they are
    made."""
    findings = report.findings  # sorted on each reading
    groups = _grouped(findings)
    index = {rid: i for i, rid in enumerate(groups)}
    uri = artifact_uri(report.estate.path, cwd)
    # each file's URI once: resolving a path asks the file system (a scan's report locates
    # 10^4 findings in one SBOM)
    uri_of = cache(partial(artifact_uri, cwd=cwd))
    located = {uri}
    for finding in findings:
        location = report.locations.get(finding.id)
        located.add(uri_of(location.file) if location is not None and location.file else uri)
    run: dict[str, Any] = {
        "rules": [_rule(rid, fs, report.unknown_as) for rid, fs in groups.items()],
        "artifacts": [{"location": {"uri": u}, "roles": ["analysisTarget"]}
                      for u in sorted(located)]}
    limit = github_limit_note(len(findings))
    if limit is not None:
        run["invocations"] = [{"executionSuccessful": True, "toolExecutionNotifications": [{
            "descriptor": {"id": "github-code-scanning-result-limits"},
            "level": "error" if len(findings) > GITHUB_ACCEPTED_RESULTS else "warning",
            "message": {"text": limit}}]}]
    results = (_result(f, index[rule_id(f)], report, uri, uri_of) for f in findings)
    return run, len(findings), results


def _log(report: Report, run: dict[str, Any], results: list[Any]) -> dict[str, Any]:
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "stackrift",
                "version": report.tool_version,
                "semanticVersion": report.tool_version,
                "informationUri": INFORMATION_URI,
                "rules": run["rules"],
            }},
            **({"invocations": run["invocations"]} if "invocations" in run else {}),
            "artifacts": run["artifacts"],
            "results": results,
            "columnKind": "unicodeCodePoints",
            "properties": {"as_of": report.as_of, "catalogue_version": report.catalogue_version,
                           "knowledge": report.knowledge.to_json() if report.knowledge else None,
                           "fail_on": report.fail_on.value,
                           "organisation": report.estate.organisation},
        }],
    }


@register
class SarifRenderer:
    """``--format sarif``: SARIF 2.1.0 for code-scanning tools."""

    format: ClassVar[str] = "sarif"
    extension: ClassVar[str] = "sarif"

    def render(self, report: Report) -> str:
        return dumps(sarif_document(report))
