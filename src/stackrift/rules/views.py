"""What the transfers and rules commands show: one evaluation, JSON shapes, the verdict matrix."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from stackrift.estate.model import Estate
from stackrift.findings import Citation
from stackrift.rules.engine import (
    DISCLAIMER,
    ConflictHit,
    FlowVerdict,
    SubjectVerdict,
    detect_conflicts,
    evaluate_estate,
    evaluate_sites,
    evaluate_systems,
)
from stackrift.rules.loader import RuleSet
from stackrift.rules.model import Conflict, Rule


@dataclass(frozen=True)
class TransfersResult:
    """Every verdict and conflict for one estate, as of one date."""

    as_of: date
    flows: tuple[FlowVerdict, ...]
    systems: tuple[SubjectVerdict, ...]
    sites: tuple[SubjectVerdict, ...]
    conflicts: tuple[ConflictHit, ...]
    rules: RuleSet


def evaluate_all(estate: Estate, as_of: date, rules: RuleSet) -> TransfersResult:
    """Flows, systems, sites and conflicts in one go."""
    return TransfersResult(as_of, evaluate_estate(estate, as_of, rules),
                           evaluate_systems(estate, as_of, rules),
                           evaluate_sites(estate, as_of, rules),
                           detect_conflicts(estate, as_of, rules), rules)


def citation_json(citation: Citation) -> dict[str, Any]:
    """A citation as JSON, with its in-force dates, confidence and when it was checked."""
    return {"text": str(citation), "source": citation.source, "section": citation.section,
            "url": citation.url,
            "in_force_from": citation.in_force_from.isoformat() if citation.in_force_from else None,
            "in_force_until": (citation.in_force_until.isoformat() if citation.in_force_until
                               else None),
            "confidence": citation.confidence,
            "checked_on": citation.checked_on.isoformat() if citation.checked_on else None,
            "unverified_reason": citation.unverified_reason}


def _citations_json(citations: tuple[Citation, ...],
                    seen: dict[int, dict[str, Any]] | None) -> list[dict[str, Any]]:
    """``citation_json`` of each; ``seen`` keeps each citation's JSON by identity, since
    thousands of verdicts cite the same few dozen rule citations."""
    if seen is None:
        return [citation_json(c) for c in citations]
    out = []
    for citation in citations:
        found = seen.get(id(citation))
        if found is None:
            found = seen[id(citation)] = citation_json(citation)
        out.append(found)
    return out


def flow_json(verdict: FlowVerdict, seen: dict[int, dict[str, Any]] | None = None
              ) -> dict[str, Any]:
    """One flow verdict as JSON (``seen``: see ``_citations_json``)."""
    return {"id": verdict.flow_id, "origin": verdict.origin, "destination": verdict.destination,
            "verdict": verdict.verdict.value, "lawful": verdict.lawful,
            "regimes": list(verdict.regimes),
            "mechanisms_required": list(verdict.mechanisms_required),
            "mechanisms_missing": list(verdict.mechanisms_missing),
            "obligations": list(verdict.obligations), "rules_fired": list(verdict.rules_fired),
            "rules_undetermined": list(verdict.rules_undetermined),
            "missing_facts": list(verdict.missing_facts),
            "rules_holding": list(verdict.rules_holding),
            "citations": _citations_json(verdict.citations, seen),
            "trace": list(verdict.trace)}


def subject_json(verdict: SubjectVerdict) -> dict[str, Any]:
    """One system or site verdict as JSON."""
    return {"id": verdict.subject_id, "kind": verdict.kind.value,
            "verdict": verdict.verdict.value, "regimes": list(verdict.regimes),
            "obligations": list(verdict.obligations), "rules_fired": list(verdict.rules_fired),
            "rules_undetermined": list(verdict.rules_undetermined),
            "citations": [citation_json(c) for c in verdict.citations],
            "trace": list(verdict.trace)}


def conflict_json(hit: ConflictHit) -> dict[str, Any]:
    """One detected conflict as JSON, with both sides' citations."""
    return {"id": hit.conflict_id, "title": hit.title, "subject": {"kind": hit.kind.value,
                                                                     "id": hit.subject_id},
            "related": [{"kind": k, "id": i} for k, i in hit.related],
            "sides": [{"regime": r, "demand": d, "citation": citation_json(c)}
                      for r, d, c in zip(hit.regimes, hit.demands, hit.citations, strict=True)],
            "why": hit.why, "resolutions": list(hit.resolutions), "severity": hit.severity,
            "confidence": hit.confidence, "trace": list(hit.trace)}


