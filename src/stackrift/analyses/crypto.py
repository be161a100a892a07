"""Cryptographic interoperability across regimes: per flow between two systems that declare
their cryptography, whether both ends share a suite both ends' regimes accept; per system, the
quantum-vulnerable inventory. Flows whose ends are not both declared are reported as not
assessed, never passed as clean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from stackrift.analyses.base import AnalysisContext, AnalysisResult, register
from stackrift.findings import Citation, Finding, Severity, Subject, SubjectKind, finding_id
from stackrift.summaries import Heatmap, Table, summary_json

if TYPE_CHECKING:
    from stackrift.crypto.engine import FlowAssessment, Interop, PathAssessment
    from stackrift.crypto.loader import Registry
    from stackrift.crypto.model import Endpoint, EndpointFacts
    from stackrift.estate.loader import LoadedEstate
    from stackrift.estate.model import DataFlow, Estate, System

NAME = "crypto"
CNSA2 = Citation(
    source="NSA, Announcing the Commercial National Security Algorithm Suite 2.0 "
           "(CSA U/OO/194427-22, rev. 2024)",
    section="CNSA 2.0 timeline: quantum-resistant algorithms preferred by 2025, exclusive "
            "by 2033 for most NSS uses",
    url="https://media.defense.gov/2022/Sep/07/2003071836/-1/-1/0/CSI_CNSA_2.0_FAQ_.PDF",
    confidence="unverified",
    unverified_reason="timeline taken from the crypto regime pack notes; not re-read here")
IR8547 = Citation(
    source="NIST IR 8547 (initial public draft), Transition to Post-Quantum Cryptography "
           "Standards",
    section="§4: quantum-vulnerable algorithms deprecated after 2030, disallowed after 2035",
    url="https://csrc.nist.gov/pubs/ir/8547/ipd",
    confidence="unverified",
    unverified_reason="a draft; dates may change in the final publication")


@dataclass(frozen=True)
class CryptoOptions:
    """Extra crypto regime-pack folders, added to the packaged packs."""

    regime_dirs: tuple[Path, ...] = field(default=())


@dataclass(frozen=True)
class _Ends:
    """The two systems of a flow, in flow direction, and an optional gateway."""

    source: System
    target: System
    gateway: System | None


STATUS_VALUE = {"interoperable": 0.0,
                "interoperable only with a suite one regime forbids": 1.0,
                "no common suite": 2.0}


@register
class CryptoAnalysis:
    """Cross-regime cryptographic interoperability of flows and quantum-vulnerable inventory."""

    name: ClassVar[str] = NAME
    title: ClassVar[str] = "Cryptography and protocol interoperability"
    order: ClassVar[int] = 45

    def run(self, estate: LoadedEstate, context: AnalysisContext) -> AnalysisResult:
        from stackrift.crypto.engine import Interop
        from stackrift.crypto.loader import load_regimes, load_registry

        options = context.options_for(CryptoOptions)
        registry = load_registry()
        engine = Interop(load_regimes(options.regime_dirs), registry, context.as_of)
        base = Path(estate.path).parent
        endpoints = _endpoints(estate.estate, base)
        findings: list[Finding] = []
        flow_rows: list[tuple[str | None, ...]] = []
        for flow in estate.estate.data_flows:
            ends, why = _ends(estate.estate, flow)
            if ends is None:
                flow_rows.append((flow.id, flow.system, flow.peer_system, "not assessed", why))
                if why != _NOT_BETWEEN_SYSTEMS:
                    findings.append(_not_assessed(flow, why))
                continue
            status, finding = _assess_flow(engine, flow, ends, endpoints, estate.estate)
            flow_rows.append((flow.id, ends.source.id, ends.target.id, status, None))
            if finding is not None:
                findings.append(finding)
        inv_rows, inv_findings = _inventories(estate.estate, registry, base, context.as_of)
        findings += inv_findings
        chart = _matrix(engine, [endpoints[s.id] for s in estate.estate.systems
                                 if s.id in endpoints and s.crypto and not s.crypto.gateway_faces])
        tables = [Table.of("Flows between systems", ("flow", "from system", "to system", "status",
                                                      "not assessed because"), flow_rows),
                  Table.of("Cryptographic inventory", ("system", "items", "quantum-vulnerable",
                                                        "unknown names"), inv_rows)]
        charts = [_regime_matrix(engine), *([chart] if chart is not None else [])]
        summary = summary_json(tables, charts)
        declared = sum(1 for s in estate.estate.systems if s.crypto is not None)
        summary["systems_declaring_crypto"] = declared
        not_assessed = sum(1 for r in flow_rows if r[3] == "not assessed")
        summary["not_assessed_flows"] = not_assessed
        summary["caveat"] = (f"{not_assessed} of {len(flow_rows)} flow(s) not assessed for "
                             "cryptographic interoperability (see the flows table); "
                             f"{declared} system(s) declare their cryptography.")
        return AnalysisResult(tuple(findings), summary)


_NOT_BETWEEN_SYSTEMS = "the flow does not name both systems (`system` and `peer_system`)"


def _endpoints(estate: Estate, base: Path) -> dict[str, Endpoint]:
    from stackrift.crypto.endpoints import endpoint_from_block

    countries = {site.id: site.country for site in estate.sites}
    out: dict[str, Endpoint] = {}
    for system in estate.systems:
        block = system.crypto
        if block is None:
            continue
        if block.facts.criticality is None:
            # the system's criticality is known to the estate; regimes test it
            block = block.model_copy(update={"facts": block.facts.model_copy(
                update={"criticality": system.criticality.value})})
        out[system.id] = endpoint_from_block(system.id, block, countries.get(system.site or ""),
                                             base=base)
    return out


def _ends(estate: Estate, flow: DataFlow) -> tuple[_Ends | None, str]:
    """The flow's two systems, or why the flow cannot be assessed."""
    systems = {s.id: s for s in estate.systems}
    a, b = systems.get(flow.system or ""), systems.get(flow.peer_system or "")
    if a is None or b is None:
        # not a flow between two systems of the estate: listed as not assessed in the summary
        return None, _NOT_BETWEEN_SYSTEMS
    for end in (a, b):
        if end.crypto is None:
            return None, f"system {end.id} declares no cryptography"
    gateway = systems.get(flow.crypto_gateway or "")
    if flow.crypto_gateway and (gateway is None or gateway.crypto is None):
        return None, f"gateway {flow.crypto_gateway} is unknown or declares no cryptography"
    if gateway is not None and gateway.crypto is not None:
        faces = {f.towards for f in gateway.crypto.gateway_faces}
        if not {a.id, b.id} <= faces:
            return None, (f"gateway {gateway.id} has no face towards "
                          + ", ".join(sorted({a.id, b.id} - faces)))
    # the engine takes ends in flow direction: the system sited at the flow's source first
    if b.site == flow.source and a.site != flow.source:
        a, b = b, a
    return _Ends(a, b, gateway), ""


