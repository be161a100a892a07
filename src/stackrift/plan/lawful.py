"""The one place where supply-chain planning asks the transfers engine about data flows.

Stress tests and the planner never inspect rule packs themselves: they build candidate estates and
ask :func:`judge_flows` for each flow's verdict under every regime.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from stackrift.estate.model import Estate, Mechanism
from stackrift.findings import Citation
from stackrift.rules.engine import FlowVerdict, RuleSet, Verdict, evaluate_estate, load_rule_set

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

    @classmethod
    def load(cls, extra_dirs: Sequence[Path] = ()) -> FlowJudge:
        return cls(load_rule_set(extra_dirs=tuple(extra_dirs)))

    def judge(self, estate: Estate, as_of: date) -> dict[str, FlowJudgement]:
        """One judgement per flow id."""
        return {v.flow_id: _reduce(v) for v in evaluate_estate(estate, as_of, self.rules)}


def _reduce(verdict: FlowVerdict) -> FlowJudgement:
    prohibited = verdict.verdict is Verdict.PROHIBITED
    return FlowJudgement(verdict.flow_id, verdict.verdict.value, verdict.lawful, prohibited,
                         tuple(str(m) for m in verdict.mechanisms_missing),
                         tuple(verdict.rules_fired), tuple(verdict.citations))

DISCLAIMER = ("Not legal advice: stress tests and plans apply encoded rules and catalogue facts to "
              "what the estate declares; check every conclusion against the cited sources.")
