"""The library entry point: estate in, report out. The CLI and any other front end call this."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from stackrift import __version__
from stackrift.analyses.base import AnalysisContext, registered_analyses
from stackrift.catalog.catalogue import Catalogue
from stackrift.errors import Location, UsageError
from stackrift.estate.loader import LoadedEstate, load_estate
from stackrift.findings import Severity
from stackrift.knowledge.sets import active_knowledge
from stackrift.report.model import AnalysisSection, EstateIndex, EstateSummary, Report


def summarise_estate(loaded: LoadedEstate) -> EstateSummary:
    estate = loaded.estate
    counts = Counter(
        {
            "entities": len(estate.entities),
            "sites": len(estate.sites),
            "systems": len(estate.systems),
            "components": len(estate.components),
            "data_flows": len(estate.data_flows),
        }
    )
    return EstateSummary(loaded.path, estate.organisation.name, dict(counts))


def index_estate(loaded: LoadedEstate) -> EstateIndex:
    """Systems per component, flow, site and owning entity, and each system's criticality."""
    estate = loaded.estate
    systems_of: dict[str, set[str]] = {}
    for system in estate.systems:
        keys = [f"component:{c}" for c in system.components]
        keys += [f"site:{system.site}"] if system.site else []
        keys += [f"entity:{system.owner}"] if system.owner else []
        for key in keys:
            systems_of.setdefault(key, set()).add(system.id)
    for flow in estate.data_flows:
        if flow.system:
            systems_of.setdefault(f"data_flow:{flow.id}", set()).add(flow.system)
    return EstateIndex({s.id: s.criticality.value for s in estate.systems},
                       {key: tuple(sorted(ids)) for key, ids in sorted(systems_of.items())})


def assess(
    loaded: LoadedEstate,
    context: AnalysisContext,
    *,
    only: frozenset[str] | None = None,
    fail_on: Severity = Severity.HIGH,
    unknown_as: Severity = Severity.HIGH,
) -> Report:
    """Run every registered analysis (or those named in ``only``) and assemble the report.

    Components of the SBOMs and model folders that systems reference are merged in first, so
    every analysis sees them.
    """
    from stackrift.bom.estate import merge_sboms  # lazy: keeps BOM readers off the import path

    loaded = merge_sboms(loaded)
    analyses = registered_analyses()
    if only is not None:
        unknown = only - {a.name for a in analyses}
        if unknown:
            raise UsageError(
                f"unknown analysis: {', '.join(sorted(unknown))}; expected one of "
                f"{', '.join(a.name for a in analyses)}"
            )
        analyses = [a for a in analyses if a.name in only]
    sections = []
    for analysis in analyses:
        result = analysis.run(loaded, context)
        findings = tuple(sorted(result.findings, key=lambda f: f.sort_key()))
        sections.append(AnalysisSection(analysis.name, analysis.title, findings, result.summary))
    locations = {}
    for section in sections:
        for finding in section.findings:
            collection = finding.subject.collection
            locations[finding.id] = (
                loaded.locate(collection, finding.subject.id, finding.subject.field)
                if collection
                else Location(loaded.path, 1, 1)
            )
    return Report(
        __version__,
        context.as_of,
        context.catalogue.version,
        summarise_estate(loaded),
        tuple(sections),
        fail_on,
        locations,
        index=index_estate(loaded),
        unknown_as=unknown_as,
        knowledge=active_knowledge().stamp(),
    )


def assess_file(
    path: Path,
    *,
    as_of: date | None = None,
    catalogue: Catalogue | None = None,
    fail_on: Severity = Severity.HIGH,
) -> Report:
    """Convenience: load an estate file and assess it with the packaged catalogue."""
    context = AnalysisContext.default(as_of or date.today(), catalogue=catalogue)
    return assess(load_estate(path), context, fail_on=fail_on)