def _not_assessed(flow: DataFlow, why: str) -> Finding:
    return Finding(
        id=finding_id(NAME, "flow-not-assessed", flow.id), analysis=NAME,
        rule="flow-not-assessed", severity=Severity.UNKNOWN,
        title=f"Flow {flow.id}: cryptographic interoperability not assessed — {why}",
        subject=Subject(kind=SubjectKind.DATA_FLOW, id=flow.id),
        evidence={"status": "not assessed", "reason": why},
        recommendation="Declare a `crypto` block on both systems of the flow and name the "
                       "other end with `peer_system`.")


def _assess_flow(engine: Interop, flow: DataFlow, ends: _Ends, endpoints: dict[str, Endpoint],
                 estate: Estate) -> tuple[str, Finding | None]:
    from stackrift.crypto.engine import InteropStatus

    a, b = endpoints[ends.source.id], endpoints[ends.target.id]
    assessed: FlowAssessment | PathAssessment
    if ends.gateway is not None:
        assessed = _via_gateway(engine, a, b, ends.gateway, estate)
        hops: tuple[FlowAssessment, ...] = assessed.hops
    else:
        assessed = engine.flow(a, b)
        hops = (assessed,)
    status = assessed.status
    if status is InteropStatus.INTEROPERABLE:
        return status.value, None
    severity = Severity.HIGH if status is InteropStatus.NO_COMMON_SUITE else Severity.MEDIUM
    via = f" via gateway {ends.gateway.id}" if ends.gateway else ""
    citations = tuple({c.source + (c.section or ""): c for h in hops for c in h.citations}
                      .values())
    remedies = [r.description for h in hops for r in h.remediations]
    return status.value, Finding(
        id=finding_id(NAME, _rule(status), flow.id), analysis=NAME, rule=_rule(status),
        severity=severity,
        title=f"Flow {flow.id}{via} ({a.id} → {b.id}): {status.value}",
        subject=Subject(kind=SubjectKind.DATA_FLOW, id=flow.id),
        related=tuple(Subject(kind=SubjectKind.SYSTEM, id=i) for i in (a.id, b.id)),
        evidence={"status": status.value, "hops": [_hop_json(h) for h in hops]},
        recommendation=" ".join(dict.fromkeys(remedies)) or None, citations=citations)


def _rule(status: object) -> str:
    return "no-common-suite" if str(status) == "no common suite" else "only-forbidden-suites"


