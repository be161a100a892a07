"""Read a target (SBOM, lock file, model folder or environment), enrich it, write a standard BOM.

This is what ``stackrift bom`` runs; the CLI only parses options and prints.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

import stackrift.bom.spdx3_out as spdx3_out
from stackrift.bom import cyclonedx_out
from stackrift.bom._cdx_schema import validator
from stackrift.bom.artefacts import ArtefactFinding
from stackrift.bom.base import BomDocument
from stackrift.bom.provenance import ComponentProvenance, enrich
from stackrift.bom.targets import load_target as load_target  # re-exported
from stackrift.catalog.catalogue import Catalogue
from stackrift.choices import BomFormat as BomFormat  # re-exported: callers import it here
from stackrift.errors import StackRiftError
from stackrift.findings import Severity


class OutputInvalidError(StackRiftError):
    """The document StackRift wrote does not validate: a bug, reported as an internal error."""


@dataclass(frozen=True)
class Export:
    """A written BOM and what went into it."""

    text: str
    document: BomDocument
    provenance: dict[str, ComponentProvenance]
    artefacts: tuple[ArtefactFinding, ...]


def summary(result: Export) -> str:
    """One line for the person running the command: counts by bloc, lineage, artefacts."""
    blocs = Counter(p.bloc.value for p in result.provenance.values())
    by_bloc = ", ".join(f"{blocs[b]} {b}" for b in ("us", "cn", "eu", "other", "unknown")
                        if blocs[b])
    lineages = sum(1 for p in result.provenance.values() if p.origin is not None)
    unsafe = sum(1 for f in result.artefacts if f.severity.at_least(Severity.HIGH))
    return (f"{result.document.path}: {len(result.document.components)} components "
            f"({by_bloc or 'none'}), {lineages} with base-model lineage, "
            f"{unsafe} unsafe model artefacts ({result.document.format})")


def export(document: BomDocument, output_format: BomFormat, catalogue: Catalogue, *,
           spec_version: str = "1.6", as_of: date | None = None) -> Export:
    """Enrich ``document`` with provenance and serialise it; CycloneDX JSON is self-checked."""
    provenance = enrich(document, catalogue)
    as_of_text = as_of.isoformat() if as_of else None
    artefacts = tuple(document.metadata.get("artefact_findings") or ())
    if output_format is BomFormat.SPDX3_JSONLD:
        text = spdx3_out.to_jsonld(spdx3_out.build(document, provenance, as_of_text))
        return Export(text, document, provenance, artefacts)
    bom = cyclonedx_out.build(document, spec_version, provenance, as_of_text)
    # Our own output goes through the same official schema as any input: a cheap guard.
    errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}"
              for e in validator(spec_version).iter_errors(bom)]
    if errors:
        raise OutputInvalidError("generated CycloneDX does not validate: " + "; ".join(errors[:3]))
    text = (cyclonedx_out.to_json(bom) if output_format is BomFormat.CYCLONEDX_JSON
            else cyclonedx_out.to_xml(bom))
    return Export(text, document, provenance, artefacts)
