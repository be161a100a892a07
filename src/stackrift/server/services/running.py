"""Running one assessment: its stored inputs written to a scratch folder, the library's
pipeline run over them, every output format rendered. No analysis happens here."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackrift.server.db.tables import Assessment, Upload

if TYPE_CHECKING:
    from stackrift.advisories.sources import AdvisorySource
    from stackrift.estate.loader import LoadedEstate
    from stackrift.report.model import Report

Progress = Callable[[int, str], None]


@dataclass(frozen=True)
class InputFile:
    kind: str
    name: str
    content: bytes


@dataclass(frozen=True)
class AssessmentInputs:
    """Everything one run reads, copied out of the database before the long work starts."""

    estate: InputFile
    others: tuple[InputFile, ...]
    as_of: date


@dataclass(frozen=True)
class AssessmentOutcome:
    outputs: dict[str, bytes]
    knowledge_version: str | None
    knowledge_digest: str | None
    advisory_fingerprint: str
    finding_count: int
    failing_count: int


def load_inputs(db: Session, assessment: Assessment) -> AssessmentInputs:
    ids = [assessment.estate_upload_id, *assessment.input_upload_ids]
    rows = {u.id: u for u in db.scalars(select(Upload).where(Upload.id.in_(ids)))}
    estate = rows[assessment.estate_upload_id]
    others = tuple(InputFile(rows[i].kind, rows[i].name, rows[i].content)
                   for i in assessment.input_upload_ids if i in rows)
    return AssessmentInputs(InputFile(estate.kind, estate.name, estate.content), others,
                            assessment.as_of)


def advisory_fingerprint(source: AdvisorySource) -> str:
    """What identifies the advisories a run saw: the store, its record count and bookkeeping
    (the label of the import that last changed it)."""
    with source.open() as (reader, info):
        described = reader.describe()
        document = {"store": info.path, "records": described.records,
                    "meta": dict(sorted(described.meta.items())),
                    "starter_only": info.starter_pack}
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class _Written:
    estate: Path
    rules_dir: Path | None
    controls: Path | None
    vex: tuple[Path, ...]
    waivers: Path | None


def _write_inputs(inputs: AssessmentInputs, root: Path) -> _Written:
    work = root / "work"
    rules = root / "rules"
    paths: dict[str, list[Path]] = {}
    for number, item in enumerate((inputs.estate, *inputs.others)):
        if item.kind == "rules":
            target = rules / f"{number:04d}-{PurePosixPath(item.name).name}"
        else:
            target = work / item.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.content)
        paths.setdefault(item.kind, []).append(target)
    return _Written(work / inputs.estate.name, rules if "rules" in paths else None,
                    paths.get("controls", [None])[-1], tuple(paths.get("vex", ())),
                    paths.get("waivers", [None])[-1])


def _relative(report: Report, work: Path) -> Report:
    """Locations and the estate path as the user named the files, not the scratch folder."""
    from stackrift.errors import Location

    prefix = str(work) + "/"
    locations = {key: Location(loc.file.removeprefix(prefix), loc.line, loc.column)
                 for key, loc in report.locations.items()}
    estate = dataclasses.replace(report.estate,
                                 path=report.estate.path.removeprefix(prefix))
    return dataclasses.replace(report, locations=locations, estate=estate)


def _vex(loaded: LoadedEstate, written: _Written, source: AdvisorySource, as_of: date,
         catalogue: object) -> bytes:
    """CycloneDX VEX of the estate's components and SBOMs, from the same advisory source."""
    from stackrift.advisories.scan import scan
    from stackrift.advisories.vex import load_vex, load_waivers
    from stackrift.analyses.vulnerabilities import estate_targets
    from stackrift.catalog.catalogue import Catalogue
    from stackrift.report.cyclonedx_vex import render

    assert isinstance(catalogue, Catalogue)
    targets, _ = estate_targets(loaded)
    statements = [s for p in written.vex for s in load_vex(p)]
    waivers = load_waivers(written.waivers) if written.waivers else []
    with source.open() as (reader, info):
        result = scan(targets, reader, info, catalogue=catalogue, vex=statements,
                      waivers=waivers, as_of=as_of)
    return render(result, as_of).encode()


def run_assessment(inputs: AssessmentInputs, source: AdvisorySource,
                   progress: Progress) -> AssessmentOutcome:
    """The library's pipeline over the inputs; raises the library's errors unchanged."""
    from stackrift.analyses.base import AnalysisContext
    from stackrift.analyses.compliance import ComplianceOptions
    from stackrift.analyses.vulnerabilities import VulnerabilityOptions
    from stackrift.catalog.catalogue import load_catalogue
    from stackrift.estate.loader import load_estate
    from stackrift.pipeline import assess
    from stackrift.report.base import renderer
    from stackrift.rules.engine import load_rule_set

    with tempfile.TemporaryDirectory(prefix="stackrift-assess-") as scratch:
        written = _write_inputs(inputs, Path(scratch))
        progress(10, "loading the estate, catalogue and rule packs")
        loaded = load_estate(written.estate)
        catalogue = load_catalogue()
        context = AnalysisContext(
            as_of=inputs.as_of, catalogue=catalogue, advisories=source,
            rules=load_rule_set((written.rules_dir,)) if written.rules_dir else None,
            options=(VulnerabilityOptions(vex=written.vex, waivers=written.waivers),
                     ComplianceOptions(controls=written.controls)))
        progress(20, "running the analyses")
        report = _relative(assess(loaded, context), written.estate.parent)
        progress(80, "rendering the reports")
        outputs = {name: renderer(name).render(report).encode()
                   for name in ("json", "html", "md", "sarif")}
        outputs["cyclonedx-vex"] = _vex(loaded, written, source, inputs.as_of, catalogue)
        fingerprint = advisory_fingerprint(source)
    stamp = report.knowledge
    return AssessmentOutcome(outputs, stamp.version if stamp else None,
                             stamp.digest if stamp else None, fingerprint,
                             len(report.findings), len(report.failing()))