def _hop_json(hop: FlowAssessment) -> dict[str, object]:
    return {"source": hop.source, "target": hop.target, "status": hop.status.value,
            "configurations": [{"configuration": v.configuration, "acceptable": v.acceptable,
                                "violations": [o.rule_id for o in v.violations]}
                               for v in hop.verdicts[:10]],
            "undetermined_rules": list(hop.undetermined_rules), "trace": list(hop.trace)}


def _via_gateway(engine: Interop, a: Endpoint, b: Endpoint, gateway: System,
                 estate: Estate) -> PathAssessment:
    from stackrift.crypto.endpoints import gateway_endpoints
    from stackrift.crypto.engine import PathAssessment

    assert gateway.crypto is not None
    country = {s.id: s.country for s in estate.sites}.get(gateway.site or "")
    faces = gateway_endpoints(gateway.id, gateway.crypto, country)
    return PathAssessment((engine.flow(a, faces[a.id]), engine.flow(faces[b.id], b)))


def _inventories(estate: Estate, registry: Registry, base: Path, as_of: date
                 ) -> tuple[list[tuple[str, int, int, int]], list[Finding]]:
    from stackrift.crypto.inventory import build_inventory

    rows: list[tuple[str, int, int, int]] = []
    findings: list[Finding] = []
    for system in estate.systems:
        if system.crypto is None:
            continue
        inv = build_inventory(system.crypto, registry, base=base, source=system.id)
        rows.append((system.id, len(inv.items), len(inv.quantum_vulnerable), len(inv.unknown)))
        if inv.quantum_vulnerable:
            names = sorted({i.name for i in inv.quantum_vulnerable})
            findings.append(Finding(
                id=finding_id(NAME, "quantum-vulnerable", system.id), analysis=NAME,
                rule="quantum-vulnerable", severity=Severity.LOW,
                title=f"{system.id}: {len(inv.quantum_vulnerable)} quantum-vulnerable "
                      "cryptographic asset(s)",
                subject=Subject(kind=SubjectKind.SYSTEM, id=system.id),
                evidence={"assets": names, "as_of": as_of.isoformat()},
                recommendation="Plan migration to ML-KEM/ML-DSA (FIPS 203/204) or hybrid "
                               "groups: NIST IR 8547 deprecates these after 2030 and "
                               "disallows them after 2035; CNSA 2.0 sets earlier dates for "
                               "national security systems.",
                citations=(IR8547, CNSA2)))
        if inv.unknown:
            findings.append(Finding(
                id=finding_id(NAME, "unknown-crypto-name", system.id), analysis=NAME,
                rule="unknown-crypto-name", severity=Severity.UNKNOWN,
                title=f"{system.id}: {len(inv.unknown)} declared name(s) not in the "
                      "algorithm registry; not assessed",
                subject=Subject(kind=SubjectKind.SYSTEM, id=system.id),
                evidence={"unknown": list(inv.unknown)},
                recommendation="Use IANA/TLCP names or 0xNNNN codes the registry knows."))
    return rows, findings


def _matrix(engine: Interop, ends: list[Endpoint]) -> Heatmap | None:
    """System × system interop status (row: source, column: target)."""
    if len(ends) < 2:
        return None
    return _grid("Interop matrix (system × system; 0 interoperable, 1 only forbidden, "
                 "2 no common suite)", engine, ends)


def _grid(title: str, engine: Interop, ends: list[Endpoint]) -> Heatmap:
    ids = tuple(e.id for e in ends)
    statuses = {(x.id, y.id): engine.flow(x, y).status.value
                for x in ends for y in ends if x.id != y.id}
    cells = tuple(tuple(statuses.get((r, c), "—") for c in ids) for r in ids)
    values = tuple(tuple(STATUS_VALUE.get(statuses.get((r, c), "")) for c in ids)
                   for r in ids)
    return Heatmap(title, ids, ids, values, cells)


def _regime_profiles() -> dict[str, EndpointFacts]:
    """Typical places a system runs, for the regime × regime matrix."""
    from stackrift.crypto.model import EndpointFacts

    return {"CN, MLPS level 3": EndpointFacts(country="CN", mlps_level=3, cii=False),
            "US federal / FedRAMP": EndpointFacts(country="US", federal=True, fedramp=True,
                                                  nss=False),
            "DE, high criticality": EndpointFacts(country="DE", cii=False, criticality="high"),
            "RU state system": EndpointFacts(country="RU", state_system=True),
            "SG, unregulated": EndpointFacts(country="SG")}


def _regime_matrix(engine: Interop) -> Heatmap:
    """Whether any configuration in the registry is acceptable to both places' rules."""
    from stackrift.crypto.engine import universal_endpoint

    ends = [universal_endpoint(name, facts, engine.registry)
            for name, facts in _regime_profiles().items()]
    return _grid("Interop matrix (regime × regime, the best any system could do; 0 "
                 "interoperable, 1 only forbidden, 2 no common suite)", engine, ends)
