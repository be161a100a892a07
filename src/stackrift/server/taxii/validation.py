"""Envelopes and STIX 2.1 objects as a client sends them: bounded before anything is built.

The request body is refused whole (400/413) when it is not a TAXII envelope within the limits;
inside a good envelope each object is checked on its own and an invalid one fails alone, with a
message naming its position, id and what was expected (the status resource lists it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from stackrift.server.errors import ServiceError

MAX_CONTENT_LENGTH = 8 << 20
"""Bytes per request body (announced as the API root's ``max_content_length``)."""
MAX_OBJECTS = 1000
"""Objects per envelope."""
MAX_JSON_VALUES = 250_000
"""Commas, brackets and braces in a body, counted before it is parsed: a cheap upper bound on
how many values parsing would build (a full envelope of large objects has some tens of
thousands)."""
MAX_DEPTH = 32
"""Nesting of JSON arrays and objects in a body (an envelope and its objects need about 6)."""
MAX_PATTERN_CHARS = 8192
"""Characters of one indicator pattern (the pattern grammar checks about 100 kB a second)."""
MAX_PATTERN_NESTING = 32
PATTERN_BUDGET = 256 * 1024
"""Pattern characters checked per request, so one request costs at most a few seconds."""

_TYPE = re.compile(r"^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$")
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_ID = re.compile(rf"^([a-z0-9][a-z0-9-]{{1,248}}[a-z0-9])--({_UUID})$")
_STAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,32}))?Z$")


class EnvelopeError(ServiceError):
    """The body is not a usable TAXII envelope."""

    status_code = 400


class TooLargeError(ServiceError):
    status_code = 413


def normalize_timestamp(text: object) -> str | None:
    """A STIX timestamp as fixed-width UTC with nine fractional digits (text order = time
    order), or ``None`` when ``text`` is not one (``YYYY-MM-DDTHH:MM:SS[.s+]Z``)."""
    if not isinstance(text, str) or len(text) > 60:
        return None
    match = _STAMP.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError:
        return None
    digits = (fraction or "").ljust(9, "0")[:9]
    return f"{year}-{month}-{day}T{hour}:{minute}:{second}.{digits}Z"


def display_timestamp(normalized: str) -> str:
    """A normalized timestamp with trailing zeros dropped down to milliseconds."""
    fraction = normalized[20:29].rstrip("0").ljust(3, "0")
    return f"{normalized[:19]}.{fraction}Z"


