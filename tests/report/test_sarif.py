"""SARIF output: valid against the official 2.1.0 schema, located in the estate file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from stackrift import jsonpieces
from stackrift.findings import Severity
from stackrift.report.base import renderer
from stackrift.report.model import Report
from stackrift.report.sarif import artifact_uri, sarif_document

SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "sarif-schema-2.1.0.json"
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    raw = SCHEMA.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_SHA256, "the official schema was modified"
    schema = json.loads(raw)
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


@pytest.fixture
def log(report: Report) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(renderer("sarif").render(report))
    return document


def test_valid_against_official_schema(validator: jsonschema.Draft4Validator, report: Report,
                                       empty_report: Report) -> None:
    for item in (report, empty_report):
        document = json.loads(renderer("sarif").render(item))
        assert sorted(str(e) for e in validator.iter_errors(document)) == []


def test_schema_catches_a_broken_log(validator: jsonschema.Draft4Validator,
                                     log: dict[str, Any]) -> None:
    log["runs"][0]["results"][0]["level"] = "fatal"
    del log["runs"][0]["tool"]["driver"]["name"]
    messages = {e.message for e in validator.iter_errors(log)}
    assert "'fatal' is not one of ['none', 'note', 'warning', 'error']" in messages
    assert "'name' is a required property" in messages


def test_driver_and_rules(log: dict[str, Any]) -> None:
    assert log["version"] == "2.1.0"
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "stackrift" and driver["version"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    assert [r["id"] for r in rules] == ["hygiene/flow-without-subject-count",
                                        "provenance/entity-listed-vendor",
                                        "provenance/hostile", "provenance/mixed-stack"]
    listed = rules[1]
    assert listed["shortDescription"]["text"] == "Entity listed vendor (provenance analysis)"
    assert listed["defaultConfiguration"]["level"] == "error"
    assert listed["help"]["text"].startswith("Entity listed vendor (provenance analysis). ")
    assert "15 CFR 744, Supplement No. 4 <https://www.ecfr.gov/current/title-15/part-744>, " \
           "in force from 2019-05-16" in listed["help"]["text"]
    assert listed["properties"]["security-severity"] == "9.5"
    # a javascript: URL is never offered as a link, and Markdown help escapes its text
    assert "javascript:" not in listed["help"]["text"] + listed["help"]["markdown"]
    assert "- Trade press (unverified)" in listed["help"]["text"]
    assert "Check licensing" not in listed["help"]["text"]  # recommendations are per result
    assert rules[3]["defaultConfiguration"]["level"] == "warning"


def test_results_levels_locations_and_fingerprints(log: dict[str, Any]) -> None:
    run = log["runs"][0]
    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("provenance/entity-listed-vendor", "error"), ("provenance/mixed-stack", "warning"),
        ("provenance/hostile", "note"), ("hygiene/flow-without-subject-count", "note")]
    rules = run["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    first = results[0]
    physical = first["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "estates/acme.yaml"
    assert physical["region"] == {"startLine": 40, "startColumn": 7}
    assert first["partialFingerprints"] == {
        "stackriftFindingId/v1": "provenance:entity-listed-vendor:ascend-910b"}
    assert first["properties"]["severity"] == "critical"
    assert first["properties"]["analysis"] == "provenance"
    assert first["properties"]["citations"][0]["source"] == "15 CFR 744"
    assert first["message"]["text"].startswith("Ascend 910B is made by an Entity-Listed vendor")
    assert first["message"]["text"].endswith(
        "Recommendation: Check licensing before any US-origin item reaches it.")
    assert run["artifacts"] == [{"location": {"uri": "estates/acme.yaml"},
                                 "roles": ["analysisTarget"]}]
    assert run["properties"]["as_of"] == "2026-11-15"


def test_levels_for_every_severity(make_report: Any) -> None:
    report = make_report(Severity.LOW)
    levels = {r["properties"]["severity"]: r["level"]
              for r in sarif_document(report)["runs"][0]["results"]}
    assert levels == {"critical": "error", "medium": "warning", "low": "note", "info": "note"}


def test_artifact_uri(tmp_path: Path) -> None:
    assert artifact_uri("estate.yaml", tmp_path) == "estate.yaml"
    assert artifact_uri(str(tmp_path / "sub" / "my estate.yaml"), tmp_path) == \
        "sub/my%20estate.yaml"
    outside = tmp_path.parent / "elsewhere.yaml"
    assert artifact_uri(str(outside), tmp_path) == outside.resolve().as_uri()


def test_finding_located_in_another_file(report: Report, tmp_path: Path) -> None:
    from dataclasses import replace

    from stackrift.errors import Location

    moved = dict(report.locations)
    moved["hygiene:flow-without-subject-count:hr-to-us"] = Location("sboms/bot.cdx.json", 3, 9)
    run = sarif_document(replace(report, locations=moved), tmp_path)["runs"][0]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in run["results"]]
    assert uris == ["estates/acme.yaml"] * 3 + ["sboms/bot.cdx.json"]
    assert [a["location"]["uri"] for a in run["artifacts"]] == ["estates/acme.yaml",
                                                               "sboms/bot.cdx.json"]


@pytest.mark.parametrize("per_piece", [1, 2, 3, 4, 1024])
def test_log_in_pieces_is_the_log(report: Report, empty_report: Report, per_piece: int,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Written in pieces (a large scan's log), the SARIF log is the renderer's, byte for byte,
    whatever the number of results per piece (one, dividing them, the rest, all), also with
    none and with a finding located in another file."""
    from dataclasses import replace

    from stackrift.errors import Location
    from stackrift.report import sarif

    monkeypatch.setattr(jsonpieces, "ITEMS_PER_PIECE", per_piece)
    moved = dict(report.locations)
    moved["hygiene:flow-without-subject-count:hr-to-us"] = Location("sboms/bot.cdx.json", 3, 9)
    assert len(report.findings) == 4
    # an input's text that is the marker the pieces are cut at: the log is then made whole
    marked = replace(report, estate=replace(report.estate, organisation=jsonpieces._MARKER))
    for case in (report, empty_report, replace(report, locations=moved), marked):
        rendered = renderer("sarif").render(case).encode()
        assert b"".join(sarif.sarif_pieces(case)) == rendered


