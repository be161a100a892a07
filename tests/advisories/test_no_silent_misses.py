"""No silent misses: a scan or assessment either finds the problem or says it could not look.

Each test is a regression test for one defect (numbered as in the issue that reported them).
"""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from tests.cli.helpers import run_cli

from stackrift.advisories.matcher import Target
from stackrift.advisories.matching import cpe_parts, version_of
from stackrift.advisories.scan import _unique, component_target
from stackrift.estate.model import Component

AS_OF = "2026-11-15"

ESTATE_HEAD = """\
schema_version: 1
organisation: {name: Test Org, hq_country: US}
entities:
  - {id: org, name: Test Org Inc., country: US}
sites:
  - {id: dc, name: DC, kind: on_prem, country: US, entity: org}
"""


def write_estate(folder: Path, components: str, systems: str = "") -> Path:
    path = folder / "estate.yaml"
    path.write_text(ESTATE_HEAD + "components:\n" + components + (
        "systems:\n" + systems if systems else ""), encoding="utf-8")
    return path


def assess_json(estate: Path, db: Path, *extra: str) -> tuple[int, dict[str, object]]:
    done = run_cli("assess", str(estate), "--db", str(db), "--as-of", AS_OF, "-f", "json",
                   "-a", "vulnerabilities", *extra)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def vulnerability_findings(report: dict[str, object]) -> list[dict[str, object]]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return [f for f in findings if f["rule"] == "known-vulnerability"]


# -- 1: the version inside a purl or CPE is the version ------------------------------------------

def test_purl_only_component_gets_findings_through_assess(tmp_path: Path) -> None:
    estate = write_estate(tmp_path, '  - {id: torch, type: framework, name: PyTorch, '
                                    'purl: "pkg:pypi/torch@2.3.0"}\n')
    code, report = assess_json(estate, tmp_path / "store.sqlite")
    ids = {f["id"] for f in vulnerability_findings(report)}
    assert "vulnerabilities:known-vulnerability:CVE-2025-32434:torch" in ids
    assert code == 1  # critical
    summary = report["analyses"]["vulnerabilities"]["summary"]  # type: ignore[index]
    assert summary["components_without_version"] == []


def test_purl_only_component_has_no_version_gap(tmp_path: Path) -> None:
    estate = write_estate(tmp_path, '  - {id: torch, type: framework, name: PyTorch, '
                                    'purl: "pkg:pypi/torch@2.3.0"}\n')
    done = run_cli("assess", str(estate), "--db", str(tmp_path / "s.sqlite"), "--as-of", AS_OF,
                   "-f", "json", "-a", "hygiene")
    report = json.loads(done.stdout)
    assert not [f for f in report["findings"] if f["rule"] == "component-without-version"]


def test_cpe_version_and_names() -> None:
    assert cpe_parts("cpe:2.3:a:redhat:keycloak:10.0.2:*:*:*:*:*:*:*") == \
        ("redhat", "keycloak", "10.0.2")
    assert cpe_parts("cpe:/a:apache:tomcat:9.0.1") == ("apache", "tomcat", "9.0.1")
    assert cpe_parts("cpe:2.3:a:apache:tomcat:*:*:*:*:*:*:*:*") == ("apache", "tomcat", None)
    assert cpe_parts("not a cpe") is None
    assert version_of(None, "pkg:pypi/torch@2.3.0") == "2.3.0"
    assert version_of(None, None, "cpe:/a:apache:tomcat:9.0.1") == "9.0.1"
    assert version_of("1.0", "pkg:pypi/torch@2.3.0") == "1.0"
    component = Component(id="tc", type="application", name="Tomcat",
                          cpe="cpe:2.3:a:apache:tomcat:9.0.1:*:*:*:*:*:*:*")
    target = component_target(component, "tc")
    assert (target.vendor, target.product, target.version) == ("apache", "tomcat", "9.0.1")
    assert Target("t", "torch", None, "pkg:pypi/torch@2.3.0").version == "2.3.0"


def test_scan_of_sbom_component_with_purl_version_only(tmp_path: Path) -> None:
    sbom = tmp_path / "bom.cdx.json"
    sbom.write_bytes(orjson.dumps({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "components": [{"type": "library", "name": "torch", "purl": "pkg:pypi/torch@2.3.0"}]}))
    done = run_cli("scan", str(sbom), "--db", str(tmp_path / "s.sqlite"), "-f", "json",
                   "--as-of", AS_OF)
    data = json.loads(done.stdout)
    assert "CVE-2025-32434" in {f["group"] for f in data["findings"]}
    assert done.returncode == 1


