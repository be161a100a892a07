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
    from stackrift.crypto.engine import FlowAssessment, Interop, InteropStatus, PathAssessment
    from stackrift.crypto.inventory import Inventory
    from stackrift.crypto.loader import Registry
    from stackrift.crypto.model import CryptoBlock, Endpoint, EndpointFacts, InventoryItem
    from stackrift.estate.loader import LoadedEstate
    from stackrift.estate.model import DataFlow, Estate, System
    from stackrift.plan.lawful import FlowJudge

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
MAX_MATRIX = 30
"""Most rows of the system × system matrix; beyond it, systems that offer the same and stand
under the same facts share a row."""


@dataclass
class _View:
    """What the analysis reads of the estate, built once: systems by id, each system's
    effective crypto block (its own over its site's defaults) and its endpoint."""

    estate: Estate
    base: Path
    systems: dict[str, System]
    countries: dict[str, str]
    blocks: dict[str, CryptoBlock]
    endpoints: dict[str, Endpoint]
    # system id -> "file: why" for each probe file of its block that could not be read
    unread_probes: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, estate: Estate, base: Path) -> _View:
        from stackrift.crypto.endpoints import system_blocks

        blocks = system_blocks(estate)
        countries = {site.id: site.country for site in estate.sites}
        view = cls(estate, base, {s.id: s for s in estate.systems}, countries, blocks, {})
        view.endpoints = _endpoints(view)
        return view


@dataclass
class _Run:
    """One run's engine, registry, transfer judge (made when a gateway needs it) and output."""

    engine: Interop
    registry: Registry
    context: AnalysisContext
    view: _View
    findings: list[Finding] = field(default_factory=list)
    flow_rows: list[tuple[str | None, ...]] = field(default_factory=list)
    hop_rows: list[tuple[str | None, ...]] = field(default_factory=list)
    _judge: FlowJudge | None = None

    def judge(self) -> FlowJudge:
        if self._judge is None:
            from stackrift.plan.lawful import FlowJudge

            self._judge = FlowJudge(self.context.rule_set())
        return self._judge


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
        view = _View.of(estate.estate, Path(estate.path).parent)
        run = _Run(engine, registry, context, view)
        for flow in estate.estate.data_flows:
            _flow(run, flow)
        inv_rows, inv_findings = _inventories(view, registry, context.as_of)
        run.findings += inv_findings
        return AnalysisResult(tuple(run.findings), _summary(run, inv_rows))


def _flow(run: _Run, flow: DataFlow) -> None:
    ends, why = _ends(run.view, flow, run.registry)
    if ends is None:
        run.flow_rows.append((flow.id, flow.system, flow.peer_system, "not assessed", why))
        if why != _NOT_BETWEEN_SYSTEMS:
            run.findings.append(_not_assessed(flow, why))
        return
    status, found = _assess_flow(run, flow, ends)
    run.flow_rows.append((flow.id, ends.source.id, ends.target.id, status, None))
    run.findings += found


def _summary(run: _Run, inv_rows: list[tuple[str, int, int, int]]) -> dict[str, object]:
    view = run.view
    chart = _matrix(run.engine, [view.endpoints[s.id] for s in view.estate.systems
                                 if s.id in view.endpoints
                                 and not view.blocks[s.id].gateway_faces])
    tables = [Table.of("Flows between systems", ("flow", "from system", "to system", "status",
                                                  "not assessed because"), run.flow_rows),
              Table.of("Cryptographic inventory", ("system", "items", "quantum-vulnerable",
                                                    "unknown names"), inv_rows)]
    if run.hop_rows:
        tables.append(Table.of("Gateway hops as data transfers",
                               ("flow", "hop", "from", "to", "transfer verdict", "lawful",
                                "missing mechanisms"), run.hop_rows))
    charts = [_regime_matrix(run.engine), *([chart] if chart is not None else [])]
    summary = summary_json(tables, charts)
    declared = len(view.blocks)
    summary["systems_declaring_crypto"] = declared
    not_assessed = sum(1 for r in run.flow_rows if r[3] == "not assessed")
    summary["not_assessed_flows"] = not_assessed
    summary["caveat"] = (f"{not_assessed} of {len(run.flow_rows)} flow(s) not assessed for "
                         "cryptographic interoperability (see the flows table); "
                         f"{declared} system(s) declare their cryptography (their own block "
                         "or their site's).")
    return summary


_NOT_BETWEEN_SYSTEMS = "the flow does not name both systems (`system` and `peer_system`)"


