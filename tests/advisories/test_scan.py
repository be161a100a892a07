"""Scanning: real-data acceptance, output formats validated against their schemas, VEX, waivers."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import jsonschema
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from stackrift.advisories.importer import import_paths
from stackrift.advisories.model import ImportReport
from stackrift.advisories.scan import scan_json, starter_pack_path
from stackrift.advisories.store import SqliteStore
from stackrift.analyses.vulnerabilities import run_scan
from stackrift.bom.base import read_bom
from stackrift.cli import main

SARIF_SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "sarif-schema-2.1.0.json"
AS_OF = date(2026, 11, 15)


def sbom(tmp_path: Path, *purls: str) -> Path:
    components = []
    for index, purl in enumerate(purls):
        name, version = purl.split("/")[-1].split("@")
        components.append({"type": "library", "bom-ref": f"c{index}", "name": name,
                           "version": version, "purl": purl})
    path = tmp_path / "bom.cdx.json"
    path.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                                "components": components}, indent=1))
    return path


@pytest.fixture
def starter_db(tmp_path: Path) -> Path:
    path = tmp_path / "starter.sqlite"
    with SqliteStore(path) as store:
        import_paths(store, [starter_pack_path()], label="starter")
    return path


def test_tensorflow_findings_known_to_both_sides(real_store: tuple[SqliteStore, ImportReport],
                                                 tmp_path: Path) -> None:
    store, _ = real_store
    document = read_bom(sbom(tmp_path, "pkg:pypi/tensorflow@2.4.0"))
    result = run_scan(document, db=Path(store.path), catalogue=None, as_of=AS_OF)
    keys = Counter((m.group_id, m.target.ref) for m in result.matches)
    assert keys and max(keys.values()) == 1  # one finding per group and component
    both = [m for m in result.matches if {"osv", "cnvd"} <= set(m.sources)]
    assert len(both) > 100
    hit = next(m for m in result.matches if m.group_id == "CVE-2021-37678")
    assert "CNVD-2021-63084" in hit.ids and hit.method == "range"
    assert hit.method_by_source == {"cnvd": "alias", "osv": "range"} or \
        hit.method_by_source["osv"] == "range"
    assert "2.4.3" in hit.fixed
    summary = result.summary()
    assert summary["coverage"]["both"] == len(both)
    assert summary["lag"]["pairs"] >= len(both) - 5


def test_fixed_version_is_not_reported(starter_db: Path, tmp_path: Path) -> None:
    document = read_bom(sbom(tmp_path, "pkg:pypi/torch@2.6.0", "pkg:pypi/torch@2.1.0"))
    result = run_scan(document, db=starter_db, catalogue=None, as_of=AS_OF)
    refs = {m.target.ref for m in result.matches if m.group_id == "CVE-2025-32434"}
    assert refs == {"pkg:pypi/torch@2.1.0"}


def test_sarif_output_validates(starter_db: Path, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    path = sbom(tmp_path, "pkg:pypi/tensorflow@2.4.0", "pkg:pypi/vllm@0.5.0")
    with pytest.raises(SystemExit) as exit_info:
        main(["scan", str(path), "--db", str(starter_db), "--format", "sarif",
              "--as-of", "2026-11-15"])
    assert exit_info.value.code == 1  # high findings, default --fail-on high
    document = json.loads(capsys.readouterr().out)
    jsonschema.Draft7Validator(json.loads(SARIF_SCHEMA.read_text())).validate(document)
    results = document["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"vulnerabilities/known-vulnerability"}
    assert any("CVE-2021-37678" in r["message"]["text"] for r in results)
    region = results[0]["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] > 1  # located at the component's line in the SBOM


def test_sarif_over_github_limits_is_said(starter_db: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """More results than GitHub code scanning keeps: a warning on standard error and a
    notification in the log; within the limits, neither."""
    from stackrift.report import sarif

    path = sbom(tmp_path, "pkg:pypi/tensorflow@2.4.0", "pkg:pypi/vllm@0.5.0")
    command = ["scan", str(path), "--db", str(starter_db), "--format", "sarif",
               "--as-of", "2026-11-15"]
    with pytest.raises(SystemExit):
        main(command)
    within = capsys.readouterr()
    count = len(json.loads(within.out)["runs"][0]["results"])
    assert count > 2 and "GitHub" not in within.err
    monkeypatch.setattr(sarif, "GITHUB_KEPT_RESULTS", 2)
    with pytest.raises(SystemExit) as exit_info:
        main(command)
    assert exit_info.value.code == 1
    over = capsys.readouterr()
    assert f"warning: this SARIF run holds {count} results: GitHub code scanning keeps only " \
        "the 2 most severe" in " ".join(over.err.split())
    run = json.loads(over.out)["runs"][0]
    assert run["invocations"][0]["toolExecutionNotifications"][0]["level"] == "warning"
    assert len(run["results"]) == count


def test_cyclonedx_vex_output_validates(starter_db: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = sbom(tmp_path, "pkg:pypi/tensorflow@2.4.0", "pkg:pypi/mlflow@2.8.0")
    with pytest.raises(SystemExit):
        main(["scan", str(path), "--db", str(starter_db), "--format", "cyclonedx-vex",
              "--as-of", "2026-11-15"])
    text = capsys.readouterr().out
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    document = json.loads(text)
    assert document["specVersion"] == "1.6"
    entry = next(v for v in document["vulnerabilities"] if v["id"] == "CVE-2021-37678")
    assert {r["id"] for r in entry["references"]} >= {"CNVD-2021-63084", "PYSEC-2021-300"}
    assert entry["analysis"]["state"] == "exploitable"


def test_json_shape_and_exit_codes(starter_db: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = sbom(tmp_path, "pkg:pypi/langchain@0.0.300")
    with pytest.raises(SystemExit) as exit_info:
        main(["scan", str(path), "--db", str(starter_db), "-f", "json", "--fail-on", "critical"])
    assert exit_info.value.code == 0  # langchain's starter findings are below critical
    document = json.loads(capsys.readouterr().out)
    finding = document["findings"][0]
    for key in ("purl", "ids", "sources", "severity", "fixed", "match"):
        assert key in finding
    assert finding["match"]["method"] == "range"
    assert document["summary"]["findings"] == len(document["findings"]) == 3


def test_vex_and_waivers_suppress_and_are_counted(starter_db: Path, tmp_path: Path) -> None:
    path = sbom(tmp_path, "pkg:pypi/torch@2.1.0", "pkg:pypi/vllm@0.5.0")
    vex = tmp_path / "openvex.json"
    vex.write_text(json.dumps({
        "@context": "https://openvex.dev/ns/v0.2.0", "@id": "x", "author": "us",
        "timestamp": "2026-01-01T00:00:00Z", "version": 1,
        "statements": [{"vulnerability": {"name": "CVE-2025-32434"},
                        "products": [{"@id": "pkg:pypi/torch"}], "status": "not_affected",
                        "justification": "vulnerable_code_not_in_execute_path"}]}))
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n"
                       "  - {id: CVE-2024-8768, reason: API not exposed, expires: 2027-01-01}\n"
                       "  - {id: CVE-2025-24357, reason: only vetted models, "
                       "expires: 2026-01-01}\n")
    document = read_bom(path)
    result = run_scan(document, db=starter_db, catalogue=None, vex=[vex], waivers=waivers,
                      as_of=AS_OF)
    suppressed = {m.group_id: why for m, why in result.suppressed}
    assert suppressed["CVE-2025-32434"].startswith("VEX not_affected")
    assert suppressed["CVE-2024-8768"] == "waived: API not exposed (until 2027-01-01)"
    expired = next(m for m in result.matches if m.group_id == "CVE-2025-24357")
    assert expired.vex is not None and expired.vex["waiver_expired"] == "2026-01-01"
    assert result.summary()["suppressed"] == 2
    assert any(t["title"] == "Suppressed by VEX or waiver" for t in result.summary()["tables"])
    assert len(scan_json(result)["summary"]["suppressed_findings"]) == 2


def test_waiver_without_reason_is_refused(starter_db: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - {id: CVE-2024-8768}\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["scan", str(sbom(tmp_path, "pkg:pypi/vllm@0.5.0")), "--db", str(starter_db),
              "--waivers", str(waivers)])
    assert exit_info.value.code == 2
    assert "has no reason" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["empty.cdx.json", "requirements.txt"])
def test_nothing_to_scan_is_never_clean(starter_db: Path, tmp_path: Path, name: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """An input listing no components (an empty or failed export) is not a clean result: a
    caveat says nothing was looked at and the gate counts it as unknown."""
    path = sbom(tmp_path) if name.endswith(".json") else tmp_path / name
    if not name.endswith(".json"):
        path.write_text("# no requirements\n")
    for options, code in (([], 1), (["--unknown-severity-as", "info"], 0),
                          (["--fail-on", "critical"], 0)):
        with pytest.raises(SystemExit) as exit_info:
            main(["scan", str(path), "--db", str(starter_db), "-f", "json", *options])
        assert exit_info.value.code == code, options
        captured = capsys.readouterr()
        summary = json.loads(captured.out)["summary"]
        assert summary["components_scanned"] == 0 and summary["findings"] == 0
        assert any("nothing was looked at" in c for c in summary["caveats"])
        assert "caveat: no components were given to scan" in " ".join(captured.err.split())
        assert ("nothing was scanned: counted as a result of unknown severity" in
                " ".join(captured.err.split())) is (code == 1)
    with pytest.raises(SystemExit) as exit_info:  # the table says it too
        main(["scan", str(path), "--db", str(starter_db)])
    assert exit_info.value.code == 1
    assert "nothing was looked at" in " ".join(capsys.readouterr().out.split())
    with pytest.raises(SystemExit) as exit_info:  # one component: no such caveat
        main(["scan", str(sbom(tmp_path, "pkg:pypi/torch@2.6.0")), "--db", str(starter_db),
              "-f", "json"])
    assert "nothing was looked at" not in capsys.readouterr().out


def test_components_with_nothing_to_look_up_are_named(starter_db: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A component with no purl, CPE or vendor cannot be looked up: the scan says so (a caveat
    and the list in the summary) instead of counting it silently among the scanned."""
    path = tmp_path / "bom.cdx.json"
    path.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                                "components": [
                                    {"type": "library", "bom-ref": "a", "name": "libfoo",
                                     "version": "1.0"},
                                    {"type": "library", "bom-ref": "b", "name": "requests-x",
                                     "version": "1.0", "purl": "pkg:pypi/requests-x@1.0"},
                                    {"type": "library", "bom-ref": "c", "name": "openssl",
                                     "version": "1.0.1", "cpe":
                                     "cpe:2.3:a:openssl:openssl:1.0.1:*:*:*:*:*:*:*"}]}))
    with pytest.raises(SystemExit) as exit_info:
        main(["scan", str(path), "--db", str(starter_db), "-f", "json"])
    assert exit_info.value.code == 0  # named, not gated: there was nothing to look up
    captured = capsys.readouterr()
    summary = json.loads(captured.out)["summary"]
    assert summary["components_not_looked_up"] == ["a"]
    assert any(c.startswith("1 of 3 components not looked up: no purl, CPE or vendor")
               for c in summary["caveats"])
    assert "caveat: 1 of 3 components not looked up" in " ".join(captured.err.split())