# -- 6: one finding per (system, component identity, vulnerability group) -------------------------

def test_sbom_repeating_declared_components_gives_one_finding(tmp_path: Path) -> None:
    sbom = tmp_path / "app.cdx.json"
    sbom.write_bytes(orjson.dumps({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "components": [{"type": "library", "bom-ref": "t", "name": "torch", "version": "2.3.0",
                        "purl": "pkg:pypi/torch@2.3.0"}]}))
    estate = write_estate(
        tmp_path,
        '  - {id: torch, type: framework, name: PyTorch, purl: "pkg:pypi/torch@2.3.0"}\n',
        "  - {id: app, name: App, purpose: testing, site: dc, components: [torch], "
        "sboms: [app.cdx.json]}\n")
    _code, report = assess_json(estate, tmp_path / "store.sqlite")
    findings = vulnerability_findings(report)
    keys = [(f["evidence"]["group"], tuple(f["evidence"]["systems"])) for f in findings]
    assert len(keys) == len(set(keys)), keys
    torch = [f for f in findings if f["evidence"]["group"] == "CVE-2025-32434"]
    assert len(torch) == 1
    assert torch[0]["subject"]["id"] == "torch"  # the declared component, not the SBOM copy
    assert torch[0]["evidence"]["systems"] == ["app"]


def test_unique_merges_by_identity_not_ref() -> None:
    a = Target("torch", "PyTorch", "2.3.0", "pkg:pypi/torch@2.3.0", systems=("x",))
    b = Target("sbom:torch", "torch", None, "pkg:pypi/Torch@2.3.0?arch=x86", systems=("y",))
    c = Target("torch-old", "torch", "2.2.0", "pkg:pypi/torch@2.2.0")
    merged = _unique([a, b, c])
    assert [t.ref for t in merged] == ["torch", "torch-old"]
    assert merged[0].systems == ("x", "y")



# -- 5: unknown severity is "unknown", with the reason, and gated as configured -------------------

def mlflow_sbom(folder: Path) -> Path:
    path = folder / "mlflow.cdx.json"
    path.write_bytes(orjson.dumps({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "components": [{"type": "library", "name": "mlflow", "version": "2.8.0",
                        "purl": "pkg:pypi/mlflow@2.8.0"}]}))
    return path


def test_unknown_severity_is_shown_and_gated_as_high_by_default(tmp_path: Path) -> None:
    sbom, db = mlflow_sbom(tmp_path), tmp_path / "s.sqlite"
    done = run_cli("scan", str(sbom), "--db", str(db), "-f", "json", "--as-of", AS_OF)
    findings = json.loads(done.stdout)["findings"]
    unrated = [f for f in findings if not f["severity_known"]]
    assert unrated and all(f["severity"] == "unknown" for f in unrated)
    assert all("no CVSS vector or severity rating in any source" in f["severity_reason"]
               for f in unrated)
    assert not any(f["severity"] == "medium" and not f["severity_known"] for f in findings)
    assert done.returncode == 1  # unknown counts as high, the default threshold
    relaxed = run_cli("scan", str(sbom), "--db", str(db), "--as-of", AS_OF,
                      "--unknown-severity-as", "medium")
    assert relaxed.returncode == 0, relaxed.stdout
    assert "unknown" in relaxed.stdout and "counted as 'medium'" in relaxed.stdout
    refused = run_cli("scan", str(sbom), "--db", str(db), "--fail-on", "unknown")
    assert refused.returncode == 2 and "--unknown-severity-as" in refused.stderr


def test_unknown_severity_in_sarif_and_assess(tmp_path: Path) -> None:
    sbom, db = mlflow_sbom(tmp_path), tmp_path / "s.sqlite"
    done = run_cli("scan", str(sbom), "--db", str(db), "-f", "sarif", "--as-of", AS_OF)
    results = json.loads(done.stdout)["runs"][0]["results"]
    unknown = [r for r in results if r["properties"]["severity"] == "unknown"]
    assert unknown and all(r["level"] == "error" for r in unknown)  # counted as high
    estate = write_estate(tmp_path, '  - {id: mlflow, type: library, name: MLflow, '
                                    'purl: "pkg:pypi/mlflow@2.8.0"}\n')
    code, report = assess_json(estate, db, "--fail-on", "high")
    assert code == 1 and report["summary"]["by_severity"]["unknown"] >= 1
    assert report["summary"]["unknown_severity_as"] == "high"
    code, report = assess_json(estate, db, "--unknown-severity-as", "low")
    assert code == 0 and report["summary"]["failing"] == 0
    md = run_cli("assess", str(estate), "--db", str(db), "--as-of", AS_OF, "-f", "md",
                 "-a", "vulnerabilities")
    assert "Unknown severity counts as `high`." in md.stdout
    assert "| UNKNOWN |" in md.stdout or "| unknown |" in md.stdout


