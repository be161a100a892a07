"""The JSON report: keys, order, determinism, and validity against the published schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import jsonschema
import orjson
import pytest

from stackrift.report.base import renderer
from stackrift.report.json_format import dumps
from stackrift.report.json_schema import report_json_schema, report_schema
from stackrift.report.model import Report

DOCS_SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "report.schema.json"


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(DOCS_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_docs_schema_is_the_shipped_one() -> None:
    assert DOCS_SCHEMA.read_text(encoding="utf-8") == report_json_schema(), (
        "docs/report.schema.json is stale: run "
        "`stackrift schema report -o docs/report.schema.json`")


def test_output_validates_against_schema(report: Report, empty_report: Report) -> None:
    validator = _validator()
    for item in (report, empty_report):
        document = json.loads(renderer("json").render(item))
        errors = sorted(validator.iter_errors(document), key=str)
        assert errors == []


def test_schema_rejects_what_it_should(report: Report) -> None:
    validator = _validator()
    document = json.loads(renderer("json").render(report))
    broken = json.loads(json.dumps(document))
    del broken["findings"][0]["citations"]
    broken["findings"][1]["severity"] = "severe"
    broken["analyses"]["provenance"]["summary"]["charts"][0]["labels"] = "x"
    messages = sorted(e.message for e in validator.iter_errors(broken))
    assert "'citations' is a required property" in messages
    assert ("'severe' is not one of ['critical', 'high', 'unknown', 'medium', 'low', 'info']"
            in messages)
    assert "'x' is not of type 'array'" in messages


def test_top_level_and_finding_keys(report: Report) -> None:
    document = json.loads(renderer("json").render(report))
    assert set(document) == {"schema_version", "tool_version", "as_of", "catalogue_version",
                             "knowledge", "estate", "findings", "summary", "analyses",
                             "executive_summary"}
    assert document["knowledge"] is None  # the fixture report records no knowledge set
    assert document["as_of"] == "2026-11-15"
    assert document["catalogue_version"] == "2026.11"
    assert document["estate"]["counts"] == {"data_flows": 1, "entities": 3, "systems": 2}
    first = document["findings"][0]
    assert set(first) == {"id", "analysis", "rule", "severity", "title", "subject", "evidence",
                          "recommendation", "citations", "related", "location"}
    assert first["id"] == "provenance:entity-listed-vendor:ascend-910b"
    assert first["evidence"]["listed_since"] == "2019-05-16"
    assert first["citations"][0] == {
        "source": "15 CFR 744", "section": "Supplement No. 4",
        "url": "https://www.ecfr.gov/current/title-15/part-744", "in_force_from": "2019-05-16",
        "in_force_until": None, "confidence": "verified"}
    assert first["location"] == {"file": "estates/acme.yaml", "line": 40, "column": 7}
    assert first["subject"] == {"kind": "component", "id": "ascend-910b", "name": "Ascend 910B",
                                "field": "vendor"}
    assert first["related"] == [{"kind": "system", "id": "support-bot",
                                 "name": "Support chatbot", "field": None}]
    # most severe first
    assert [f["severity"] for f in document["findings"]] == ["critical", "medium", "low", "info"]
    assert document["summary"] == {
        "by_severity": {"critical": 1, "high": 0, "unknown": 0, "medium": 1, "low": 1,
                        "info": 1},
        "by_analysis": {"provenance": 3, "hygiene": 1}, "total": 4, "failing": 1,
        "fail_on": "high", "unknown_severity_as": "high"}
    assert document["analyses"]["hygiene"]["order"] == 1
    assert document["analyses"]["provenance"]["summary"]["resolved"] == 12


def test_output_is_deterministic_and_sorted(report: Report,
                                            make_report: Callable[[], Report]) -> None:
    text = renderer("json").render(report)
    assert text == renderer("json").render(make_report())
    assert text.endswith("}\n")
    document = json.loads(text)
    assert list(document) == sorted(document)
    assert list(document["findings"][0]) == sorted(document["findings"][0])


def test_dumps_handles_sets_and_rejects_unknown_objects() -> None:
    assert json.loads(dumps({"b": {"z", "a"}, "a": date(2026, 1, 2)})) == {
        "a": "2026-01-02", "b": ["a", "z"]}
    with pytest.raises(TypeError, match="not JSON serializable: object"):
        dumps({"x": object()})
    assert orjson.loads(dumps({1: "one"})) == {"1": "one"}


def test_schema_function_returns_a_copy() -> None:
    schema = report_schema()
    schema["title"] = "changed"
    assert report_schema()["title"] == "StackRift assessment report"
