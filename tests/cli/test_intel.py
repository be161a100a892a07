"""The intel commands, end to end through main()."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pymisp import MISPEvent
from stix2validator import ValidationOptions, validate_string
from tests.cli.conftest import Cli

REPORT = Path(__file__).parent.parent / "report" / "golden" / "demo-report.json"


def _valid(text: str) -> None:
    result = validate_string(text, ValidationOptions(version="2.1", strict=True))
    assert result.is_valid, [str(e) for e in result.errors]


def test_export_report_to_stix_and_misp(cli: Cli, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.json"
    run = cli("intel", "export", str(REPORT), "-o", str(bundle), "--tlp", "green")
    assert run.code == 0, run.err
    _valid(bundle.read_text())
    assert "caveat: software and indicators" in run.err
    misp = tmp_path / "event.json"
    assert cli("intel", "export", str(REPORT), "-f", "misp", "-o", str(misp)).code == 0
    event = MISPEvent()
    event.load(misp.read_text())
    assert {o.name for o in event.objects} >= {"vulnerability", "software"}
    assert [t.name for t in event.tags] == ["tlp:amber"]
    again = tmp_path / "again.json"
    cli("intel", "export", str(REPORT), "-f", "misp", "-o", str(again))
    assert again.read_text() == misp.read_text()


def test_release_writes_bundle_and_record(cli: Cli, tmp_path: Path) -> None:
    bundle, out, record = tmp_path / "b.json", tmp_path / "out.json", tmp_path / "record.json"
    cli("intel", "export", str(REPORT), "-o", str(bundle))
    run = cli("intel", "release", str(bundle), "--from", "CN", "--to", "DE", "--as-of",
              "2026-12-04", "--community-member", "--record", str(record), "-o", str(out))
    assert run.code == 0, run.err
    _valid(out.read_text())
    document = json.loads(record.read_text())
    assert document["from"] == "CN" and document["to"] == "DE"
    assert "recipient_is_product_provider" in document["unknown_facts"]
    assert run.err.count("kept") == 1
    misp = tmp_path / "out.misp.json"
    assert cli("intel", "release", str(bundle), "--from", "CN", "--to", "DE", "--record",
               str(record), "-f", "misp", "-o", str(misp), "--community-member").code == 0
    MISPEvent().load(misp.read_text())


def test_release_refuses_malformed_bundles(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "bundle", "objects": [{"type": "indicator", "id": "x"}]}')
    run = cli("intel", "release", str(bad), "--from", "CN", "--to", "DE", "--record",
              str(tmp_path / "r.json"))
    assert run.code == 2
    assert "objects[0] has no valid type and id" in run.err
    deep = tmp_path / "deep.json"
    nested: object = "x"
    for _ in range(200):
        nested = [nested]
    deep.write_text(json.dumps({"type": "bundle", "objects": [
        {"type": "note", "id": "note--00000000-0000-4000-8000-000000000000", "x": nested}]}))
    run = cli("intel", "release", str(deep), "--from", "CN", "--to", "DE", "--record",
              str(tmp_path / "r.json"))
    assert run.code == 2 and "nests deeper than 64 levels" in run.err


def _indicators(path: Path) -> Path:
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-"
                                "000000000009", "objects": [
        {"type": "indicator", "spec_version": "2.1", "name": "c2",
         "id": "indicator--00000000-0000-4000-8000-000000000001",
         "pattern": "[ipv4-addr:value = '203.0.113.5']", "pattern_type": "stix",
         "valid_from": "2026-01-01T00:00:00Z"},
        {"type": "indicator", "spec_version": "2.1", "name": "either",
         "id": "indicator--00000000-0000-4000-8000-000000000002",
         "pattern": "[domain-name:value = 'evil.example'] OR [ipv4-addr:value = '198.51.100.9']",
         "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"}]}))
    return path


def _eve(path: Path) -> Path:
    path.write_bytes(b'{"event_type":"flow","src_ip":"10.1.1.1","dest_ip":"203.0.113.5"}\n'
                     b'{"event_type":"flow","src_ip":"10.1.1.2","dest_ip":"\xff\xfe"}\n'
                     b'{"event_type":"dns","src_ip":"10.1.1.2","dest_ip":"10.0.0.53",'
                     b'"dns":{"rrname":"evil.example"}}\n')
    return path


def test_sightings_count_matches_and_unreadable_lines(cli: Cli, tmp_path: Path) -> None:
    indicators, log = _indicators(tmp_path / "i.json"), _eve(tmp_path / "eve.json")
    run = cli("intel", "sightings", str(indicators), "--logs", str(log), "-f", "json")
    assert run.code == 0, run.err
    result = json.loads(run.out)
    assert {m["name"]: m["count"] for m in result["matched"]} == {"c2": 1, "either": 1}
    assert result["files"][0]["unreadable"] == 1
    assert "eve.json:2:1: invalid UTF-8" in result["files"][0]["first_problems"][0]
    assert "1 unreadable line(s)" in run.err
    strict = cli("intel", "sightings", str(indicators), "--logs", str(log), "--strict")
    assert strict.code == 2 and "eve.json:2:1: invalid UTF-8" in strict.err


@pytest.mark.parametrize("algorithm", [[], ["--algorithm", "bloom",
                                             "--false-positive-rate", "1e-5"]])
def test_digest_match_reveal_round_trip_with_audits(cli: Cli, tmp_path: Path,
                                                    algorithm: list[str]) -> None:
    key = tmp_path / "community.key"
    key.write_text("s" * 40)
    indicators, log = _indicators(tmp_path / "i.json"), _eve(tmp_path / "eve.json")
    digest, state = tmp_path / "digest.json", tmp_path / "state.json"
    refused = cli("intel", "digest", str(indicators), "--key", str(key), "--community", "soc",
                  "--from", "DE", "--to", "CN", "--state", str(state), "--audit",
                  str(tmp_path / "a1.json"), "-o", str(digest))
    assert refused.code == 2 and "intel.eu.gdpr.44.indicator-digests" in refused.err
    assert not digest.exists()
    run = cli("intel", "digest", str(indicators), "--key", str(key), "--community", "soc",
              "--from", "DE", "--to", "CN", "--transfer-lawful", "--state", str(state),
              "--audit", str(tmp_path / "a1.json"), "-o", str(digest), *algorithm)
    assert run.code == 0, run.err
    sent = json.loads(digest.read_text())
    assert sent["algorithm"] == ("bloom" if algorithm else "hmac-sha256")
    if algorithm:
        assert sent["bloom"]["false_positive_rate"] <= 1e-5
        assert json.loads((tmp_path / "a1.json").read_text())["kept_local"]["algorithm"] == "bloom"
    assert "intel.eu.gdpr.44.indicator-digests" in {
        r["id"] for r in json.loads((tmp_path / "a1.json").read_text())["rules"]}
    assert "203.0.113.5" not in digest.read_text()
    answer = tmp_path / "match.json"
    run = cli("intel", "match", str(digest), "--logs", str(log), "--key", str(key), "--from",
              "CN", "--to", "DE", "--audit", str(tmp_path / "a2.json"), "-o", str(answer))
    assert run.code == 0, run.err
    assert "10.1.1" not in answer.read_text()
    audit = json.loads((tmp_path / "a2.json").read_text())
    assert {r["id"] for r in audit["rules"]} >= {"intel.cn.raw-logs",
                                                 "intel.sovereign.match-counts"}
    run = cli("intel", "reveal", str(answer), "--state", str(state), "--audit",
              str(tmp_path / "a3.json"))
    assert run.code == 0, run.err
    assert [(m["name"], m["count"]) for m in json.loads(run.out)["matched"]] == [("c2", 1)]
    # the OR pattern needs the full matcher and is not digested: said, not hidden
    assert json.loads(state.read_text())["not_sent"] == [
        "indicator--00000000-0000-4000-8000-000000000002"]
    wrong = tmp_path / "wrong.key"
    wrong.write_text("t" * 40)
    run = cli("intel", "match", str(digest), "--logs", str(log), "--key", str(wrong), "--from",
              "CN", "--to", "DE", "--audit", str(tmp_path / "a4.json"))
    assert run.code == 2 and "another key" in run.err


def test_release_reads_the_transfer_verdict_of_an_estate_flow(cli: Cli, tmp_path: Path) -> None:
    from datetime import date

    from tests.conftest import DEMO_ESTATE

    from stackrift.estate.loader import load_estate
    from stackrift.rules.engine import evaluate_estate, load_rule_set

    verdict = next(v for v in evaluate_estate(load_estate(DEMO_ESTATE).estate,
                                              date(2026, 12, 4), load_rule_set())
                   if v.flow_id == "cn-hr-to-de")
    bundle, record = tmp_path / "b.json", tmp_path / "record.json"
    bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-"
                                  "000000000009", "objects": [
        {"type": "ipv4-addr", "spec_version": "2.1", "value": "10.20.30.40",
         "id": "ipv4-addr--00000000-0000-4000-8000-000000000001",
         "object_marking_refs": ["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"]}]}))
    run = cli("intel", "release", str(bundle), "--from", "CN", "--to", "DE", "--as-of",
              "2026-12-04", "--estate", str(DEMO_ESTATE), "--flow", "cn-hr-to-de", "--record",
              str(record))
    assert run.code == 0, run.err
    document = json.loads(record.read_text())
    assert document["transfer_basis"]["lawful"] is verdict.lawful
    assert document["facts"]["transfer_lawful"] is verdict.lawful
    (released,) = json.loads(run.out)["objects"]
    assert released["value"] == ("10.20.30.40" if verdict.lawful else "10.20.30.0/24")
    unknown = cli("intel", "release", str(bundle), "--from", "CN", "--to", "DE", "--estate",
                  str(DEMO_ESTATE), "--flow", "nope", "--record", str(record))
    assert unknown.code == 2 and "no data flow 'nope'" in unknown.err


def test_rules_lists_every_release_rule_with_its_source(cli: Cli) -> None:
    run = cli("intel", "rules", "-f", "json")
    assert run.code == 0, run.err
    rows = {r["id"]: r for r in json.loads(run.out)["rules"]}
    assert rows["intel.cn.vuln.9.undisclosed-overseas"]["in_force_from"] == "2021-09-01"
    assert rows["intel.us.cisa2015.104d2.remove-pii"]["in_force_until"] == "2026-09-30"
    assert rows["intel.us.cisa2015.status-after-2026-09-30"]["unverified_reason"]
    assert all(r["checked_on"] == "2026-12-04" for r in rows.values())
    assert cli("intel", "rules").code == 0
