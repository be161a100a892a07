"""Known vulnerabilities in the estate's components and referenced SBOMs, across Western and
Chinese vulnerability databases.

Reads advisories through the context's advisory source (by default the store at ``--db``, else
the default store; an absent store is made from the packaged starter pack, with a caveat).
Options: :class:`VulnerabilityOptions` (VEX documents and a waivers file).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from stackrift.analyses.base import AnalysisContext, AnalysisResult, register
from stackrift.findings import Citation, Finding, Subject, SubjectKind, finding_id

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date

    from stackrift.advisories.matcher import Match, Target
    from stackrift.advisories.scan import ScanResult
    from stackrift.advisories.sources import AdvisorySource
    from stackrift.bom.base import BomDocument
    from stackrift.catalog.catalogue import Catalogue
    from stackrift.estate.loader import LoadedEstate
    from stackrift.findings import Severity
    from stackrift.report.model import Report

NAME = "vulnerabilities"


@dataclass(frozen=True, kw_only=True)
class VulnerabilityOptions:
    """What ``assess`` passes the vulnerabilities analysis: VEX documents (CycloneDX VEX,
    OpenVEX, CSAF VEX) and a waivers file, applied to the matches."""

    vex: tuple[Path, ...] = ()
    waivers: Path | None = None


def estate_targets(loaded: LoadedEstate) -> tuple[list[Target], list[SbomNotRead]]:
    """Targets from estate components (purl or vendor/product) and each system's SBOMs.

    Returns the targets and any SBOM problems (unreadable files are reported, not fatal).
    """
    from stackrift.advisories.scan import component_target, targets_from_document
    from stackrift.bom.estate import read_cached  # the same documents merge_sboms read
    from stackrift.errors import InputError

    estate = loaded.estate
    systems_of: dict[str, list[str]] = {}
    for system in estate.systems:
        for component_id in system.components:
            systems_of.setdefault(component_id, []).append(system.id)
    targets = [component_target(c, c.id, sorted(systems_of.get(c.id, ())))
               for c in estate.components]
    problems = []
    for system in estate.systems:
        for sbom in system.sboms:
            path = (loaded.base_dir / sbom) if not Path(sbom).is_absolute() else Path(sbom)
            try:
                document = read_cached(path)
            except InputError as exc:
                problems.append(SbomNotRead(system.id, sbom, exc.diagnostics()[0]))
                continue
            targets.extend(targets_from_document(document, (system.id,)))
    return targets, problems


@dataclass(frozen=True)
class SbomNotRead:
    """A system's SBOM that could not be read: its components were not looked at."""

    system: str
    sbom: str
    why: str

    def __str__(self) -> str:
        return f"system {self.system}: SBOM {self.sbom}: {self.why}"


def sbom_not_read_finding(problem: SbomNotRead) -> Finding:
    """Fail closed: the SBOM's components may carry any vulnerability, so the finding's
    severity is unknown (gated by ``--unknown-severity-as``)."""
    from stackrift.findings import Severity

    return Finding(
        id=finding_id(NAME, "sbom-not-read", problem.system, problem.sbom), analysis=NAME,
        rule="sbom-not-read", severity=Severity.UNKNOWN,
        title=f"{problem.system}: SBOM {problem.sbom} could not be read; its components "
              "were not assessed",
        subject=Subject(kind=SubjectKind.SYSTEM, id=problem.system, field="sboms"),
        evidence={"status": "not looked at", "sbom": problem.sbom, "reason": problem.why},
        recommendation="Make the SBOM available at the path the estate names (relative to "
                       "the estate file) or correct the path, then assess again.")