def test_severity_order_and_gate() -> None:
    from stackrift.findings import Severity, fails_gate

    ordered = sorted(Severity, key=lambda s: s.rank)
    assert [s.value for s in ordered] == ["info", "low", "medium", "unknown", "high", "critical"]
    assert fails_gate(Severity.UNKNOWN, Severity.HIGH)
    assert not fails_gate(Severity.UNKNOWN, Severity.HIGH, Severity.MEDIUM)
    assert fails_gate(Severity.UNKNOWN, Severity.CRITICAL, Severity.CRITICAL)
    assert fails_gate(Severity.CRITICAL, Severity.HIGH, Severity.INFO)


# -- 2: the starter pack is part of every store ---------------------------------------------------

def tensorflow_osv(folder: Path) -> Path:
    feed = folder / "feed"
    feed.mkdir()
    (feed / "GHSA-test-0001.json").write_bytes(orjson.dumps({
        "id": "GHSA-test-0001", "modified": "2024-01-01T00:00:00Z",
        "published": "2024-01-01T00:00:00Z",
        "affected": [{"package": {"name": "left-pad", "ecosystem": "npm"},
                      "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"},
                                                               {"fixed": "1.3.0"}]}]}]}))
    return feed


def test_db_import_into_fresh_store_keeps_the_starter_pack(tmp_path: Path) -> None:
    db = tmp_path / "fresh.sqlite"
    done = run_cli("db", "import", str(tensorflow_osv(tmp_path)), "--db", str(db), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["starter_pack"]["new"] >= 30
    # whatever the order of commands, the demo's critical findings are there
    estate = write_estate(tmp_path, '  - {id: torch, type: framework, name: PyTorch, '
                                    'purl: "pkg:pypi/torch@2.1.0"}\n')
    code, report = assess_json(estate, db)
    assert code == 1
    assert "CVE-2025-32434" in {f["evidence"]["group"] for f in vulnerability_findings(report)}
    stats = json.loads(run_cli("db", "stats", "--db", str(db), "--json").stdout)
    assert stats["starter_pack"]["current"] is True
    assert stats["records_by_source"]["osv"] > 1
    coverage = json.loads(run_cli("db", "coverage", "--db", str(db), "--json").stdout)
    assert coverage["starter_pack"]["current"] is True
    text = run_cli("db", "stats", "--db", str(db)).stdout
    assert "starter advisory pack" in text


def test_starter_import_is_idempotent_and_never_downgrades(tmp_path: Path) -> None:
    from stackrift.advisories.importer import import_paths
    from stackrift.advisories.starter_pack import META_KEY, ensure_starter, starter_pack_path
    from stackrift.advisories.store import SqliteStore

    with SqliteStore(tmp_path / "s.sqlite") as store:
        # a feed's newer copy of a starter record
        record = json.loads((starter_pack_path() / "osv" / "PYSEC-2021-300.json").read_text())
        record["modified"] = "2099-01-01T00:00:00Z"
        record["summary"] = "the feed's revision"
        feed = tmp_path / "feed"
        feed.mkdir()
        (feed / "PYSEC-2021-300.json").write_text(json.dumps(record))
        import_paths(store, [feed])
        assert ensure_starter(store) is not None
        kept = store.group("PYSEC-2021-300")
        assert kept is not None
        assert [r.title for r in kept.records if r.id == "PYSEC-2021-300"] == \
            ["the feed's revision"]
        before = store.fingerprint()
        assert ensure_starter(store) is None  # this version is there: nothing to do
        assert store.fingerprint() == before
        # a new StackRift with a changed pack imports it again, still without downgrading
        store.set_meta(META_KEY, "older")
        ensure_starter(store)
        assert store.fingerprint()[0] == before[0]
        assert store.content_label() is None  # the store holds a feed, not only the pack


# -- 3: a store that cannot be opened is refused, never replaced -----------------------------------

def torch_sbom(folder: Path) -> Path:
    path = folder / "torch.cdx.json"
    path.write_bytes(orjson.dumps({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "components": [{"type": "library", "name": "torch", "version": "2.1.0",
                        "purl": "pkg:pypi/torch@2.1.0"}]}))
    return path


def newer_schema_store(folder: Path) -> Path:
    import sqlite3

    path = folder / "newer.sqlite"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 999")
    db.close()
    return path


@pytest.mark.parametrize("kind", ["newer", "not-sqlite", "corrupt"])
def test_unusable_store_fails_closed(tmp_path: Path, kind: str) -> None:
    if kind == "newer":
        db = newer_schema_store(tmp_path)
        reason = "newer than this StackRift understands"
    elif kind == "not-sqlite":
        db = tmp_path / "notes.sqlite"
        db.write_text("these are not advisories\n" * 100)
        reason = "not an advisory store"
    else:
        db = tmp_path / "corrupt.sqlite"
        run_cli("db", "import", str(tensorflow_osv(tmp_path)), "--db", str(db))
        data = bytearray(db.read_bytes())
        data[100:4096 * 3] = b"\xff" * (4096 * 3 - 100)  # the header survives, the pages do not
        db.write_bytes(bytes(data))
        reason = "advisory store"
    before = db.read_bytes()
    for args in (["scan", str(torch_sbom(tmp_path)), "--db", str(db)],
                 ["assess", str(write_estate(tmp_path, '  - {id: torch, type: framework, '
                                             'name: PyTorch, purl: "pkg:pypi/torch@2.1.0"}\n')),
                  "--db", str(db), "-a", "vulnerabilities"]):
        done = run_cli(*args, "--as-of", AS_OF)
        assert done.returncode == 2, (args, done.returncode, done.stdout, done.stderr)
        assert reason in done.stderr and "Traceback" not in done.stderr
    assert db.read_bytes() == before


def test_absent_store_falls_back_loudly(tmp_path: Path) -> None:
    db = tmp_path / "absent" / "store.sqlite"
    done = run_cli("scan", str(torch_sbom(tmp_path)), "--db", str(db), "-f", "json",
                   "--as-of", AS_OF)
    assert done.returncode == 1
    summary = json.loads(done.stdout)["summary"]
    assert summary["store"]["starter_pack"] is True
    assert any("Only the packaged starter advisory pack" in c for c in summary["caveats"])
    assert "no advisory store existed" in done.stderr
    table = run_cli("scan", str(torch_sbom(tmp_path)), "--db", str(db), "--as-of", AS_OF)
    assert "caveat: Only the packaged starter advisory pack" in table.stdout
    estate = write_estate(tmp_path, '  - {id: torch, type: framework, name: PyTorch, '
                                    'purl: "pkg:pypi/torch@2.1.0"}\n')
    md = run_cli("assess", str(estate), "--db", str(db), "-f", "md", "-a", "vulnerabilities",
                 "--as-of", AS_OF)
    assert "Caveats: what this scan did not look at" in md.stdout


# -- 4: coverage per ecosystem; uncovered components are "not assessed", never clean --------------

def mixed_sbom(folder: Path) -> Path:
    path = folder / "mixed.cdx.json"
    path.write_bytes(orjson.dumps({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "components": [
            {"type": "library", "name": "left-pad", "version": "1.1.0",
             "purl": "pkg:npm/left-pad@1.1.0"},
            {"type": "library", "group": "org.example", "name": "widget", "version": "1.0",
             "purl": "pkg:maven/org.example/widget@1.0"},
            {"type": "library", "name": "mlflow", "version": "2.9.0",
             "purl": "pkg:pypi/mlflow@2.9.0"}]}))
    return path


def test_uncovered_ecosystems_are_not_assessed_in_scan(tmp_path: Path) -> None:
    sbom, db = mixed_sbom(tmp_path), tmp_path / "s.sqlite"
    done = run_cli("scan", str(sbom), "--db", str(db), "-f", "json", "--as-of", AS_OF)
    data = json.loads(done.stdout)
    summary = data["summary"]
    coverage = {row["ecosystem"]: row for row in summary["coverage_by_ecosystem"]}
    assert coverage["PyPI"]["advisories"] > 0 and coverage["PyPI"]["not_assessed"] == 0
    assert coverage["PyPI"]["sources"] == ["osv"] and coverage["PyPI"]["newest_record"]
    assert coverage["npm"] == {"ecosystem": "npm", "components": 1, "not_assessed": 1,
                               "advisories": 0, "sources": [], "newest_record": None}
    assert coverage["Maven"]["not_assessed"] == 1
    reasons = {n["purl"]: n["reason"] for n in summary["not_assessed"]}
    assert "holds no npm advisories" in reasons["pkg:npm/left-pad@1.1.0"]
    assert "pkg:pypi/mlflow@2.9.0" not in reasons
    assert done.returncode == 1  # not assessed is never clean: an unknown, gated as high
    table = run_cli("scan", str(sbom), "--db", str(db), "--as-of", AS_OF)
    assert "(2 not assessed)" in table.stdout
    assert "not assessed: left-pad 1.1.0" in table.stdout
    assert "coverage: npm: 1 components, 1 not assessed; 0 advisories held" in table.stdout
    sarif = json.loads(run_cli("scan", str(sbom), "--db", str(db), "-f", "sarif",
                               "--as-of", AS_OF).stdout)
    rules = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert any("not-assessed" in r for r in rules)
    relaxed = run_cli("scan", str(sbom), "--db", str(db), "--unknown-severity-as", "low",
                      "--as-of", AS_OF)
    assert relaxed.returncode == 0


def test_uncovered_ecosystems_are_not_assessed_in_assess(tmp_path: Path) -> None:
    estate = write_estate(tmp_path, '  - {id: pad, type: library, name: left-pad, '
                                    'purl: "pkg:npm/left-pad@1.1.0"}\n')
    db = tmp_path / "s.sqlite"
    code, report = assess_json(estate, db)
    found = [f for f in report["findings"] if f["rule"] == "not-assessed"]
    assert [f["subject"]["id"] for f in found] == ["pad"]
    assert found[0]["severity"] == "unknown" and code == 1
    summary = report["analyses"]["vulnerabilities"]["summary"]
    titles = [t["title"] for t in summary["tables"]]
    assert "Advisory coverage of the components scanned" in titles
    for fmt, needle in (("md", "not assessed"), ("html", "not assessed")):
        done = run_cli("assess", str(estate), "--db", str(db), "--as-of", AS_OF, "-f", fmt,
                       "-a", "vulnerabilities")
        assert needle in done.stdout and "Advisory coverage of the components scanned" in \
            done.stdout
    terminal = run_cli("assess", str(estate), "--db", str(db), "--as-of", AS_OF,
                       "-a", "vulnerabilities")
    assert "not assessed" in terminal.stdout


def test_keycloak_sbom_gets_cnvd_keycloak_findings_and_maven_coverage(
        real_store: tuple[object, object], shared_data: Path) -> None:
    from stackrift.advisories.store import SqliteStore
    from stackrift.analyses.vulnerabilities import run_scan
    from stackrift.bom.base import read_bom

    store = real_store[0]
    assert isinstance(store, SqliteStore)
    sbom = shared_data / "cyclonedx" / "bom-examples" / "SBOM" / "keycloak-10.0.2" / "bom.json"
    result = run_scan(read_bom(sbom), db=Path(store.path), catalogue=None)
    keycloak = [m for m in result.matches
                if m.target.purl and "/org.keycloak/keycloak-services@" in m.target.purl]
    assert keycloak, "CNVD's Keycloak entries must match keycloak-services 10.0.2"
    assert all(m.method == "product-text" and "cnvd" in m.sources for m in keycloak)
    assert all(m.basis == "coordinates" for m in keycloak)
    coverage = {row["ecosystem"]: row for row in result.coverage}
    assert coverage["Maven"]["advisories"] == 0
    assert coverage["Maven"]["not_assessed"] == coverage["Maven"]["components"]
    assert all("only product text (cnvd" in why for _t, why in result.not_assessed
               if _t.version)


def test_demo_has_critical_findings_after_db_import_first(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "STACKRIFT_DB": str(tmp_path / "default.sqlite")}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "stackrift", *args], capture_output=True,
                              text=True, check=False, timeout=300, env=env)

    assert cli("db", "import", str(tensorflow_osv(tmp_path))).returncode == 0
    assert cli("demo", "-o", str(tmp_path / "out"), "--as-of", AS_OF).returncode == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    critical = [f for f in report["findings"]
                if f["analysis"] == "vulnerabilities" and f["severity"] == "critical"]
    assert len(critical) >= 3


def test_cpe_only_component_is_matched_through_assess(tmp_path: Path) -> None:
    estate = write_estate(tmp_path, '  - {id: tf, type: framework, name: TensorFlow, '
                                    'cpe: "cpe:2.3:a:google:tensorflow:2.4.0:*:*:*:*:*:*:*"}\n')
    _code, report = assess_json(estate, tmp_path / "s.sqlite")
    findings = vulnerability_findings(report)
    assert findings and all(f["evidence"]["version"] == "2.4.0" for f in findings)
    assert "cnvd" in {s for f in findings for s in f["evidence"]["sources"]}
