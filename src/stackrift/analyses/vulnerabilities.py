"""Known vulnerabilities in the estate's components and referenced SBOMs, across Western and
Chinese vulnerability databases.

Uses the advisory store named in the context (``--db``), else the default store; an absent or
empty store is filled with the packaged starter pack on first use. Options (from
``context.options["vulnerabilities"]``): ``vex`` (paths of VEX documents) and ``waivers`` (a
waivers YAML path).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from stackrift.analyses.base import AnalysisContext, AnalysisResult, register
from stackrift.findings import Citation, Finding, Subject, SubjectKind, finding_id

if TYPE_CHECKING:
    from stackrift.advisories.matcher import Match, Target
    from stackrift.estate.loader import LoadedEstate

NAME = "vulnerabilities"


def estate_targets(loaded: LoadedEstate) -> tuple[list[Target], list[str]]:
    """Targets from estate components (purl or vendor/product) and each system's SBOMs.

    Returns the targets and any SBOM problems (unreadable files are reported, not fatal).
    """
    from stackrift.advisories.matcher import Target
    from stackrift.advisories.scan import targets_from_document
    from stackrift.bom.base import read_bom
    from stackrift.errors import InputError

    estate = loaded.estate
    systems_of: dict[str, list[str]] = {}
    for system in estate.systems:
        for component_id in system.components:
            systems_of.setdefault(component_id, []).append(system.id)
    targets = [Target(ref=c.id, name=c.name, version=c.version, purl=c.purl, vendor=c.vendor,
                      product=c.product, systems=tuple(sorted(systems_of.get(c.id, ()))))
               for c in estate.components]
    problems = []
    for system in estate.systems:
        for sbom in system.sboms:
            path = (loaded.base_dir / sbom) if not Path(sbom).is_absolute() else Path(sbom)
            try:
                document = read_bom(path)
            except InputError as exc:
                problems.append(f"system {system.id}: SBOM {sbom}: {exc.diagnostics()[0]}")
                continue
            targets.extend(targets_from_document(document, (system.id,)))
    return targets, problems


def to_finding(match: Match, estate_ids: frozenset[str]) -> Finding:
    """A report finding for one (group, component) match."""
    from stackrift.advisories.scan import match_json

    target = match.target
    if target.ref in estate_ids:
        subject = Subject(kind=SubjectKind.COMPONENT, id=target.ref, name=target.name,
                          field="version")
        related: tuple[Subject, ...] = tuple(Subject(kind=SubjectKind.SYSTEM, id=s)
                                             for s in target.systems)
    else:
        first = target.systems[0] if target.systems else "estate"
        subject = Subject(kind=SubjectKind.SYSTEM, id=first, name=target.purl or target.name,
                          field="sboms")
        related = tuple(Subject(kind=SubjectKind.SYSTEM, id=s) for s in target.systems[1:])
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
        from stackrift.advisories.scan import open_scan_store, scan
        from stackrift.advisories.vex import load_vex, load_waivers

        options: dict[str, Any] = dict(context.options.get(NAME, {}))
        vex = [s for p in options.get("vex", ()) for s in load_vex(Path(p))]
        waivers = load_waivers(Path(options["waivers"])) if options.get("waivers") else []
        targets, problems = estate_targets(estate)
        store, info = open_scan_store(context.advisory_db)
        try:
            result = scan(targets, store, info, catalogue=context.catalogue, vex=vex,
                          waivers=waivers, as_of=context.as_of)
        finally:
            store.close()
        estate_ids = frozenset(c.id for c in estate.estate.components)
        findings = tuple(to_finding(m, estate_ids) for m in result.matches)
        summary = result.summary()
        if problems:
            summary["sbom_problems"] = problems
        return AnalysisResult(findings, summary)
