"""Which requirements apply to a system on a date, from when, and why; and how far declared
controls meet them.

Pure functions over a :class:`~stackrift.compliance.loader.ComplianceLibrary` and
:class:`~stackrift.compliance.conditions.SystemFacts`. Each verdict carries its trace: the facts
that decided it, the facts that were missing (``undetermined``, never a silent "not applicable"),
and citations for the framework and for the date rule used.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from enum import StrEnum
from operator import attrgetter

from stackrift.compliance.conditions import (
    AllOf,
    Check,
    CheckResult,
    SystemFacts,
    Truth,
    facts_read,
    to_check,
)
from stackrift.compliance.loader import ComplianceLibrary, RequirementRef
from stackrift.compliance.model import (
    Binding,
    Control,
    ControlCatalogue,
    ControlStatus,
    DatedApplication,
    Relation,
    RequirementKind,
)
from stackrift.findings import Citation


class Applicability(StrEnum):
    """Whether a requirement applies to a system on the as-of date."""

    APPLIES = "applies"
    FUTURE = "future"  # applies to this system from a later date
    NOT_APPLICABLE = "not_applicable"
    UNDETERMINED = "undetermined"  # a fact it depends on is unknown
    ENDED = "ended"


@dataclass(frozen=True, kw_only=True)
class ObligationVerdict:
    """One requirement for one system: status, start date, trace and citations."""

    system_id: str
    ref: str
    framework_id: str
    jurisdiction: str | None
    binding: Binding
    kind: RequirementKind
    title: str
    status: Applicability
    applies_from: date | None
    reasons: tuple[str, ...]
    missing: tuple[str, ...]
    citations: tuple[Citation, ...]

    def for_system(self, system_id: str) -> ObligationVerdict:
        """The same verdict for another system with the same facts."""
        return ObligationVerdict(
            system_id=system_id, ref=self.ref, framework_id=self.framework_id,
            jurisdiction=self.jurisdiction, binding=self.binding, kind=self.kind,
            title=self.title, status=self.status, applies_from=self.applies_from,
            reasons=self.reasons, missing=self.missing, citations=self.citations)

    @property
    def in_scope(self) -> bool:
        """Applies now or will: what a control plan has to discharge."""
        return self.status in (Applicability.APPLIES, Applicability.FUTURE)


def _rule_valid(entry: DatedApplication, as_of: date) -> bool:
    return ((entry.rule_valid_from is None or entry.rule_valid_from <= as_of)
            and (entry.rule_valid_until is None or as_of <= entry.rule_valid_until))


@dataclass(frozen=True)
class _Known:
    """A check whose result is already known (the framework's conditions)."""

    result: CheckResult

    def evaluate(self, facts: SystemFacts) -> CheckResult:
        return self.result


@dataclass(frozen=True)
class _Compiled:
    """A requirement with its checks built and its citations made once."""

    item: RequirementRef
    framework_check: Check
    check: Check
    schedule: tuple[tuple[DatedApplication, Check, Citation], ...]
    citation: Citation


def _compile(item: RequirementRef) -> _Compiled:
    fw, req = item.framework, item.requirement
    return _Compiled(
        item=item, framework_check=to_check(fw.applies_when), check=to_check(req.applies_when),
        schedule=tuple((e, to_check(e.when), e.source.citation(in_force_from=e.applies_from))
                       for e in req.schedule),
        citation=fw.source.citation(in_force_from=fw.in_force_from,
                                    in_force_until=fw.in_force_until))


@dataclass(frozen=True)
class _Dating:
    applies_from: date | None
    citation: Citation | None
    missing: tuple[str, ...] = ()


def _dating(compiled: _Compiled, facts: SystemFacts, as_of: date) -> _Dating:
    """The first schedule entry in force on ``as_of`` whose conditions hold; an earlier entry
    whose conditions are unknown leaves the date undetermined."""
    for entry, check, citation in compiled.schedule:
        if not _rule_valid(entry, as_of):
            continue
        result = check.evaluate(facts)
        if result.truth is Truth.TRUE:
            return _Dating(entry.applies_from, citation)
        if result.truth is Truth.UNKNOWN:
            return _Dating(None, citation, result.missing)
    return _Dating(compiled.item.framework.in_force_from, None)


@dataclass(frozen=True)
class _Outcome:
    """What was decided for one requirement, before it is stamped with system and sources."""

    status: Applicability
    reasons: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    applies_from: date | None = None
    dated_by: Citation | None = None


def _verdict(compiled: _Compiled, facts: SystemFacts, outcome: _Outcome) -> ObligationVerdict:
    fw, req = compiled.item.framework, compiled.item.requirement
    citations = (compiled.citation,) if outcome.dated_by is None else (
        compiled.citation, outcome.dated_by)
    return ObligationVerdict(
        system_id=facts.system_id, ref=compiled.item.ref, framework_id=fw.id,
        jurisdiction=fw.jurisdiction, binding=fw.binding, kind=req.kind, title=req.title,
        status=outcome.status, applies_from=outcome.applies_from, reasons=outcome.reasons,
        missing=outcome.missing, citations=citations)


def _decide(compiled: _Compiled, facts: SystemFacts, as_of: date,
            framework_result: CheckResult | None) -> _Outcome:
    fw, req = compiled.item.framework, compiled.item.requirement
    outer = framework_result or compiled.framework_check.evaluate(facts)
    result = outer if outer.truth is Truth.FALSE else AllOf(
        (_Known(outer), compiled.check)).evaluate(facts)
    if result.truth is Truth.FALSE:
        return _Outcome(Applicability.NOT_APPLICABLE, result.reasons)
    if result.truth is Truth.UNKNOWN:
        return _Outcome(Applicability.UNDETERMINED, result.reasons, result.missing)
    ended = min((d for d in (fw.in_force_until, req.applies_until) if d is not None),
                default=None)
    if ended is not None and ended < as_of:
        return _Outcome(Applicability.ENDED, (
            *result.reasons, f"no longer in force after {ended.isoformat()}"))
    dating = _dating(compiled, facts, as_of)
    if dating.missing:
        return _Outcome(Applicability.UNDETERMINED, (
            *result.reasons, "applies, but its start date depends on a missing fact"),
            dating.missing, dated_by=dating.citation)
    start = dating.applies_from
    status = Applicability.FUTURE if start is not None and start > as_of else \
        Applicability.APPLIES
    when = f"from {start.isoformat()}" if start else "date not stated by the framework"
    return _Outcome(status, (*result.reasons, when), applies_from=start,
                    dated_by=dating.citation)


def _evaluate(compiled: _Compiled, facts: SystemFacts, as_of: date,
              framework_result: CheckResult | None = None) -> ObligationVerdict:
    """``framework_result``: the framework's own conditions already evaluated on these facts
    (shared by all its requirements)."""
    return _verdict(compiled, facts, _decide(compiled, facts, as_of, framework_result))


def evaluate_requirement(item: RequirementRef, facts: SystemFacts, as_of: date
                         ) -> ObligationVerdict:
    """One requirement for one system on ``as_of``, with its trace."""
    return _evaluate(_compile(item), facts, as_of)


def evaluate_system(library: ComplianceLibrary, facts: SystemFacts, as_of: date
                    ) -> tuple[ObligationVerdict, ...]:
    """Every requirement of every framework for one system, sorted by reference."""
    return evaluate_systems(library, [facts], as_of)


_FACT_FIELDS = tuple(f.name for f in fields(SystemFacts) if f.name != "system_id")


def _projection(checks: Sequence[Check]) -> tuple[str, ...]:
    """The facts these checks read, in a fixed order; every fact when one check cannot say."""
    read = [facts_read(c) for c in checks]
    if any(r is None for r in read):
        return _FACT_FIELDS
    names = frozenset().union(*(r for r in read if r is not None))
    return tuple(sorted(names))


def _key_of(names: tuple[str, ...]) -> Callable[[SystemFacts], object]:
    """What a system's facts look like to checks reading ``names`` (a cache key)."""
    if not names:
        return lambda facts: ()
    return attrgetter(*names)


def evaluate_systems(library: ComplianceLibrary, systems: Sequence[SystemFacts], as_of: date
                     ) -> tuple[ObligationVerdict, ...]:
    """Every requirement for every system, sorted by system then reference.

    A requirement's outcome depends only on the facts its checks read, so it is decided once per
    distinct value of those facts and shared by every system that has them (estates repeat
    profiles, and most requirements read two or three facts)."""
    compiled = [_compile(library.index[ref]) for ref in sorted(library.index)]
    framework_keys: dict[str, Callable[[SystemFacts], object]] = {}
    for c in compiled:
        if c.item.framework.id not in framework_keys:
            framework_keys[c.item.framework.id] = _key_of(_projection([c.framework_check]))
    reads = [_projection([c.framework_check, c.check, *(e[1] for e in c.schedule)])
             for c in compiled]
    outer_cache: dict[tuple[str, object], CheckResult] = {}
    decided: list[dict[object, ObligationVerdict]] = [{} for _ in compiled]
    keys = [_key_of(names) for names in reads]
    out: list[ObligationVerdict] = []
    for facts in sorted(systems, key=lambda f: f.system_id):
        for c, key_of, cache in zip(compiled, keys, decided, strict=True):
            key = key_of(facts)
            shared = cache.get(key)
            if shared is None:
                fid = c.item.framework.id
                outer_key = (fid, framework_keys[fid](facts))
                outer = outer_cache.get(outer_key)
                if outer is None:
                    outer = outer_cache[outer_key] = c.framework_check.evaluate(facts)
                shared = cache[key] = _verdict(c, facts, _decide(c, facts, as_of, outer))
            out.append(shared if shared.system_id == facts.system_id
                       else shared.for_system(facts.system_id))
    return tuple(out)


# --- what meeting one requirement does for another, through the crosswalk -------------------

@dataclass(frozen=True)
class Implications:
    """For each requirement, those it fully covers (itself included) and those it partly covers."""

    full: Mapping[str, frozenset[str]]
    partial: Mapping[str, frozenset[str]]

    def covers(self, ref: str) -> frozenset[str]:
        return self.full.get(ref, frozenset({ref}))

    def partly_covers(self, ref: str) -> frozenset[str]:
        return self.partial.get(ref, frozenset())


_FULL_FORWARD = {Relation.EQUAL, Relation.SUPERSET}  # meeting the source meets the target
_FULL_BACKWARD = {Relation.EQUAL, Relation.SUBSET}  # meeting the target meets the source


def implications(library: ComplianceLibrary) -> Implications:
    """Full coverage is transitive (equal/superset chains); partial coverage is one step from
    anything fully covered (intersects, or the weaker side of subset/superset)."""
    full_edges: dict[str, set[str]] = {}
    partial_edges: dict[str, set[str]] = {}
    for crosswalk in library.crosswalks:
        for m in crosswalk.mappings:
            (full_edges if m.relation in _FULL_FORWARD else partial_edges).setdefault(
                m.source, set()).add(m.target)
            (full_edges if m.relation in _FULL_BACKWARD else partial_edges).setdefault(
                m.target, set()).add(m.source)
    full: dict[str, frozenset[str]] = {}
    partial: dict[str, frozenset[str]] = {}
    for ref in library.index:
        seen = {ref}
        queue = deque([ref])
        while queue:
            for nxt in full_edges.get(queue.popleft(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        full[ref] = frozenset(seen)
        partial[ref] = frozenset(p for s in seen for p in partial_edges.get(s, ())) - seen
    return Implications(full, partial)


# --- status of obligations against declared controls ----------------------------------------

class MetStatus(StrEnum):
    """How far declared controls meet an obligation."""

    MET = "met"
    PARTIAL = "partial"
    MISSING = "missing"


@dataclass(frozen=True, kw_only=True)
class ObligationStatus:
    """An in-scope verdict with the controls and evidence that meet it."""

    verdict: ObligationVerdict
    status: MetStatus
    met_by: tuple[str, ...]
    partly_by: tuple[str, ...]
    evidence: tuple[str, ...]


def control_applies_to(control: Control, system_id: str) -> bool:
    return control.systems is None or system_id in control.systems


def _controls_by_requirement(catalogue: ControlCatalogue, implied: Implications
                             ) -> dict[str, list[tuple[Control, bool]]]:
    """For each requirement, the controls that count towards it (in catalogue order) and
    whether each could meet it fully; planned and absent controls count for nothing."""
    by_ref: dict[str, list[tuple[Control, bool]]] = {}
    for control in catalogue.controls:
        if control.status in (ControlStatus.PLANNED, ControlStatus.NOT_IMPLEMENTED):
            continue
        covered = set().union(*(implied.covers(r) for r in control.satisfies))
        partly = set().union(*(implied.partly_covers(r) for r in control.satisfies)) - covered
        full = control.status is ControlStatus.IMPLEMENTED
        for ref in covered:
            by_ref.setdefault(ref, []).append((control, full))
        for ref in partly:
            by_ref.setdefault(ref, []).append((control, False))
    order = {c.id: i for i, c in enumerate(catalogue.controls)}
    for entries in by_ref.values():
        entries.sort(key=lambda e: order[e[0].id])
    return by_ref


def obligation_status(verdicts: Sequence[ObligationVerdict], catalogue: ControlCatalogue,
                      implied: Implications) -> tuple[ObligationStatus, ...]:
    """Met / partially met / missing for each in-scope verdict. Only implemented controls meet
    an obligation; a partial control, or a crosswalk relation short of covering, counts as
    partial; planned and absent controls count for nothing."""
    by_ref = _controls_by_requirement(catalogue, implied)
    out: list[ObligationStatus] = []
    for verdict in (v for v in verdicts if v.in_scope):
        full: list[Control] = []
        part: list[Control] = []
        for control, meets in by_ref.get(verdict.ref, ()):
            if control_applies_to(control, verdict.system_id):
                (full if meets else part).append(control)
        status = MetStatus.MET if full else MetStatus.PARTIAL if part else MetStatus.MISSING
        evidence = tuple(sorted({e.location for c in full + part for e in c.evidence}))
        out.append(ObligationStatus(verdict=verdict, status=status,
                                    met_by=tuple(c.id for c in full),
                                    partly_by=tuple(c.id for c in part), evidence=evidence))
    return tuple(out)


@dataclass(frozen=True, kw_only=True)
class StatusCount:
    """Obligations met, partly met and missing for one system in one jurisdiction."""

    system_id: str
    jurisdiction: str
    met: int
    partial: int
    missing: int


def status_counts(statuses: Sequence[ObligationStatus]) -> tuple[StatusCount, ...]:
    """Per system × jurisdiction ('global' for frameworks without one), sorted."""
    counts: dict[tuple[str, str], dict[MetStatus, int]] = {}
    for s in statuses:
        key = (s.verdict.system_id, s.verdict.jurisdiction or "global")
        bucket = counts.setdefault(key, dict.fromkeys(MetStatus, 0))
        bucket[s.status] += 1
    return tuple(StatusCount(system_id=k[0], jurisdiction=k[1], met=v[MetStatus.MET],
                             partial=v[MetStatus.PARTIAL], missing=v[MetStatus.MISSING])
                 for k, v in sorted(counts.items()))


def evidence_reuse(statuses: Sequence[ObligationStatus]) -> dict[str, tuple[str, ...]]:
    """Evidence locations that serve obligations of more than one framework, with those
    frameworks: the evidence packs a team need not build twice."""
    used: dict[str, set[str]] = {}
    for s in statuses:
        for location in s.evidence:
            used.setdefault(location, set()).add(s.verdict.framework_id)
    return {loc: tuple(sorted(fws)) for loc, fws in sorted(used.items()) if len(fws) > 1}
