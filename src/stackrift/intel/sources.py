"""What an export starts from: an estate (assessed here) or a JSON report StackRift wrote.

Both give findings; an estate also gives its components (with purl and CPE), its systems and
where each system runs, and the model files the artefact findings name, whose SHA-256 becomes an
indicator. A report gives only what its findings carry, and the export says so in its caveats.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from stackrift.boundedio import read_bounded
from stackrift.errors import InvalidInputError
from stackrift.findings import Finding
from stackrift.intel.model import Caveat

MAX_REPORT = 256 << 20
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class SystemInfo:
    """An estate system as the export names it."""

    id: str
    name: str
    site_country: str | None
    owner_country: str | None


@dataclass(frozen=True)
class ComponentInfo:
    """A software component with the identifiers threat-intel tools match on."""

    id: str
    name: str
    version: str | None
    vendor: str | None
    purl: str | None
    cpe: str | None
    supplier_country: str | None


@dataclass(frozen=True)
class ExportSource:
    """Findings and the estate facts an export needs, from either kind of input."""

    path: str
    as_of: date
    organisation: str
    findings: tuple[Finding, ...]
    systems: tuple[SystemInfo, ...] = ()
    components: tuple[ComponentInfo, ...] = ()
    artefact_hashes: tuple[tuple[str, str], ...] = ()
    """(finding id, SHA-256 of the file it names)."""
    caveats: tuple[Caveat, ...] = ()


def is_report(path: Path) -> bool:
    """A JSON report (has ``schema_version`` and ``findings``) rather than an estate."""
    if path.suffix.lower() != ".json":
        return False
    try:
        head = read_bounded(path, MAX_REPORT)
        document = orjson.loads(head)
    except orjson.JSONDecodeError:
        return False
    return isinstance(document, dict) and "findings" in document and "schema_version" in document


def load_report(path: Path) -> ExportSource:
    """Findings from a JSON report StackRift wrote (``assess -f json``)."""
    try:
        document = orjson.loads(read_bounded(path, MAX_REPORT))
    except orjson.JSONDecodeError as exc:
        raise InvalidInputError.single(path, f"not JSON ({exc})",
                                       "a StackRift JSON report") from exc
    findings = []
    for number, raw in enumerate(document.get("findings") or ()):
        entry = {k: v for k, v in raw.items() if k != "location"} if isinstance(raw, dict) else raw
        try:
            findings.append(Finding.model_validate(entry))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InvalidInputError.single(
                path, f"findings[{number}].{where}: {first['msg']}",
                "findings as `stackrift assess -f json` writes them") from None
    estate = document.get("estate") or {}
    try:
        as_of = date.fromisoformat(str(document.get("as_of")))
    except ValueError:
        raise InvalidInputError.single(path, "as_of is not a date", "YYYY-MM-DD") from None
    return ExportSource(
        path=str(path), as_of=as_of, organisation=str(estate.get("organisation") or "unknown"),
        findings=tuple(findings),
        caveats=(Caveat("software and indicators", "a report carries no SBOM components nor model "
                        "files: software objects come from finding evidence only and artefact "
                        "findings give no file hash; export the estate for both"),))


def load_estate_source(path: Path, as_of: date, db: Path | str | None = None) -> ExportSource:
    """Assess the estate (vulnerabilities and artefacts) and collect what the export needs."""
    from stackrift.analyses.base import AnalysisContext
    from stackrift.bom.estate import merge_sboms, system_boms
    from stackrift.estate.loader import load_estate
    from stackrift.pipeline import assess

    loaded = load_estate(path)
    report = assess(loaded, AnalysisContext.default(as_of, db=db),
                    only=frozenset({"vulnerabilities", "artefacts"}))
    merged = merge_sboms(loaded)
    estate = merged.estate
    sites = {s.id: s for s in estate.sites}
    entities = {e.id: e for e in estate.entities}
    systems = tuple(SystemInfo(
        s.id, s.name, sites[s.site].country if s.site in sites else None,
        entities[s.owner].country if s.owner in entities else None) for s in estate.systems)
    components = tuple(ComponentInfo(c.id, c.name, c.version, c.vendor, c.purl, c.cpe,
                                     c.supplier_country) for c in estate.components)
    bom_paths = {(b.system.id, b.reference): b.path for b in system_boms(loaded)}
    hashes, caveats = _artefact_hashes(report.findings, bom_paths)
    return ExportSource(path=str(path), as_of=as_of,
                        organisation=estate.organisation.name,
                        findings=report.findings, systems=systems, components=components,
                        artefact_hashes=hashes, caveats=caveats)


def _artefact_hashes(findings: tuple[Finding, ...], bom_paths: dict[tuple[str, str], Path]
                     ) -> tuple[tuple[tuple[str, str], ...], tuple[Caveat, ...]]:
    hashes: list[tuple[str, str]] = []
    caveats: list[Caveat] = []
    for finding in findings:
        if finding.analysis != "artefacts" or "file" not in finding.evidence:
            continue
        base = bom_paths.get((finding.subject.id, str(finding.evidence.get("sbom"))))
        target = _artefact_file(base, str(finding.evidence["file"]))
        if target is None:
            caveats.append(Caveat(f"artefact {finding.evidence['file']}", "the file could not be "
                                  "located, so no hash indicator was made for it"))
            continue
        hashes.append((finding.id, file_sha256(target)))
    return tuple(hashes), tuple(caveats)


def _artefact_file(base: Path | None, name: str) -> Path | None:
    if base is None:
        return None
    if base.is_file():
        return base
    # A member inside an archive is named "archive.zip:member"; the archive is the artefact.
    for candidate in (base / name, base / name.split(":", 1)[0]):
        if candidate.is_file() and candidate.resolve().is_relative_to(base.resolve()):
            return candidate
    return None


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks (model files run to gigabytes)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def evidence_list(evidence: dict[str, Any], key: str) -> list[str]:
    """A list-valued evidence entry as strings (absent or malformed: empty)."""
    value = evidence.get(key)
    return [str(v) for v in value] if isinstance(value, list) else []
