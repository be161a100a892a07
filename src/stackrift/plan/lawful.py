"""The one place where supply-chain planning asks the transfers engine about data flows.

Stress tests and the planner never inspect rule packs themselves: they build candidate estates and
ask :func:`judge_flows` for each flow's verdict under every regime.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from stackrift.estate.model import Component, DataFlow, Estate, Mechanism, System
from stackrift.findings import Citation
from stackrift.rules.engine import (
    FlowVerdict,
    RuleSet,
    Verdict,
    evaluate_estate,
    load_rule_set,
    packaged_provider_countries,
)
from stackrift.rules.facts import EstateIndex, flow_facts
from stackrift.rules.model import Condition, Scope

SELF_SERVICE_MECHANISMS = frozenset({
    Mechanism.SCC, Mechanism.TIA, Mechanism.PIPIA, Mechanism.SEPARATE_CONSENT, Mechanism.CONSENT,
    Mechanism.CAC_STANDARD_CONTRACT, Mechanism.CISA_SECURITY_REQUIREMENTS,
    Mechanism.ONWARD_TRANSFER_BAN, Mechanism.TRANSFER_IMPACT_FILING, Mechanism.SAUDI_SCC})
"""Mechanisms an organisation can put in place itself (contracts, assessments, notices, filings).
Approvals that depend on an authority or a third party - CAC security assessment or
certification, BCR approval, DPF certification of the recipient, DOJ or export licences, PRC
approval, MLAT requests - are never assumed obtainable by the planner."""


@dataclass(frozen=True)
class FlowJudgement:
    """What the engine says about one flow, reduced to what planning needs."""

    flow_id: str
    verdict: str
    lawful: bool
    prohibited: bool
    missing: tuple[str, ...]
    rules_fired: tuple[str, ...]
    citations: tuple[Citation, ...]

    @property
    def fixable_missing(self) -> tuple[str, ...]:
        """Missing mechanisms the organisation can supply itself."""
        return tuple(m for m in self.missing if m in {x.value for x in SELF_SERVICE_MECHANISMS})

    @property
    def self_fixable(self) -> bool:
        """Lawful once the organisation adds mechanisms it can provide itself."""
        return (not self.prohibited or bool(self.missing)) and set(self.missing) <= {
            x.value for x in SELF_SERVICE_MECHANISMS}

    def to_json(self) -> dict[str, object]:
        return {"flow": self.flow_id, "verdict": self.verdict, "lawful": self.lawful,
                "mechanisms_missing": list(self.missing), "rules_fired": list(self.rules_fired),
                "citations": [str(c) for c in self.citations]}


class FlowJudge:
    """Evaluates every flow of an estate under the loaded rule packs."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self._cache: dict[str, FlowJudgement] = {}
        self._index: tuple[Estate, EstateIndex] | None = None
        self._positions: tuple[Estate, dict[str, list[int]]] | None = None
        self._facts_read = flow_facts_read(rules)
        self._thresholds = count_thresholds(rules)
        self._signatures: dict[tuple[object, ...], str] = {}
        self._results: dict[Hashable, Any] = {}  # the engine's results shared by lone flows
        self.share_results = True
        """Share cached judgements and rule results between lone evaluations (off: every lone
        flow is evaluated afresh, the reference the cached path must agree with)."""
        self.evaluations = 0
        self.lookups = 0

    @classmethod
    def load(cls, extra_dirs: Sequence[Path] = ()) -> FlowJudge:
        return cls(load_rule_set(extra_dirs=tuple(extra_dirs)))

    def judge(self, estate: Estate, as_of: date) -> dict[str, FlowJudgement]:
        """One judgement per flow id, every flow evaluated together (volumes aggregate). Rules
        that read only facts reuse the results of the lone evaluations before it."""
        return {v.flow_id: _reduce(v) for v in evaluate_estate(
            estate, as_of, self.rules, shared_results=self._shared())}

    def judge_alone(self, estate: Estate, flow: DataFlow, as_of: date) -> FlowJudgement:
        """The judgement of one flow evaluated on its own in ``estate``'s context.

        Used to price many candidate layouts quickly. Judgements are cached by the facts the
        engine reads (:func:`_fact_signature`): the same flow facts between endpoints of the same
        jurisdiction, entity and provider country give the same verdict, whichever site or
        system they belong to. Volumes do not aggregate with the estate's other flows here, so
        callers re-check their final estate with :meth:`judge`.
        """
        self.lookups += 1
        key = self._fact_signature(estate, flow, as_of)
        cached = self._cache.get(key) if self.share_results else None
        if cached is None:
            ends = {flow.source, flow.destination}
            assert self._index is not None  # set by _fact_signature
            system = self._index[1].systems.get(flow.system) if flow.system else None
            mini = estate.model_copy(update={
                "sites": tuple(s for s in estate.sites if s.id in ends),
                "systems": (system,) if system is not None else (),
                "components": self._components_of(estate, system),
                "data_flows": (flow,)})
            cached = _reduce(evaluate_estate(mini, as_of, self.rules,
                                             shared_results=self._shared())[0])
            self._cache[key] = cached
            self.evaluations += 1
        return FlowJudgement(flow.id, cached.verdict, cached.lawful, cached.prohibited,
                             cached.missing, cached.rules_fired, cached.citations)

    def _components_of(self, estate: Estate, system: System | None) -> tuple[Component, ...]:
        """The estate's components that ``system`` names, in the estate's order (as a filter
        of ``estate.components`` would give them), found through positions kept per estate."""
        if system is None:
            return ()
        if self._positions is None or self._positions[0] is not estate:
            positions: dict[str, list[int]] = {}
            for number, component in enumerate(estate.components):
                positions.setdefault(component.id, []).append(number)
            self._positions = (estate, positions)
        found = self._positions[1]
        chosen = sorted(n for ref in set(system.components) for n in found.get(ref, ()))
        return tuple(estate.components[n] for n in chosen)

    def _shared(self) -> dict[Hashable, Any] | None:
        """Rule results the engine shares between lone evaluations (one rule set: ours)."""
        return self._results if self.share_results else None

    def _end(self, ref: str) -> object:
        """What a flow's facts read of one of its ends (see :func:`flow_facts`)."""
        assert self._index is not None
        index = self._index[1]
        site = index.sites.get(ref)
        if site is None:
            return ref
        # The provider counts only through its home country: sites of one country, entity and
        # provider country share the memo, whichever cloud runs them.
        return ("site", site.country, site.entity, index.provider_country(site),
                site.free_trade_zone)

    def _fact_signature(self, estate: Estate, flow: DataFlow, as_of: date) -> str:
        """What a lone flow's verdict depends on: every flow fact the rules test, the entities
        whose ownership chains ownership conditions follow, and the flow's dates (volume
        windows). Names, ids and sites drop out, so a flow re-pointed to another site of the same
        country, entity and provider country hits the cache.

        The purpose stays in the key (it is a fact): exemptions such as China's emergency
        carve-out and the DOJ routine-administration exemption (28 CFR 202.506) turn on it."""
        if self._index is None or self._index[0] is not estate:
            self._index = (estate, EstateIndex(estate, packaged_provider_countries()))
            self._signatures.clear()
        # Within one estate a flow is fixed by its id, ends and mechanisms (planners re-point
        # and upgrade flows, nothing else), and of a site its facts read only the country,
        # operating entity, provider country and free-trade zone: the signature is computed once
        # per such combination.
        memo = (flow.id, self._end(flow.source), self._end(flow.destination), flow.recipient,
                flow.mechanisms, as_of)
        known = self._signatures.get(memo)
        if known is not None:
            return known
        index = self._index[1]
        facts = {k: v for k, v in flow_facts(index, flow).items() if k in self._facts_read}
        for name in ("subjects", "devices"):  # only the side of each threshold matters
            value = facts.get(name)
            if isinstance(value, float):
                facts[name] = "band:" + "".join(
                    ("2" if value > t else "1" if value == t else "0") for t in self._thresholds)
        if flow.system is not None and facts.get("destination_system_origin_countries"):
            # Evaluated alone, the flow is its system's only inbound flow.
            origin = facts["origin_country"]
            facts["destination_system_origin_countries"] = (
                frozenset({origin}) if isinstance(origin, str) else frozenset())
        exporter = index.exporter(flow)
        recipient = index.recipient(flow)
        parts: list[object] = [
            as_of.isoformat(), sorted((k, _plain(v)) for k, v in facts.items()),
            exporter.id if exporter else None, recipient.id if recipient else None,
            flow.start.isoformat() if flow.start else None,
            flow.end.isoformat() if flow.end else None]
        signature = orjson.dumps(parts).decode()
        self._signatures[memo] = signature
        return signature


