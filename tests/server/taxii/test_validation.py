"""The pure parts of TAXII: timestamps, envelope bounds, object checks, query parameters."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from stackrift.server.taxii.filters import QueryParams, parse_filters
from stackrift.server.taxii.media import (
    NotAcceptableError,
    UnsupportedMediaError,
    require_acceptable,
    require_taxii_body,
)
from stackrift.server.taxii.validation import (
    MAX_PATTERN_NESTING,
    EnvelopeError,
    PatternBudget,
    Rejected,
    ValidObject,
    check_object,
    display_timestamp,
    normalize_timestamp,
    parse_envelope,
)


@pytest.mark.parametrize(("text", "normalized"), [
    ("2026-12-04T10:00:00Z", "2026-12-04T10:00:00.000000000Z"),
    ("2026-12-04T10:00:00.1Z", "2026-12-04T10:00:00.100000000Z"),
    ("2026-12-04T10:00:00.123456789123Z", "2026-12-04T10:00:00.123456789Z"),
    ("2026-02-30T10:00:00Z", None), ("2026-12-04 10:00:00Z", None),
    ("2026-12-04T10:00:00+01:00", None), (20261204, None)])
def test_timestamps_normalize_to_a_fixed_width(text: object, normalized: str | None) -> None:
    assert normalize_timestamp(text) == normalized


def test_displayed_versions_keep_milliseconds_at_least() -> None:
    assert display_timestamp("2026-12-04T10:00:00.000000000Z") == "2026-12-04T10:00:00.000Z"
    assert display_timestamp("2026-12-04T10:00:00.123400000Z") == "2026-12-04T10:00:00.1234Z"


def _indicator(pattern: str) -> dict[str, object]:
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": "2026-12-04T10:00:00Z", "modified": "2026-12-04T10:00:00Z",
            "pattern_type": "stix", "pattern": pattern, "valid_from": "2026-12-04T10:00:00Z"}


def test_brackets_inside_string_literals_do_not_count_as_nesting() -> None:
    literal = "(" * (MAX_PATTERN_NESTING + 5) + "\\'"
    assert isinstance(check_object(_indicator(f"[file:name = '{literal}']"), 0,
                                   PatternBudget()), ValidObject)
    nested = "(" * (MAX_PATTERN_NESTING + 1) + "[file:name = 'x']" + ")" * (
        MAX_PATTERN_NESTING + 1)
    rejected = check_object(_indicator(nested), 0, PatternBudget())
    assert isinstance(rejected, Rejected) and "deeper than" in rejected.message


def test_the_pattern_budget_is_shared_by_a_request() -> None:
    budget = PatternBudget(remaining=40)
    pattern = "[file:name = 'abcdefghijklmnop']"
    assert isinstance(check_object(_indicator(pattern), 0, budget), ValidObject)
    over = check_object(_indicator(pattern), 1, budget)
    assert isinstance(over, Rejected) and "another request" in over.message


def test_a_cyber_observable_needs_no_spec_version_but_an_sdo_does() -> None:
    observable = {"type": "ipv4-addr", "id": f"ipv4-addr--{uuid.uuid4()}", "value": "10.0.0.1"}
    accepted = check_object(observable, 0, PatternBudget())
    assert isinstance(accepted, ValidObject) and accepted.version is None
    sdo = {k: v for k, v in _indicator("[file:name = 'x']").items() if k != "spec_version"}
    assert isinstance(check_object(sdo, 0, PatternBudget()), Rejected)


def test_an_envelope_must_be_an_object_with_an_objects_array() -> None:
    assert parse_envelope(b"{}") == []
    for body in (b"[]", b'{"objects": "x"}', b"\xff", b"nul"):
        with pytest.raises(EnvelopeError):
            parse_envelope(body)


def test_query_parameters() -> None:
    parsed = parse_filters(QueryParams([
        ("match[type]", "indicator,vulnerability"), ("match[type]", "malware"),
        ("match[version]", "first,2026-12-04T10:00:00Z"), ("limit", "5000"),
        ("added_after", "2026-12-01T00:00:00.5Z")]))
    assert parsed.types == ("indicator", "vulnerability", "malware")
    assert parsed.versions == ("first", "2026-12-04T10:00:00.000000000Z")
    assert parsed.limit == 1000 and parsed.added_after is not None
    assert parsed.added_after.microsecond == 500000
    assert parse_filters(QueryParams([])).versions == ("last",)
    with pytest.raises(EnvelopeError, match="at most once"):
        parse_filters(QueryParams([("limit", "1"), ("limit", "2")]))


def test_content_negotiation() -> None:
    for accepted in (None, "", "application/taxii+json;version=2.1", "*/*",
                     "text/html, application/taxii+json", 'application/taxii+json; version="2.1"'):
        require_acceptable(accepted)
    for refused in ("application/json", "application/taxii+json;version=2.0",
                    "application/taxii+json;q=0"):
        with pytest.raises(NotAcceptableError):
            require_acceptable(refused)
    require_taxii_body("application/taxii+json;version=2.1")
    for wrong in (None, "application/json", "application/taxii+json;version=2.0"):
        with pytest.raises(UnsupportedMediaError):
            require_taxii_body(wrong)


def test_services_treat_ids_beyond_the_columns_as_absent(tmp_path: Path) -> None:
    from stackrift.server.db.engine import make_engine, session_factory
    from stackrift.server.db.migrate import upgrade
    from stackrift.server.errors import NotFoundError
    from stackrift.server.services import accounts
    from stackrift.server.taxii import service
    from stackrift.server.tenancy import SYSTEM

    engine = make_engine(f"sqlite:///{tmp_path / 'ids.sqlite'}")
    upgrade(engine)
    with session_factory(engine)() as db:
        unit = accounts.create_unit(db, SYSTEM, "u")
        collection = service.create_collection(db, SYSTEM, unit.id, "c")
        for ident in (2**70, -(2**70), 0):
            with pytest.raises(NotFoundError):
                service.create_collection(db, SYSTEM, ident, "c")
            with pytest.raises(NotFoundError):
                service.set_grant(db, SYSTEM, collection.id, ident, can_read=True,
                                  can_write=False)
            with pytest.raises(NotFoundError):
                service.remove_grant(db, SYSTEM, collection.id, ident)
    engine.dispose()