def to_finding(match: Match, estate_ids: frozenset[str]) -> Finding:
    """A report finding for one (group, component) match."""
    from stackrift.advisories.scan import match_json

    target = match.target
    if target.ref in estate_ids:
        subject = Subject(kind=SubjectKind.COMPONENT, id=target.ref, name=target.name,
                          field="version")
        related: tuple[Subject, ...] = tuple(Subject(kind=SubjectKind.SYSTEM, id=s)
                                             for s in target.systems)
    elif target.systems:  # from a system's SBOM
        subject = Subject(kind=SubjectKind.SYSTEM, id=target.systems[0],
                          name=target.purl or target.name, field="sboms")
        related = tuple(Subject(kind=SubjectKind.SYSTEM, id=s) for s in target.systems[1:])
    else:  # a scanned SBOM or lock file: the component is the subject
        subject = Subject(kind=SubjectKind.COMPONENT, id=target.ref, name=target.name)
        related = ()
    fixed = f"upgrade to {', '.join(match.fixed)} or later" if match.fixed else \
        "no fixed version is recorded; isolate or replace the component"
    citations = tuple(Citation(source=f"{r.source.upper()} {r.id}",
                               url=_record_url(r.source, r.id))
                      for r in match.records)
    evidence = match_json(match)
    return Finding(
        id=finding_id(NAME, "known-vulnerability", match.group_id, target.ref),
        analysis=NAME, rule="known-vulnerability", severity=match.severity,
        title=f"{target.name} {target.version or ''}: {match.group_id}"
              + (f" — {match.title}" if match.title else ""),
        subject=subject, evidence=evidence, recommendation=fixed.capitalize() + ".",
        citations=citations, related=related)


def not_assessed_finding(target: Target, reason: str, estate_ids: frozenset[str]) -> Finding:
    """A finding for a package component the scan could not assess: never reported as clean.

    Its severity is unknown (gated by ``--unknown-severity-as``)."""
    from stackrift.findings import Severity

    if target.ref in estate_ids or not target.systems:
        subject = Subject(kind=SubjectKind.COMPONENT, id=target.ref, name=target.name,
                          field="purl")
        related: tuple[Subject, ...] = tuple(Subject(kind=SubjectKind.SYSTEM, id=s)
                                             for s in target.systems)
    else:
        subject = Subject(kind=SubjectKind.SYSTEM, id=target.systems[0],
                          name=target.purl or target.name, field="sboms")
        related = tuple(Subject(kind=SubjectKind.SYSTEM, id=s) for s in target.systems[1:])
    return Finding(
        id=finding_id(NAME, "not-assessed", target.ref), analysis=NAME, rule="not-assessed",
        severity=Severity.UNKNOWN,
        title=f"{target.name} {target.version or ''}: not assessed — {reason}",
        subject=subject,
        evidence={"status": "not assessed", "reason": reason, "purl": target.purl,
                  "component": target.ref, "version": target.version,
                  "systems": list(target.systems)},
        recommendation="Import advisories for this ecosystem (stackrift db update -e ECOSYSTEM "
                       "or db import) or give the component a version; until then its "
                       "vulnerabilities are unknown.",
        related=related)


def _record_url(source: str, ident: str) -> str | None:
    if source == "osv":
        return f"https://osv.dev/vulnerability/{ident}"
    if source == "cnvd":
        return f"https://www.cnvd.org.cn/flaw/show/{ident}"
    if source == "cve5" or ident.startswith("CVE-"):
        return f"https://www.cve.org/CVERecord?id={ident}"
    return None


@register
class VulnerabilitiesAnalysis:
    """Known vulnerabilities, matched across OSV, CVE, CSAF, CNVD and CNNVD."""

    name: ClassVar[str] = NAME
    title: ClassVar[str] = "Known vulnerabilities (Western and Chinese databases)"
    order: ClassVar[int] = 20

    def run(self, estate: LoadedEstate, context: AnalysisContext) -> AnalysisResult:
        from stackrift.advisories.scan import scan
        from stackrift.advisories.vex import load_vex, load_waivers

        options = context.options_for(VulnerabilityOptions)
        vex = [s for p in options.vex for s in load_vex(p)]
        waivers = load_waivers(options.waivers) if options.waivers else []
        targets, problems = estate_targets(estate)
        with context.advisories.open() as (reader, info):
            result = scan(targets, reader, info, catalogue=context.catalogue, vex=vex,
                          waivers=waivers, as_of=context.as_of)
        estate_ids = frozenset(c.id for c in estate.estate.components)
        findings = tuple(to_finding(m, estate_ids) for m in result.matches) + tuple(
            not_assessed_finding(t, why, estate_ids) for t, why in result.not_assessed) + tuple(
            sbom_not_read_finding(p) for p in problems)
        summary = result.summary()
        if problems:
            summary["sbom_problems"] = [str(p) for p in problems]
        return AnalysisResult(findings, summary)