def test_github_limit_note_at_the_documented_limits() -> None:
    from stackrift.report.sarif import github_limit_note

    assert github_limit_note(0) is None and github_limit_note(5_000) is None
    kept = github_limit_note(5_001)
    assert kept is not None and "5,001 results" in kept
    assert "keeps only the 5,000 most severe" in kept
    assert github_limit_note(25_000) is not None and "keeps only" in str(github_limit_note(25_000))
    rejected = github_limit_note(25_001)
    assert rejected is not None and "rejects a run of more than 25,000" in rejected


@pytest.mark.parametrize(("kept", "accepted", "level"), [(3, 10, "warning"), (1, 3, "error")])
def test_run_over_the_github_limits_says_so(validator: jsonschema.Draft4Validator,
                                            report: Report, kept: int, accepted: int,
                                            level: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run holding more results than GitHub code scanning keeps carries a tool notification
    (valid SARIF, also written in pieces); one within the limits carries none."""
    from stackrift.report import sarif

    assert "invocations" not in sarif_document(report)["runs"][0]
    monkeypatch.setattr(sarif, "GITHUB_KEPT_RESULTS", kept)
    monkeypatch.setattr(sarif, "GITHUB_ACCEPTED_RESULTS", accepted)
    monkeypatch.setattr(jsonpieces, "ITEMS_PER_PIECE", 2)
    document = json.loads(renderer("sarif").render(report))
    assert sorted(str(e) for e in validator.iter_errors(document)) == []
    (invocation,) = document["runs"][0]["invocations"]
    (notification,) = invocation["toolExecutionNotifications"]
    assert invocation["executionSuccessful"] is True and notification["level"] == level
    assert notification["message"]["text"].startswith("this SARIF run holds 4 results")
    assert len(document["runs"][0]["results"]) == 4  # all of them, whatever GitHub keeps
    assert b"".join(sarif.sarif_pieces(report)) == renderer("sarif").render(report).encode()
