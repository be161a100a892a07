"""Option values the commands check alike, without typer (the direct paths of scan and
transfers read them too)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import NamedTuple

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


class PlainTokens(NamedTuple):
    """A plain command line's values: the single-valued options (field -> text), the values of
    the one repeatable option in order, and the one positional argument."""

    values: dict[str, str]
    repeated: list[str]
    positional: str | None


def plain_tokens(args: Sequence[str], valued: Mapping[str, str], repeatable: str,
                 environment: Mapping[str, str], environ: Mapping[str, str]
                 ) -> PlainTokens | None:
    """A command's arguments read without typer when they are plain: one positional argument,
    options (``valued``: option -> field) each given once as ``--name value``, ``--name=value``
    or ``-x value`` with a value not starting with ``-`` (only ``repeatable`` may come again),
    fields not given taken from ``environment`` (field -> variable). ``None`` for anything else
    (typer is then to read them, and say what is wrong)."""
    values: dict[str, str] = {}
    repeated: list[str] = []
    positional: str | None = None
    tokens = iter(args)
    for token in tokens:
        if not token.startswith("-"):
            if positional is not None or not token:
                return None
            positional = token
            continue
        name, attached, value = token.partition("=")
        field = valued.get(name)
        if field is None or (attached and not name.startswith("--")):
            return None
        if not attached:
            value = next(tokens, "")
        if not value or value.startswith("-") or (field in values and field != repeatable):
            return None
        if field == repeatable:
            repeated.append(value)
        else:
            values[field] = value
    for field, variable in environment.items():
        if field not in values and variable in environ:
            values[field] = environ[variable]  # an empty one is refused later: typer ignores it
    return PlainTokens(values, repeated, positional)