def test_bad_waiver_entries_say_what_is_wrong(tmp_path: Path) -> None:
    from stackrift.advisories.vex import load_waivers
    from stackrift.errors import InvalidInputError

    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - {id: 5, reason: r}\n  - {reason: r}\n  - just text\n")
    with pytest.raises(InvalidInputError) as caught:
        load_waivers(waivers)
    lines = str(caught.value).splitlines()
    assert lines[0].startswith(f"{waivers}:2:5: waivers[0] id 5 is not text;")
    assert lines[1].startswith(f"{waivers}:3:5: waivers[1] has no 'id';")
    assert lines[2].startswith(f"{waivers}:4:5: waivers[2] is not a mapping;")


@pytest.mark.parametrize("kind", ["vex", "csaf", "baseline"])
def test_malformed_json_is_located(tmp_path: Path, kind: str) -> None:
    from stackrift.advisories.csaf import CsafFeed
    from stackrift.advisories.vex import load_vex
    from stackrift.errors import InvalidInputError
    from stackrift.report.executive import load_baseline

    path = tmp_path / f"{kind}.json"
    path.write_text('{"csaf_version": "2.0",\n  "document": [1,}')
    with pytest.raises(InvalidInputError) as caught:
        {"vex": load_vex, "csaf": lambda p: list(CsafFeed().parse(p)),
         "baseline": load_baseline}[kind](path)
    assert str(caught.value).startswith(f"{path}:2:18: ")
    assert "not valid JSON (" in str(caught.value)