def _endpoints(view: _View) -> dict[str, Endpoint]:
    from stackrift.crypto.endpoints import endpoint_from_block

    out: dict[str, Endpoint] = {}
    for system_id, block in view.blocks.items():
        system = view.systems[system_id]
        if block.facts.criticality is None:
            # the system's criticality is known to the estate; regimes test it
            block = block.model_copy(update={"facts": block.facts.model_copy(
                update={"criticality": system.criticality.value})})
        out[system_id] = endpoint_from_block(system_id, block,
                                             view.countries.get(system.site or ""),
                                             base=view.base,
                                             unread=view.unread_probes.setdefault(system_id, []))
    return out


def _ends(view: _View, flow: DataFlow, registry: Registry) -> tuple[_Ends | None, str]:
    """The flow's two systems, or why the flow cannot be assessed."""
    a, b = view.systems.get(flow.system or ""), view.systems.get(flow.peer_system or "")
    if a is None or b is None:
        # not a flow between two systems of the estate: listed as not assessed in the summary
        return None, _NOT_BETWEEN_SYSTEMS
    for end in (a, b):
        if end.id not in view.blocks:
            return None, f"system {end.id} declares no cryptography (nor does its site)"
    gateway = view.systems.get(flow.crypto_gateway or "")
    if flow.crypto_gateway and (gateway is None or gateway.id not in view.blocks):
        return None, f"gateway {flow.crypto_gateway} is unknown or declares no cryptography"
    if gateway is not None:
        faces = {f.towards for f in view.blocks[gateway.id].gateway_faces}
        if not {a.id, b.id} <= faces:
            return None, (f"gateway {gateway.id} has no face towards "
                          + ", ".join(sorted({a.id, b.id} - faces)))
    if flow.crypto is not None:
        from stackrift.crypto.endpoints import unknown_pins

        unknown = unknown_pins(flow.crypto, registry)
        if unknown:
            return None, ("the flow pins names the registry does not know: "
                          + ", ".join(unknown))
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
        recommendation="Declare a `crypto` block on both systems of the flow (or their sites) "
                       "and name the other end with `peer_system`; pin only names the "
                       "registry knows.")


def _hops(run: _Run, flow: DataFlow, ends: _Ends) -> list[tuple[Endpoint, Endpoint]]:
    """The connections that carry the flow: one, or two through a gateway's faces."""
    view = run.view
    a, b = view.endpoints[ends.source.id], view.endpoints[ends.target.id]
    if ends.gateway is None:
        return [(a, b)]
    from stackrift.crypto.endpoints import gateway_endpoints

    gateway = ends.gateway
    faces = gateway_endpoints(gateway.id, view.blocks[gateway.id],
                              view.countries.get(gateway.site or ""))
    return [(a, faces[a.id]), (faces[b.id], b)]


def _pinned_hops(run: _Run, flow: DataFlow, hops: list[tuple[Endpoint, Endpoint]]
                 ) -> tuple[list[tuple[Endpoint, Endpoint]], list[str]]:
    """The hops narrowed to what the flow's own block pins (on every hop), and every end that
    cannot carry the pin."""
    if flow.crypto is None:
        return hops, []
    from stackrift.crypto.endpoints import pinned

    narrowed: list[tuple[Endpoint, Endpoint]] = []
    unmet: list[str] = []
    for x, y in hops:
        (px, ux), (py, uy) = (pinned(e, flow.crypto, run.registry) for e in (x, y))
        narrowed.append((px, py))
        unmet += [*ux, *uy]
    return narrowed, list(dict.fromkeys(unmet))


def _assess_flow(run: _Run, flow: DataFlow, ends: _Ends) -> tuple[str, list[Finding]]:
    from stackrift.crypto.engine import InteropStatus, PathAssessment

    hops, unmet = _pinned_hops(run, flow, _hops(run, flow, ends))
    assessed = PathAssessment(tuple(run.engine.flow(x, y) for x, y in hops))
    status = InteropStatus.NO_COMMON_SUITE if unmet else assessed.status
    transfers = _gateway_transfers(run, flow, ends) if ends.gateway is not None else []
    found = [f for f in (_transfer_finding(flow, ends, transfers),) if f is not None]
    if status is InteropStatus.INTEROPERABLE:
        return status.value, found
    return status.value, [_interop_finding(flow, ends, assessed, status, unmet, transfers),
                          *found]


