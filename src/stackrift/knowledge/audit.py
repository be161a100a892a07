"""Audit a knowledge set: which facts lack a source, are unverified, stale, overtaken by an
in-force date, or contradict another pack.

Categories (see docs/knowledge.md):

- ``no-source``: a record that states a fact cites nothing.
- ``unverified``: the record or one of its citations is ``unverified`` (with the reason given,
  or a note that none is).
- ``not-checked``: a citation has no ``checked_on`` date, or one older than the window.
- ``in-force-since-check``: a date the fact depends on (in force from / until) falls after the
  citation was checked and on or before the as-of date, so the law may have moved since.
- ``contradiction``: two records disagree: the same instrument and section cited with different
  in-force dates; a rule pack's country list that nearly matches a Country Group but lacks some
  of its members; a rule citing an ECCN whose sites miss destinations of the catalogue's control
  for that ECCN; the provider table naming another country than the catalogue.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from stackrift.errors import UsageError
from stackrift.findings import Citation
from stackrift.knowledge.contradictions import contradictions
from stackrift.knowledge.facts import Fact, read_facts
from stackrift.knowledge.items import AuditItem, Category
from stackrift.knowledge.items import item as _item


@dataclass(frozen=True)
class AuditReport:
    """The audit's result and what it looked at."""

    as_of: date
    older_than_days: int
    items: tuple[AuditItem, ...]
    facts_by_kind: dict[str, int]
    citations: int

    def counts(self) -> dict[str, int]:
        found = Counter(i.category for i in self.items)
        return {c.value: found.get(c, 0) for c in Category}

    def to_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "older_than_days": self.older_than_days,
                "looked_at": {"facts_by_kind": self.facts_by_kind, "citations": self.citations},
                "counts": self.counts(), "items": [i.to_json() for i in self.items]}


def parse_window(text: str) -> int:
    """``180d``, ``26w`` or a plain number of days, as days."""
    value = text.strip().lower()
    factor = {"d": 1, "w": 7}.get(value[-1:], 0)
    digits = value[:-1] if factor else value
    if not digits.isdigit() or int(digits) > 100_000:
        raise UsageError(f"--older-than: '{text}' is not a window; expected days or weeks such "
                         "as 180d or 26w")
    return int(digits) * (factor or 1)


def audit_set(root: Path, *, as_of: date, older_than_days: int) -> AuditReport:
    """Audit every fact-carrying record of the knowledge set at ``root``.

    The set is first loaded the way StackRift uses it, so a malformed record is an error (exit 2)
    rather than a record the audit silently cannot see.
    """
    from stackrift.knowledge.install import validate_set

    validate_set(root)
    facts = read_facts(root)
    oldest_ok = as_of - timedelta(days=older_than_days)
    items: list[AuditItem] = []
    for fact in facts:
        items += _sources(fact)
        items += _unverified(fact)
        items += _checks(fact, oldest_ok, as_of)
    items += contradictions(facts, root, as_of)
    order = list(Category)
    items.sort(key=lambda i: (order.index(i.category), i.where.split(":")[0], i.kind, i.id))
    return AuditReport(as_of, older_than_days, tuple(items),
                       dict(sorted(Counter(f.kind.value for f in facts).items())),
                       sum(len(f.citations) for f in facts))


def _sources(fact: Fact) -> Iterator[AuditItem]:
    if fact.needs_source and not fact.citations:
        yield _item(Category.NO_SOURCE, fact, "cites no source")


def _unverified(fact: Fact) -> Iterator[AuditItem]:
    reasons = [c.unverified_reason for c in fact.citations
               if c.confidence == "unverified" and c.unverified_reason]
    if fact.unverified_reason:
        reasons.insert(0, fact.unverified_reason)
    if fact.confidence != "unverified" and not any(c.confidence == "unverified"
                                                     for c in fact.citations):
        return
    reason = "; ".join(dict.fromkeys(reasons)) or None
    yield _item(Category.UNVERIFIED, fact,
                f"unverified: {reason}" if reason else "unverified, and no reason is given",
                reason=reason)


def _checks(fact: Fact, oldest_ok: date, as_of: date) -> Iterator[AuditItem]:
    for citation in fact.citations:
        label = str(citation)
        if citation.checked_on is None:
            yield _item(Category.NOT_CHECKED, fact, f"{label}: never checked (no checked_on)",
                        citation=label, checked_on=None)
            continue
        if citation.checked_on < oldest_ok:
            yield _item(Category.NOT_CHECKED, fact, f"{label}: last checked "
                        f"{citation.checked_on}, before {oldest_ok}", citation=label,
                        checked_on=citation.checked_on.isoformat())
        yield from _moved_since(fact, citation, citation.checked_on, as_of)


def _moved_since(fact: Fact, citation: Citation, checked: date, as_of: date
                 ) -> Iterator[AuditItem]:
    starts = citation.in_force_from or fact.in_force_from
    ends = citation.in_force_until or fact.in_force_until
    if starts is not None and checked < starts <= as_of:
        yield _item(Category.IN_FORCE_SINCE_CHECK, fact, f"{citation}: in force from {starts}, "
                    f"after it was checked on {checked}", citation=str(citation),
                    checked_on=checked.isoformat(), date=starts.isoformat(), edge="from")
    if ends is not None and checked <= ends < as_of:
        yield _item(Category.IN_FORCE_SINCE_CHECK, fact, f"{citation}: in force until {ends}, "
                    f"which passed after it was checked on {checked}", citation=str(citation),
                    checked_on=checked.isoformat(), date=ends.isoformat(), edge="until")
