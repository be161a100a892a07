"""Severity levels of findings and the ``--fail-on`` gate.

Kept apart from the finding models (:mod:`stackrift.findings`, which re-exports them) so that a
command that only compares severities, such as ``scan``, loads no pydantic model.
"""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    # no rating in any source: never shown as a guess; ranked between medium and high, and
    # gated as configured (``--unknown-severity-as``, high by default)
    UNKNOWN = "unknown"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.UNKNOWN: 3,
    Severity.HIGH: 4,
    Severity.CRITICAL: 5,
}


def gated_severity(severity: Severity, unknown_as: Severity = Severity.HIGH) -> Severity:
    """The severity a gate compares: an unknown severity counts as ``unknown_as``."""
    return unknown_as if severity is Severity.UNKNOWN else severity


def fails_gate(severity: Severity, fail_on: Severity,
               unknown_as: Severity = Severity.HIGH) -> bool:
    """Whether a finding of ``severity`` trips a ``--fail-on`` threshold."""
    return gated_severity(severity, unknown_as).at_least(fail_on)
