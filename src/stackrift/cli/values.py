"""Option values the commands check alike, without typer (scan's direct path reads them too)."""

from __future__ import annotations

from datetime import date

from stackrift.errors import UsageError
from stackrift.severities import Severity


def parse_as_of(value: str | None) -> date:
    """``--as-of`` as a date; today when not given."""
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--as-of: '{value}' is not a date; expected YYYY-MM-DD") from None


def check_gate(fail_on: Severity, unknown_as: Severity) -> None:
    """Refuse thresholds that cannot be compared: 'unknown' is a finding's state, not a level."""
    if fail_on is Severity.UNKNOWN:
        raise UsageError("--fail-on unknown: expected info, low, medium, high or critical; "
                         "unknown severities are gated by --unknown-severity-as")
    if unknown_as is Severity.UNKNOWN:
        raise UsageError("--unknown-severity-as unknown: expected info, low, medium, high or "
                         "critical")