def test_cyclonedx_vex_input_suppresses(starter_db: Path, tmp_path: Path) -> None:
    vex = tmp_path / "vex.cdx.json"
    vex.write_text(json.dumps({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "components": [{"type": "library", "bom-ref": "t", "name": "tensorflow",
                        "purl": "pkg:pypi/tensorflow@2.4.0"}],
        "vulnerabilities": [{"id": "CVE-2021-37678", "analysis": {"state": "resolved"},
                             "affects": [{"ref": "t"}]}]}))
    result = run_scan(read_bom(sbom(tmp_path, "pkg:pypi/tensorflow@2.4.0")), db=starter_db,
                      catalogue=None, vex=[vex], as_of=AS_OF)
    assert [m.group_id for m, _ in result.suppressed] == ["CVE-2021-37678"]


def test_empty_store_gets_the_starter_pack(tmp_path: Path) -> None:
    db = tmp_path / "fresh.sqlite"
    result = run_scan(read_bom(sbom(tmp_path, "pkg:pypi/ray@2.8.0")), db=db, catalogue=None,
                      as_of=AS_OF)
    assert result.store.starter_pack
    assert {m.group_id for m in result.matches} >= {"CVE-2023-6019", "CVE-2023-48022"}
    with SqliteStore(db) as store:
        assert store.content_label() == "starter"