def run_scan(document: BomDocument, *, db: Path | str | None, catalogue: Catalogue | None,
             vex: Sequence[Path] = (), waivers: Path | None = None,
             as_of: date | None = None, source: AdvisorySource | None = None) -> ScanResult:
    """``stackrift scan``: match a BOM document's components against the store at ``db`` (or
    the reader ``source`` lends, e.g. a server's)."""
    from stackrift.advisories.scan import scan_store, targets_from_document

    return scan_store(targets_from_document(document), db=db, catalogue=catalogue, vex=vex,
                      waivers=waivers, as_of=as_of, source=source)


def _first_line_naming(lines: list[str]) -> Callable[[str], int]:
    """The number of the first of ``lines`` holding a text (1 when none does), each text looked
    for once, in the lines joined: a scan's report locates 10^4 findings of 10^3 components in an
    SBOM of 10^5 lines, which a search line by line per finding took seconds over.

    A purl is found among the texts starting with ``pkg:`` (each up to the next quote or line
    end, at most PURL_TEXT_LENGTH characters), sorted once: an occurrence of a purl holding
    neither lies within one of them, at its start. Searching the whole text for each purl cost
    seconds in a minified SBOM (one line of 10 MB, 10^4 purls). A text with more than
    PURL_TEXT_PLACES such places (a hostile one could make millions) is searched whole."""
    joined = "\n".join(lines)
    starts = [0]  # where each line starts in ``joined``
    for text in lines:
        starts.append(starts[-1] + len(text) + 1)
    indexed = joined.count("pkg:") <= PURL_TEXT_PLACES
    purls = sorted((m.group(1), m.start()) for m in _PURL_TEXT.finditer(joined)) if indexed \
        else []

    def first_at(needle: str) -> int:
        if (indexed and needle.startswith("pkg:") and '"' not in needle
                and len(needle) <= PURL_TEXT_LENGTH):
            found = -1
            index = bisect_left(purls, (needle,))
            while index < len(purls) and purls[index][0].startswith(needle):
                at = purls[index][1]
                found = at if found < 0 else min(found, at)
                index += 1
            return found
        return joined.find(needle)

    @cache
    def first_line(needle: str) -> int:
        if "\n" in needle:  # would span lines in ``joined``: no single line holds it
            return 1
        found = first_at(needle)
        return bisect_right(starts, found) if found >= 0 else 1

    return first_line


PURL_TEXT_LENGTH = 256  # the longest purl looked for in the index (longer ones: searched)
PURL_TEXT_PLACES = 200_000  # "pkg:" places indexed at most (~50 MB at most)
# from every place "pkg:" starts (inside another such text too), up to a quote or line end
_PURL_TEXT = re.compile(f'(?=(pkg:[^"\\n]{{0,{PURL_TEXT_LENGTH - 4}}}))')


def scan_report(result: ScanResult, document: BomDocument, as_of: date, catalogue_version: str,
                fail_on: Severity, unknown_as: Severity | None = None) -> Report:
    """A report with one ``vulnerabilities`` section, for the SARIF and other renderers; each
    finding is located at the first line of the scanned file that names its component."""
    from stackrift import __version__
    from stackrift.bom._common import MAX_DOCUMENT_BYTES
    from stackrift.boundedio import read_bounded
    from stackrift.errors import InvalidInputError, Location
    from stackrift.report.model import AnalysisSection, EstateSummary, Report

    pairs = [(to_finding(m, frozenset()), m.target) for m in result.matches] + [
        (not_assessed_finding(t, why, frozenset()), t) for t, why in result.not_assessed]
    pairs.sort(key=lambda pair: pair[0].sort_key())
    findings = tuple(finding for finding, _target in pairs)
    try:  # only a regular file can be read again (a pipe was consumed by the reader)
        source = Path(document.path)
        lines = (read_bounded(source, MAX_DOCUMENT_BYTES).decode("utf-8", "replace").splitlines()
                 if source.is_file() else [])
    except InvalidInputError:
        lines = []
    first_line = _first_line_naming(lines)
    locations = {finding.id: Location(document.path, first_line(target.purl or target.name), 1)
                 for finding, target in pairs}
    section = AnalysisSection(NAME, VulnerabilitiesAnalysis.title, findings, result.summary())
    estate = EstateSummary(document.path, document.path, {"components": result.targets})
    from stackrift.findings import Severity
    from stackrift.knowledge.sets import active_knowledge

    return Report(__version__, as_of, catalogue_version, estate, (section,), fail_on, locations,
                  unknown_as=unknown_as or Severity.HIGH, knowledge=active_knowledge().stamp())