def _interop_finding(flow: DataFlow, ends: _Ends, assessed: PathAssessment,
                     status: InteropStatus, unmet: list[str],
                     transfers: list[_HopTransfer]) -> Finding:
    from stackrift.crypto.engine import InteropStatus

    severity = Severity.HIGH if status is InteropStatus.NO_COMMON_SUITE else Severity.MEDIUM
    rule = "pinned-crypto-unsupported" if unmet else _rule(status)
    via = f" via gateway {ends.gateway.id}" if ends.gateway else ""
    hops = assessed.hops
    citations = tuple({c.source + (c.section or ""): c for h in hops for c in h.citations}
                      .values())
    remedies = [r.description for h in hops for r in h.remediations]
    if unmet:
        remedies.insert(0, "Offer the pinned values at both ends, or change what the flow "
                           "pins to something both ends offer and both regimes accept.")
    evidence: dict[str, object] = {"status": status.value,
                                   "hops": [_hop_json(h) for h in hops]}
    if unmet:
        evidence["pinned_by_flow"] = {k: list(v) for k, v in
                                      (flow.crypto.pins() if flow.crypto else {}).items()}
        evidence["pin_not_offered"] = unmet
    if transfers:
        evidence["gateway_transfers"] = [t.to_json() for t in transfers]
    source, target = ends.source.id, ends.target.id
    return Finding(
        id=finding_id(NAME, rule, flow.id), analysis=NAME, rule=rule, severity=severity,
        title=(f"Flow {flow.id}{via} ({source} → {target}): "
               + (f"pinned crypto not offered — {unmet[0]}" if unmet else status.value)),
        subject=Subject(kind=SubjectKind.DATA_FLOW, id=flow.id),
        related=tuple(Subject(kind=SubjectKind.SYSTEM, id=i) for i in (source, target)),
        evidence=evidence,
        recommendation=" ".join(dict.fromkeys(remedies)) or None, citations=citations)


@dataclass(frozen=True)
class _HopTransfer:
    """The transfers engine's verdict on one hop through a gateway."""

    hop: str
    origin: str | None
    destination: str | None
    verdict: str
    lawful: bool
    missing: tuple[str, ...] = ()
    rules_fired: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()
    reason: str | None = None

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "hop": self.hop, "from": self.origin, "to": self.destination,
            "verdict": self.verdict, "lawful": self.lawful,
            "mechanisms_missing": list(self.missing), "rules_fired": list(self.rules_fired),
            "citations": list(self.citations)}
        if self.reason:
            data["reason"] = self.reason
        return data

    def describe(self) -> str:
        missing = f", missing {', '.join(self.missing)}" if self.missing else ""
        return f"{self.hop} ({self.origin} → {self.destination}): {self.verdict}{missing}"


def _gateway_transfers(run: _Run, flow: DataFlow, ends: _Ends) -> list[_HopTransfer]:
    """The data-transfer verdict of each hop through the gateway's site (origin → gateway
    site → destination), from the transfers engine through the planner's one door to it. The
    data is in clear text inside the gateway, so each hop is a transfer of its own."""
    assert ends.gateway is not None
    site = ends.gateway.site
    out: list[_HopTransfer] = []
    for label, origin, destination, recipient in (
            ("to gateway", flow.source, site, None),
            ("from gateway", site, flow.destination, flow.recipient)):
        if origin is None or destination is None:
            done = _HopTransfer(label, origin, destination, "undetermined", False,
                                reason=f"gateway {ends.gateway.id} names no site")
        elif origin == destination:
            done = _HopTransfer(label, origin, destination, "not_applicable", True,
                                reason="same site: no transfer")
        else:
            hop = flow.model_copy(update={
                "id": f"{flow.id}:{label.replace(' ', '-')}", "source": origin,
                "destination": destination, "recipient": recipient})
            judged = run.judge().judge_alone(run.view.estate, hop, run.context.as_of)
            done = _HopTransfer(label, origin, destination, judged.verdict, judged.lawful,
                                judged.missing, judged.rules_fired,
                                tuple(str(c) for c in judged.citations))
        out.append(done)
        run.hop_rows.append((flow.id, label, origin, destination, done.verdict,
                             "yes" if done.lawful else "no", ", ".join(done.missing) or "none"))
    return out