def test_starter_pack_version_file_is_current() -> None:
    # starter.json saves hashing the pack on every scan; a changed pack must change it, or
    # stores would keep the old pack
    from stackrift.advisories.starter_pack import VERSION_FILE, pack_digest, starter_version

    assert starter_version() == pack_digest(), (
        f"the starter pack changed: set 'version' in stackrift/advisories/{VERSION_FILE} to "
        f"{pack_digest()}")


def test_as_of_ignores_later_advisories(starter_db: Path, tmp_path: Path) -> None:
    document = read_bom(sbom(tmp_path, "pkg:pypi/torch@2.1.0"))
    before = run_scan(document, db=starter_db, catalogue=None, as_of=date(2025, 1, 1))
    after = run_scan(document, db=starter_db, catalogue=None, as_of=date(2025, 6, 1))
    assert "CVE-2025-32434" not in {m.group_id for m in before.matches}  # published 2025-04-18
    assert "CVE-2025-32434" in {m.group_id for m in after.matches}


def test_cli_db_commands(real_store: tuple[SqliteStore, ImportReport],
                         capsys: pytest.CaptureFixture[str]) -> None:
    store, _ = real_store
    with pytest.raises(SystemExit) as exit_info:
        main(["db", "stats", "--json", "--db", store.path])
    assert exit_info.value.code == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["records_by_source"]["cnvd"] == 111_816
    assert stats["osv_by_ecosystem"] == {"Go": 4_291, "PyPI": 2_661 + 10}  # + starter pack
    with pytest.raises(SystemExit):
        main(["db", "show", "CVE-2021-37678", "--json", "--db", store.path])
    shown = json.loads(capsys.readouterr().out)
    dates = {r["id"]: r["published"] for r in shown["records"]}
    assert dates["CNVD-2021-63084"] == "2021-08-18"
    assert dates["PYSEC-2021-300"].startswith("2021-08-12")
    with pytest.raises(SystemExit) as exit_info:
        main(["db", "show", "CVE-1900-0001", "--db", store.path])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["db", "stats", "--db", str(Path(store.path).parent / "missing.sqlite")])
    assert exit_info.value.code == 2