VOLUME_FACTS = frozenset({"categories", "subjects", "devices", "subjects_countries",
                          "mechanisms", "origin_country", "destination_country"})
"""Facts a verdict always depends on: what volume tests count and which mechanisms are held."""


def flow_facts_read(rules: RuleSet) -> frozenset[str]:
    """The flow facts any flow-scope rule of ``rules`` tests (following named conditions and
    volume exclusions), plus :data:`VOLUME_FACTS`: a fact no rule reads cannot change a
    verdict, so it stays out of the cache key."""
    found: set[str] = set(VOLUME_FACTS)
    for rule in rules.rules:
        if rule.scope is Scope.FLOW:
            _collect(rule.when, rules.conditions_for(rule.id), found, set())
    return frozenset(found)


def count_thresholds(rules: RuleSet) -> tuple[float, ...]:
    """Every number a flow rule compares a subject or device count (or a volume) with. A lone
    flow's verdict depends on its counts only through their side of these thresholds (alone, a
    flow's volume is its own count)."""
    found: set[float] = set()

    def walk(cond: Condition, named: Mapping[str, Condition], seen: set[str]) -> None:
        if cond.volume is not None or cond.fact in ("subjects", "devices"):
            found.update(v for v in (cond.gt, cond.gte, cond.lt, cond.lte) if v is not None)
            found.update(float(v) for v in (cond.gt_lowest_of or {}).values())
        if cond.ref is not None and cond.ref not in seen and cond.ref in named:
            seen.add(cond.ref)
            walk(named[cond.ref], named, seen)
        for child in (*(cond.all or ()), *(cond.any or ()),
                      *((cond.not_,) if cond.not_ is not None else ()),
                      *((cond.volume.exclude,) if cond.volume and cond.volume.exclude else ())):
            walk(child, named, seen)

    for rule in rules.rules:
        if rule.scope is Scope.FLOW:
            walk(rule.when, rules.conditions_for(rule.id), set())
    return tuple(sorted(found))


def _collect(cond: Condition, named: Mapping[str, Condition], found: set[str],
             seen: set[str]) -> None:
    if cond.fact is not None:
        found.add(cond.fact)
    if cond.ref is not None and cond.ref not in seen and cond.ref in named:
        seen.add(cond.ref)
        _collect(named[cond.ref], named, found, seen)
    children = [*(cond.all or ()), *(cond.any or ())]
    if cond.not_ is not None:
        children.append(cond.not_)
    if cond.volume is not None and cond.volume.exclude is not None:
        children.append(cond.volume.exclude)
    for child in children:
        _collect(child, named, found, seen)


def _plain(value: object) -> object:
    return sorted(value) if isinstance(value, frozenset) else value


def _reduce(verdict: FlowVerdict) -> FlowJudgement:
    prohibited = verdict.verdict is Verdict.PROHIBITED
    return FlowJudgement(verdict.flow_id, verdict.verdict.value, verdict.lawful, prohibited,
                         tuple(str(m) for m in verdict.mechanisms_missing),
                         tuple(verdict.rules_fired), tuple(verdict.citations))

DISCLAIMER = ("Not legal advice: stress tests and plans apply encoded rules and catalogue facts to "
              "what the estate declares; check every conclusion against the cited sources.")