def _transfer_finding(flow: DataFlow, ends: _Ends,
                      transfers: list[_HopTransfer]) -> Finding | None:
    """A gateway hop that is not a lawful transfer (prohibited: high; else medium)."""
    bad = [t for t in transfers if not t.lawful]
    if not bad or ends.gateway is None:
        return None
    prohibited = any(t.verdict == "prohibited" for t in bad)
    return Finding(
        id=finding_id(NAME, "gateway-hop-transfer", flow.id), analysis=NAME,
        rule="gateway-hop-transfer", severity=Severity.HIGH if prohibited else Severity.MEDIUM,
        title=(f"Flow {flow.id} through gateway {ends.gateway.id}: a hop is not a lawful data "
               f"transfer — {'; '.join(t.describe() for t in bad)}"),
        subject=Subject(kind=SubjectKind.DATA_FLOW, id=flow.id),
        related=(Subject(kind=SubjectKind.SYSTEM, id=ends.gateway.id),),
        evidence={"gateway": ends.gateway.id, "gateway_site": ends.gateway.site,
                  "gateway_transfers": [t.to_json() for t in transfers]},
        recommendation=("The data is in clear text inside the gateway: put the missing "
                        "mechanisms in place for each hop, or place the gateway where both "
                        "hops are lawful transfers (see the transfers analysis)."))


def _rule(status: object) -> str:
    return "no-common-suite" if str(status) == "no common suite" else "only-forbidden-suites"


def _hop_json(hop: FlowAssessment) -> dict[str, object]:
    return {"source": hop.source, "target": hop.target, "status": hop.status.value,
            "configurations": [{"configuration": v.configuration, "acceptable": v.acceptable,
                                "violations": [o.rule_id for o in v.violations]}
                               for v in hop.verdicts[:10]],
            "undetermined_rules": list(hop.undetermined_rules), "trace": list(hop.trace)}


def _inventories(view: _View, registry: Registry, as_of: date
                 ) -> tuple[list[tuple[str, int, int, int]], list[Finding]]:
    from stackrift.crypto.inventory import build_inventory

    rows: list[tuple[str, int, int, int]] = []
    findings: list[Finding] = []
    files: dict[str, tuple[InventoryItem, ...] | str] = {}  # a site's CBOM is read once
    for system in view.estate.systems:
        block = view.blocks.get(system.id)
        if block is None:
            continue
        inv = build_inventory(block, registry, base=view.base, source=system.id,
                              files=files, strict=False)
        rows.append((system.id, len(inv.items), len(inv.quantum_vulnerable), len(inv.unknown)))
        findings += _inventory_findings(system, inv, as_of)
        unread = [*inv.unread, *view.unread_probes.get(system.id, ())]
        if unread:
            findings.append(_files_not_read(system, unread))
    return rows, findings


def _files_not_read(system: System, unread: list[str]) -> Finding:
    """Fail closed: what a file would have told is unknown, so the finding's severity is
    unknown (gated by ``--unknown-severity-as``) and says what was not looked at."""
    return Finding(
        id=finding_id(NAME, "file-not-read", system.id), analysis=NAME, rule="file-not-read",
        severity=Severity.UNKNOWN,
        title=f"{system.id}: {len(unread)} cryptography file(s) could not be read; its "
              "inventory and handshake verdicts leave them out",
        subject=Subject(kind=SubjectKind.SYSTEM, id=system.id, field="crypto"),
        evidence={"status": "not looked at", "files": unread},
        recommendation="Make the files available beside the estate (paths are relative to the "
                       "estate file) or remove them from the crypto block, then assess again.")


def _inventory_findings(system: System, inv: Inventory, as_of: date) -> list[Finding]:
    findings: list[Finding] = []
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
    return findings


def _matrix(engine: Interop, ends: list[Endpoint]) -> Heatmap | None:
    """System × system interop status (row: source, column: target)."""
    if len(ends) < 2:
        return None
    title = ("Interop matrix (system × system; 0 interoperable, 1 only forbidden, "
             "2 no common suite)")
    if len(ends) > MAX_MATRIX:
        # a thousand systems make a million cells no one reads: one row per distinct
        # (offer, facts) class, named by its first system and how many more share it
        classes: dict[tuple[object, object], list[Endpoint]] = {}
        for end in ends:
            classes.setdefault((end.profile, end.facts), []).append(end)
        ends = [group[0].model_copy(update={"id": group[0].id + (
            f" (+{len(group) - 1})" if len(group) > 1 else "")})
            for group in list(classes.values())[:MAX_MATRIX]]
        title += (f"; {len(classes)} distinct profile(s) among the systems, one row each"
                  + (f", the first {MAX_MATRIX} shown" if len(classes) > MAX_MATRIX else ""))
    return _grid(title, engine, ends)


def _grid(title: str, engine: Interop, ends: list[Endpoint]) -> Heatmap:
    ids = tuple(e.id for e in ends)
    statuses = {(x.id, y.id): engine.status(x, y).value
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