@pytest.mark.parametrize("values", [[5], [3, 1], [4, 1, 9, 2], [7, 7, 1, 0, 30], list(range(101)),
                                    [2, 9, 4, 4, 11, 0, 8, 3]])
def test_lag_percentiles_median_is_statistics_median(values: list[int]) -> None:
    import statistics

    from stackrift.advisories.scan import percentiles

    found = percentiles(values)
    assert found["median"] == statistics.median(values)
    assert found["n"] == len(values)


def test_table_to_a_file_has_each_finding_whole_on_one_line(starter_db: Path,
                                                            tmp_path: Path) -> None:
    """Written to a file, the table holds one line per finding, as wide as the widest row
    needs: a component name longer than any terminal is neither wrapped nor cut."""
    long_name = "tensorflow"
    path = sbom(tmp_path, "pkg:pypi/tensorflow@2.4.0", "pkg:pypi/langchain@0.0.300")
    document = json.loads(path.read_text())
    document["components"][0]["name"] = long_name + "-" + "x" * 240  # the purl still matches
    path.write_text(json.dumps(document))
    for output_format in ("json", "terminal"):
        with pytest.raises(SystemExit):
            main(["scan", str(path), "--db", str(starter_db), "-f", output_format, "-o",
                  str(tmp_path / f"scan.{output_format}")])
    findings = json.loads((tmp_path / "scan.json").read_text())["findings"]
    lines = (tmp_path / "scan.terminal").read_text(encoding="utf-8").splitlines()
    rows = [line for line in lines if line.startswith("│")]
    assert len(rows) == len(findings) > 3
    for finding, row in zip(findings, rows, strict=True):
        cells = [cell.strip() for cell in row.strip("│").split("│")]
        assert cells[:3] == [finding["severity"], f"{finding['name']} {finding['version']}",
                             finding["group"]]
        assert cells[6] == f"{finding['match']['method']} ({finding['match']['confidence']:.1f})"
    assert len({len(line) for line in lines if line[:1] in "┏┃┡│└"}) == 1
    assert len(rows[0]) > 250


def test_table_at_a_terminal_never_cuts_an_id(starter_db: Path, tmp_path: Path) -> None:
    """At a terminal, findings are a table when it fits, else (a component name longer than the
    terminal is wide) one block per finding: no id is ever cut to fit a column."""
    import io

    from stackrift.advisories.sbom_targets import cyclonedx_targets
    from stackrift.advisories.scan import render_table, scan_store
    from stackrift.advisories.severity import Severity
    from stackrift.textsafe import SafeConsole

    path = sbom(tmp_path, "pkg:pypi/tensorflow@2.4.0", "pkg:pypi/langchain@0.0.300")
    document = json.loads(path.read_text())
    for name, expect_table in (("tensorflow", True), ("tensorflow-" + "x" * 150, False)):
        document["components"][0]["name"] = name
        path.write_text(json.dumps(document))
        result = scan_store(cyclonedx_targets(path) or [], db=starter_db, keys={})
        assert len(result.matches) > 3
        buffer = io.StringIO()
        render_table(result, SafeConsole(file=buffer, width=150, force_terminal=True,
                                         color_system=None, markup=False, highlight=False),
                     Severity.HIGH)
        text = buffer.getvalue()
        assert ("┏" in text) is expect_table
        assert "…" not in text
        for match in result.matches:
            assert all(ident in text for ident in match.ids)
            assert match.target.name in text.replace("\n", "") or not expect_table
