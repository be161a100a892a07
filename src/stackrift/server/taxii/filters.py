"""TAXII 2.1 query parameters (section 3.4): ``added_after``, ``limit``, ``next`` and the
``match[…]`` filters, parsed and bounded; a bad value is a 400 naming the parameter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from stackrift.server.taxii.validation import EnvelopeError, datetime_of, normalize_timestamp

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
"""The most objects one page returns, whatever ``limit`` asks for."""
_MAX_VALUES = 100
_MAX_VALUE_CHARS = 300
_VERSION_WORDS = frozenset({"first", "last", "all"})


@dataclass(frozen=True)
class Filters:
    added_after: datetime | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: tuple[str, ...] = ("last",)
    """``first``, ``last``, ``all`` or normalized timestamps (any of them matches)."""
    spec_versions: tuple[str, ...] = ()
    limit: int = DEFAULT_LIMIT
    next_row: int | None = None
    """The row after which the page starts (the ``next`` of the previous page)."""

    def with_id(self, stix_id: str) -> Filters:
        return replace(self, ids=(stix_id,))


class QueryParams:
    """What the filters need of a request's query string (Starlette's ``QueryParams``)."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._pairs = pairs

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self._pairs if key == name]


def _values(params: QueryParams, name: str) -> tuple[str, ...]:
    values = [part.strip() for raw in params.getlist(name) for part in raw.split(",")]
    values = [value for value in values if value]
    if len(values) > _MAX_VALUES or any(len(value) > _MAX_VALUE_CHARS for value in values):
        raise EnvelopeError(f"{name}: at most {_MAX_VALUES} values of at most "
                            f"{_MAX_VALUE_CHARS} characters")
    if any(not value.isprintable() for value in values):
        raise EnvelopeError(f"{name}: values may not hold control characters")
    return tuple(values)


def _single(params: QueryParams, name: str) -> str | None:
    values = params.getlist(name)
    if len(values) > 1:
        raise EnvelopeError(f"{name} is given {len(values)} times; at most once")
    if values and not values[0].isprintable():
        raise EnvelopeError(f"{name}: the value may not hold control characters")
    return values[0].strip() if values else None


def _versions(params: QueryParams) -> tuple[str, ...]:
    versions: list[str] = []
    for value in _values(params, "match[version]"):
        stamp = value if value in _VERSION_WORDS else normalize_timestamp(value)
        if stamp is None:
            raise EnvelopeError(f"match[version]: {value!r} is neither first, last, all nor a "
                                "STIX timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)")
        versions.append(stamp)
    return tuple(versions) or ("last",)


def _limit(params: QueryParams) -> int:
    text = _single(params, "limit")
    if text is None:
        return DEFAULT_LIMIT
    if not text.isdigit() or int(text[:7]) < 1:
        raise EnvelopeError(f"limit: {text[:40]!r} is not a positive whole number")
    return min(int(text[:7]), MAX_LIMIT)


def _added_after(params: QueryParams) -> datetime | None:
    text = _single(params, "added_after")
    if text is None:
        return None
    stamp = normalize_timestamp(text)
    if stamp is None:
        raise EnvelopeError(f"added_after: {text[:60]!r} is not a STIX timestamp "
                            "(YYYY-MM-DDTHH:MM:SS[.s]Z)")
    return datetime_of(stamp)


def _next_row(params: QueryParams) -> int | None:
    text = _single(params, "next")
    if text is None or text == "":
        return None
    if not text.isdigit() or len(text) > 18:
        raise EnvelopeError(f"next: {text[:40]!r} is not a value this server handed out")
    return int(text)


def parse_filters(params: QueryParams) -> Filters:
    return Filters(added_after=_added_after(params), ids=_values(params, "match[id]"),
                   types=_values(params, "match[type]"), versions=_versions(params),
                   spec_versions=_values(params, "match[spec_version]"), limit=_limit(params),
                   next_row=_next_row(params))