def matrix(flows: tuple[FlowVerdict, ...]) -> tuple[list[str], list[str], list[list[str]],
                                                     list[list[int | None]]]:
    """Origins, destinations, cell texts (verdict counts) and cell values (worst verdict rank)."""
    origins = sorted({f.origin or "?" for f in flows})
    destinations = sorted({f.destination or "?" for f in flows})
    by_cell: dict[tuple[str, str], list[FlowVerdict]] = {}
    for flow in flows:
        by_cell.setdefault((flow.origin or "?", flow.destination or "?"), []).append(flow)
    cells: list[list[str]] = []
    values: list[list[int | None]] = []
    for origin in origins:
        row_text: list[str] = []
        row_value: list[int | None] = []
        for destination in destinations:
            here = by_cell.get((origin, destination), [])
            counts = Counter(f.verdict for f in here)
            row_text.append(", ".join(f"{n} {v.value}" for v, n in
                                      sorted(counts.items(), key=lambda kv: -kv[0].rank)))
            row_value.append(max((f.verdict.rank for f in here), default=None))
        cells.append(row_text)
        values.append(row_value)
    return origins, destinations, cells, values


def sources_json(rules: RuleSet) -> list[dict[str, Any]]:
    """The packs a result rests on."""
    return [{"pack": p.pack.pack, "title": p.pack.title, "version": p.pack.version,
             "file": p.path, "packaged": p.packaged, "rules": len(p.pack.rules),
             "conflicts": len(p.pack.conflicts)} for p in rules.packs]


def transfers_json(result: TransfersResult, estate_path: str) -> dict[str, Any]:
    """The JSON document printed by ``stackrift transfers --format json``."""
    origins, destinations, cells, _ = matrix(result.flows)
    seen: dict[int, dict[str, Any]] = {}
    return {"disclaimer": DISCLAIMER, "as_of": result.as_of.isoformat(), "estate": estate_path,
            "sources": sources_json(result.rules),
            "matrix": {"origins": origins, "destinations": destinations, "cells": cells},
            "flows": [flow_json(f, seen) for f in result.flows],
            "systems": [subject_json(s) for s in result.systems if s.rules_fired],
            "sites": [subject_json(s) for s in result.sites if s.rules_fired],
            "conflicts": [conflict_json(c) for c in result.conflicts]}


def rule_json(rules: RuleSet, rule: Rule) -> dict[str, Any]:
    """One rule as JSON (``rules list --json`` and ``rules show``)."""
    pack = rules.pack_of(rule.id)
    return {"id": rule.id, "title": rule.title, "regime": rules.regime_of(rule),
            "pack": pack.pack.pack if pack else None, "scope": rule.scope.value,
            "outcome": rule.outcome.value,
            "mechanisms": [list(m.all_of) for m in rule.mechanisms],
            "if_missing": rule.if_missing, "obligations": list(rule.obligations),
            "deadlines": list(rule.deadlines), "supersedes": list(rule.supersedes),
            "citation": str(rule.citation), "in_force_from": rule.in_force_from.isoformat(),
            "in_force_until": rule.in_force_until.isoformat() if rule.in_force_until else None,
            "confidence": rule.confidence.value, "explanation": rule.explanation,
            "source": citation_json(rule.cited()),
            "when": rule.when.model_dump(mode="json", by_alias=True, exclude_none=True,
                                         exclude_defaults=True)}


def conflict_rule_json(rules: RuleSet, conflict: Conflict) -> dict[str, Any]:
    """One conflict definition as JSON."""
    pack = rules.pack_of(conflict.id)
    return {"id": conflict.id, "title": conflict.title, "scope": conflict.scope.value,
            "pack": pack.pack.pack if pack else None,
            "sides": [{"regime": s.regime, "demand": s.demand, "citation": str(s.citation),
                       "in_force_from": s.in_force_from.isoformat(),
                       "in_force_until": s.in_force_until.isoformat() if s.in_force_until
                       else None, "confidence": s.confidence.value,
                       "source": citation_json(s.cited()),
                       "when": s.when.model_dump(mode="json", by_alias=True, exclude_none=True,
                                                 exclude_defaults=True)}
                      for s in conflict.sides],
            "why": conflict.why, "resolutions": list(conflict.resolutions),
            "severity": conflict.severity, "confidence": conflict.confidence.value}


def rules_list_json(rules: RuleSet) -> dict[str, Any]:
    """The JSON document printed by ``stackrift rules list --json``."""
    return {"disclaimer": DISCLAIMER, "sources": sources_json(rules),
            "rules": [rule_json(rules, r) for r in rules.rules],
            "conflicts": [conflict_rule_json(rules, c) for c in rules.conflicts]}
