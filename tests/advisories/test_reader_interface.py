"""The advisory reader and writer interfaces: small, used by every caller, and enough for scan
and the vulnerabilities analysis to run against an in-memory reader with no SQLite store."""

from __future__ import annotations

import ast
import inspect
from datetime import date
from pathlib import Path

from tests.conftest import FakeAdvisoryReader

from stackrift.advisories.interface import AdvisoryReader, AdvisoryWriter
from stackrift.advisories.matcher import Target
from stackrift.advisories.model import Advisory, Affected, Event, Range, Rating
from stackrift.advisories.scan import StoreInfo, scan
from stackrift.advisories.sources import OpenReader
from stackrift.analyses.base import AnalysisContext
from stackrift.analyses.vulnerabilities import VulnerabilitiesAnalysis
from stackrift.catalog.catalogue import Catalogue
from stackrift.estate.loader import load_estate

SRC = Path(__file__).resolve().parents[2] / "src" / "stackrift"

# an advisory no real feed or the starter pack holds: a match proves the fake was read
FAKE = Advisory(
    source="osv", id="GHSA-fake-0000-0001", aliases=("CVE-2099-0001",), published="2026-01-02",
    modified="2026-01-03", title="Invented flaw in tensorflow",
    severities=(Rating("CVSS_V3", rating="critical", score=9.8),),
    affected=(Affected(ecosystem="PyPI", name="tensorflow",
                       ranges=(Range("ECOSYSTEM", (Event("introduced", "0"),
                                                   Event("fixed", "2.6.0"))),)),))
INFO = StoreInfo(path="memory:fake", starter_pack=False, records=1)

ESTATE = """\
schema_version: 1
organisation: {name: Fake Corp, hq_country: US}
entities:
  - {id: fake-us, name: Fake Corp Inc., country: US}
components:
  - {id: tf-old, type: library, name: tensorflow, purl: "pkg:pypi/tensorflow@2.5.0"}
  - {id: tf-new, type: library, name: tensorflow, purl: "pkg:pypi/tensorflow@2.7.0"}
"""


def _methods(cls: type) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(member) for name, member in vars(cls).items()
            if callable(member) and not name.startswith("_")}


def test_reader_and_writer_have_five_methods_or_fewer() -> None:
    assert 0 < len(_methods(AdvisoryReader)) <= 5
    assert 0 < len(_methods(AdvisoryWriter)) <= 5


def test_fake_reader_has_exactly_the_reader_methods() -> None:
    wanted = {name: list(sig.parameters) for name, sig in _methods(AdvisoryReader).items()}
    fake = {name: list(sig.parameters) for name, sig in _methods(FakeAdvisoryReader).items()}
    assert fake == wanted


def test_scan_runs_against_the_in_memory_reader() -> None:
    reader = FakeAdvisoryReader([FAKE])
    targets = [Target(ref="old", name="tensorflow", version="2.5.0",
                      purl="pkg:pypi/tensorflow@2.5.0"),
               Target(ref="new", name="tensorflow", version="2.7.0",
                      purl="pkg:pypi/tensorflow@2.7.0")]
    result = scan(targets, reader, INFO, as_of=date(2026, 12, 1))
    assert [(m.group_id, m.target.ref) for m in result.matches] == [("CVE-2099-0001", "old")]
    assert result.not_assessed == []
    assert {"index", "lookup", "groups", "describe"} <= set(reader.calls)


def test_scan_with_an_empty_reader_says_what_was_not_assessed() -> None:
    reader = FakeAdvisoryReader([])
    target = Target(ref="old", name="tensorflow", version="2.5.0",
                    purl="pkg:pypi/tensorflow@2.5.0")
    result = scan([target], reader, INFO)
    assert result.matches == []
    assert [t.ref for t, _why in result.not_assessed] == ["old"]  # never a silent "clean"


def test_vulnerabilities_analysis_reads_the_context_reader(tmp_path: Path,
                                                           catalogue: Catalogue) -> None:
    path = tmp_path / "estate.yaml"
    path.write_text(ESTATE, encoding="utf-8")
    reader = FakeAdvisoryReader([FAKE])
    context = AnalysisContext(as_of=date(2026, 12, 1), catalogue=catalogue,
                              advisories=OpenReader(reader, INFO))
    result = VulnerabilitiesAnalysis().run(load_estate(path), context)
    assert [f.id for f in result.findings] == [
        "vulnerabilities:known-vulnerability:CVE-2099-0001:tf-old"]
    assert result.summary["store"]["records"] == 1
    assert "lookup" in reader.calls


def test_no_module_outside_advisories_names_the_sqlite_store() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path.parent.name == "advisories":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            named = (isinstance(node, ast.Name) and node.id == "SqliteStore") or (
                isinstance(node, ast.alias) and node.name == "SqliteStore") or (
                isinstance(node, ast.Attribute) and node.attr == "SqliteStore")
            if named:
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}"
                                 if hasattr(node, "lineno") else str(path))
    assert offenders == []


def test_default_context_opens_the_store_fail_closed(tmp_path: Path, catalogue: Catalogue) -> None:
    import pytest

    from stackrift.analyses.provenance import ProvenanceAnalysis
    from stackrift.errors import UnusableStoreError

    path = tmp_path / "estate.yaml"
    path.write_text(ESTATE, encoding="utf-8")
    loaded = load_estate(path)
    damaged = tmp_path / "not-a-store.sqlite"
    damaged.write_bytes(b"this is not SQLite" * 100)
    context = AnalysisContext.default(date(2026, 12, 1), catalogue=catalogue, db=damaged)
    with pytest.raises(UnusableStoreError):
        VulnerabilitiesAnalysis().run(loaded, context)
    ProvenanceAnalysis().run(loaded, context)  # the store is opened only when asked for
    absent = AnalysisContext.default(date(2026, 12, 1), catalogue=catalogue,
                                     db=tmp_path / "new" / "store.sqlite")
    summary = VulnerabilitiesAnalysis().run(loaded, absent).summary
    assert summary["store"]["starter_pack"] is True
    assert summary["caveats"] and "starter advisory pack" in summary["caveats"][0]


def test_run_scan_reads_a_lent_reader(tmp_path: Path) -> None:
    from stackrift.analyses.vulnerabilities import run_scan
    from stackrift.bom.base import read_bom

    bom = tmp_path / "requirements.txt"
    bom.write_text("tensorflow==2.5.0\n", encoding="utf-8")
    reader = FakeAdvisoryReader([FAKE])
    result = run_scan(read_bom(bom), db=None, catalogue=None, source=OpenReader(reader, INFO))
    assert [m.group_id for m in result.matches] == ["CVE-2099-0001"]
