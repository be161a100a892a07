"""Model artefacts and lineage of the SBOMs and model folders systems reference.

Unsafe artefacts (pickles that import code-running callables, tensors outside their file, zip
bombs) are reported with the scanner's severity. A model whose publisher the catalogue does not
know but whose base weights it does (a fine-tune of Qwen uploaded by an unknown organisation) is
reported with its lineage chain; the provenance analysis already reports models whose known
publisher and weights origin lie in different blocs, since SBOM components join the estate.
"""

from __future__ import annotations

from typing import ClassVar

from stackrift.analyses.base import AnalysisContext, AnalysisResult, register
from stackrift.bom.artefacts import ArtefactFinding
from stackrift.bom.estate import SystemBom, system_boms
from stackrift.bom.provenance import enrich
from stackrift.estate.loader import LoadedEstate
from stackrift.estate.model import Bloc, ComponentType
from stackrift.findings import Finding, Severity, Subject, SubjectKind, finding_id
from stackrift.summaries import Table, summary_json

_ADVICE = ("Do not load this file. Obtain the weights in safetensors format from the publisher, "
           "verify their hashes, or load only with a restricted unpickler after review.")


def _artefact_finding(bom: SystemBom, found: ArtefactFinding) -> Finding:
    return Finding(
        id=finding_id("artefacts", found.rule, bom.system.id, bom.reference, found.path,
                      found.detail),
        analysis="artefacts", rule=found.rule, severity=found.severity,
        title=f"{found.kind} artefact in {bom.reference}: {found.message}",
        subject=Subject(kind=SubjectKind.SYSTEM, id=bom.system.id, name=bom.system.name,
                        field="sboms"),
        evidence={"file": found.path, "kind": found.kind, "detail": found.detail,
                  "sbom": bom.reference},
        recommendation=_ADVICE if found.kind == "pickle" else
        "Treat the file as corrupt or hostile; re-download it and compare hashes.")


@register
class ArtefactsAnalysis:
    """Unsafe model files and cross-bloc weight lineage in systems' SBOMs and model folders."""

    name: ClassVar[str] = "artefacts"
    title: ClassVar[str] = "Model artefacts and lineage"
    order: ClassVar[int] = 25

    def run(self, estate: LoadedEstate, context: AnalysisContext) -> AnalysisResult:
        findings: list[Finding] = []
        rows: list[list[str | int | float | None]] = []
        for bom in system_boms(estate):
            for found in bom.document.metadata.get("artefact_findings") or ():
                findings.append(_artefact_finding(bom, found))
            provenance = enrich(bom.document, context.catalogue)
            for component in bom.document.components:
                if component.type is not ComponentType.MODEL or not component.base_models:
                    continue
                record = provenance[component.id]
                origin = record.origin
                if origin is None:
                    continue
                rows.append([bom.system.id, component.hf_id or component.name,
                             record.bloc.value, origin.reference, origin.bloc.value,
                             record.lineage_text()])
                if record.bloc is not Bloc.UNKNOWN or origin.bloc is Bloc.UNKNOWN:
                    continue
                findings.append(Finding(
                    id=finding_id("artefacts", "unknown-publisher-lineage", bom.system.id,
                                  bom.component_id(component.id)),
                    analysis="artefacts", rule="unknown-publisher-lineage",
                    severity=Severity.MEDIUM,
                    title=(f"{component.hf_id or component.name} (publisher not catalogued) "
                           f"carries the weights of {origin.reference} "
                           f"({origin.vendor or 'unknown vendor'}, "
                           f"{origin.country or 'unknown country'}, {origin.bloc.value} bloc)"),
                    subject=Subject(kind=SubjectKind.SYSTEM, id=bom.system.id,
                                    name=bom.system.name, field="sboms"),
                    evidence={"sbom": bom.reference, "lineage": record.lineage_text(),
                              "origin_bloc": origin.bloc.value,
                              "publisher_bloc": record.bloc.value,
                              "evidence": origin.evidence},
                    recommendation=("Treat the model's provenance as that of its base weights "
                                    "when applying export-control, procurement and data rules.")))
        summary = summary_json(tables=[Table.of(
            "Model lineage in referenced SBOMs and model folders",
            ["system", "model", "publisher bloc", "root model", "root bloc", "chain"],
            sorted(rows, key=lambda r: [str(x) for x in r]))]) if rows else {}
        return AnalysisResult(tuple(findings), summary)