def timestamp_of(moment: datetime) -> str:
    """A naive UTC datetime as a normalized timestamp."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def datetime_of(normalized: str) -> datetime:
    """A normalized timestamp as a naive UTC datetime (microseconds kept)."""
    return datetime.strptime(normalized[:26], "%Y-%m-%dT%H:%M:%S.%f")


def added_timestamp(moment: datetime) -> str:
    """A date added as TAXII writes it (microsecond precision)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _deeper_than(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def parse_envelope(body: bytes) -> list[Any]:
    """The ``objects`` of a TAXII envelope; the whole body is refused when it is too large, not
    JSON, nested too deep or not an envelope."""
    if len(body) > MAX_CONTENT_LENGTH:
        raise TooLargeError(f"the request body is larger than {MAX_CONTENT_LENGTH} bytes "
                            "(the API root's max_content_length)")
    structure = body.count(b",") + body.count(b"[") + body.count(b"{")
    if structure > MAX_JSON_VALUES:
        raise TooLargeError(f"the request body holds more than {MAX_JSON_VALUES} JSON values "
                            "(commas, arrays and objects); send fewer objects per request")
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise EnvelopeError(f"the request body is not JSON: {exc}; expected a TAXII envelope "
                            '{"objects": [...]}') from None
    if _deeper_than(envelope, MAX_DEPTH):
        raise EnvelopeError(f"the request body nests arrays and objects deeper than {MAX_DEPTH} "
                            "levels")
    if not isinstance(envelope, dict):
        raise EnvelopeError('the request body is not a TAXII envelope; expected a JSON object '
                            '{"objects": [...]}')
    objects = envelope.get("objects", [])
    if not isinstance(objects, list):
        raise EnvelopeError('the envelope\'s "objects" is not an array of STIX objects')
    if len(objects) > MAX_OBJECTS:
        raise TooLargeError(f"the envelope holds {len(objects)} objects; at most {MAX_OBJECTS} "
                            "per request")
    return objects


@dataclass(frozen=True)
class ValidObject:
    stix_id: str
    stix_type: str
    spec_version: str
    version: str | None
    """Normalized ``modified`` or ``created``; ``None`` for objects without either (the date
    added stands in)."""
    content: str


@dataclass(frozen=True)
class Rejected:
    stix_id: str
    version: str | None
    message: str


@dataclass
class PatternBudget:
    remaining: int = PATTERN_BUDGET


class _BadError(Exception):
    pass


def is_stix_id(text: str) -> bool:
    """``<type>--<UUID>``."""
    return len(text) <= 300 and _ID.match(text) is not None


def _identity(obj: dict[str, Any]) -> tuple[str, str]:
    kind, stix_id = obj.get("type"), obj.get("id")
    if not isinstance(kind, str) or not _TYPE.match(kind):
        raise _BadError('"type" is missing or not a STIX type name (3-250 lowercase letters, '
                       "digits and hyphens)")
    match = _ID.match(stix_id) if isinstance(stix_id, str) and len(stix_id) <= 300 else None
    if match is None or match.group(1) != kind:
        raise _BadError(f'"id" is missing or not "{kind}--<UUID>"')
    return kind, match.group(0)


def _spec_version(obj: dict[str, Any]) -> str:
    version = obj.get("spec_version")
    if version is None and "created" not in obj:
        return "2.1"  # a cyber-observable, whose spec_version is optional in STIX 2.1
    if version != "2.1":
        raise _BadError(f'"spec_version" is {version!r}; this server holds STIX 2.1 objects '
                       '("spec_version": "2.1")')
    return "2.1"


def _version(obj: dict[str, Any]) -> str | None:
    stamps: dict[str, str] = {}
    for name in ("created", "modified"):
        if name in obj:
            stamp = normalize_timestamp(obj[name])
            if stamp is None:
                raise _BadError(f'"{name}" is not a STIX timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)')
            stamps[name] = stamp
    if "modified" in stamps and "created" in stamps and stamps["modified"] < stamps["created"]:
        raise _BadError('"modified" is earlier than "created"')
    return stamps.get("modified") or stamps.get("created")


def _pattern_nesting(pattern: str) -> int:
    depth = deepest = 0
    quoted = escaped = False
    for char in pattern:
        if quoted:  # inside a string literal: brackets do not count; \' does not end it
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == "'":
                quoted = False
            continue
        if char == "'":
            quoted = True
        elif char in "([":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]":
            depth -= 1
    return deepest


def _check_pattern_bounds(obj: dict[str, Any], budget: PatternBudget) -> None:
    pattern = obj.get("pattern")
    if obj.get("type") != "indicator" or obj.get("pattern_type") != "stix" \
            or not isinstance(pattern, str):
        return
    if len(pattern) > MAX_PATTERN_CHARS:
        raise _BadError(f'"pattern" is {len(pattern)} characters; at most {MAX_PATTERN_CHARS}')
    if _pattern_nesting(pattern) > MAX_PATTERN_NESTING:
        raise _BadError(f'"pattern" nests brackets deeper than {MAX_PATTERN_NESTING}')
    if len(pattern) > budget.remaining:
        raise _BadError(f"the request's patterns exceed {PATTERN_BUDGET} characters in all; "
                       "send the remaining indicators in another request")
    budget.remaining -= len(pattern)


def _check_with_stix2(obj: dict[str, Any]) -> None:
    """The stix2 library's property checks (indicator patterns by the STIX pattern grammar)."""
    import warnings

    import stix2
    from stix2.exceptions import STIXError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stix2.parse(obj, allow_custom=True, version="2.1")
    except (STIXError, ValueError, TypeError, LookupError, AttributeError) as exc:
        raise _BadError(" ".join(str(exc).split())[:500]) from None


def check_object(obj: Any, index: int, budget: PatternBudget) -> ValidObject | Rejected:
    """One object of an envelope, accepted or rejected with the reason."""
    where = f"objects[{index}]"
    if not isinstance(obj, dict):
        return Rejected(where, None, f"{where} is not a JSON object; expected a STIX object")
    raw_id = obj.get("id")
    shown_id = raw_id if isinstance(raw_id, str) and len(raw_id) <= 300 else where
    version: str | None = None
    try:
        kind, stix_id = _identity(obj)
        spec_version = _spec_version(obj)
        version = _version(obj)
        _check_pattern_bounds(obj, budget)
        _check_with_stix2(obj)
    except _BadError as exc:
        shown_version = display_timestamp(version) if version else None
        return Rejected(shown_id, shown_version, f"{where} ({shown_id}): {exc}")
    return ValidObject(stix_id, kind, spec_version, version, orjson.dumps(obj).decode())
