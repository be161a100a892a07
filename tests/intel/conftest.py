"""Fixtures of the intel tests: findings as the analyses write them, and a small estate source."""

from __future__ import annotations

from datetime import date

import pytest

from stackrift.findings import Finding, Severity, Subject, SubjectKind
from stackrift.intel.sources import ComponentInfo, ExportSource, SystemInfo

AS_OF = date(2026, 12, 4)


def vulnerability_finding(group: str, ids: list[str], component: str, *,
                          published: dict[str, str] | None = None,
                          systems: tuple[str, ...] = ("cn-edge",),
                          disclosed: bool | None = None) -> Finding:
    return Finding(
        id=f"vulnerabilities:known-vulnerability:{group}:{component}",
        analysis="vulnerabilities", rule="known-vulnerability", severity=Severity.HIGH,
        title=f"{component}: {group}",
        subject=Subject(kind=SubjectKind.COMPONENT, id=component, name=component),
        evidence={"ids": ids, "group": group, "component": component, "name": component,
                  "published": published or {}, "systems": list(systems),
                  "purl": f"pkg:generic/{component}@1.0",
                  **({} if disclosed is None else {"disclosed": disclosed})})


def artefact_finding(system: str) -> Finding:
    return Finding(
        id=f"artefacts:dangerous-import:{system}:models/x:model.pkl",
        analysis="artefacts", rule="dangerous-import", severity=Severity.CRITICAL,
        title="pickle artefact in models/x: imports os.system",
        subject=Subject(kind=SubjectKind.SYSTEM, id=system, field="sboms"),
        evidence={"file": "model.pkl", "kind": "pickle", "detail": "os.system",
                  "sbom": "models/x"})


@pytest.fixture
def cn_source() -> ExportSource:
    """A Chinese site running a Chinese vendor's product with one undisclosed and one public
    vulnerability, and a malicious model file."""
    findings = (
        vulnerability_finding("CNVD-2026-10001", ["CNVD-2026-10001"], "edgegw",
                              disclosed=False),
        vulnerability_finding("CVE-2025-1234", ["CVE-2025-1234", "CNVD-2025-20002",
                                                "GHSA-abcd-efgh-ijkm"], "edgegw-sdk",
                              published={"cnvd": "2025-03-01", "osv": "2025-03-05"}),
        artefact_finding("cn-edge"),
    )
    return ExportSource(
        path="estate.yaml", as_of=AS_OF, organisation="Meridian", findings=findings,
        systems=(SystemInfo("cn-edge", "Shanghai edge gateway", "CN", "CN"),),
        components=(
            ComponentInfo("edgegw", "edgegw", "1.0", "Huaxia Networks", "pkg:generic/edgegw@1.0",
                          "cpe:2.3:a:huaxia:edgegw:1.0:*:*:*:*:*:*:*", "CN"),
            ComponentInfo("edgegw-sdk", "edgegw-sdk", "1.0", "Huaxia Networks",
                          "pkg:generic/edgegw-sdk@1.0", None, "CN")),
        artefact_hashes=(("artefacts:dangerous-import:cn-edge:models/x:model.pkl", "ab" * 32),))
