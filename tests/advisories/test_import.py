"""Importing: detection, per-source summaries, rejections, idempotence, replacement, atomicity."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import yaml

from stackrift.advisories.importer import import_paths
from stackrift.advisories.store import SCHEMA_VERSION, SqliteStore
from stackrift.errors import InvalidInputError

from .conftest import cnvd_entry, osv_doc, write_cnvd, write_json


def test_mixed_import_groups_across_sources(tmp_path: Path, store: SqliteStore) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    write_json(feeds / "PYSEC-1.json", osv_doc("PYSEC-2021-1", aliases=("CVE-2021-1111",
                                                                        "GHSA-aaaa-bbbb-cccc")))
    (feeds / "PYSEC-2.yaml").write_text(yaml.safe_dump(osv_doc("PYSEC-2021-2", package="torch")))
    write_cnvd(feeds / "cnvd.xml.gz", [cnvd_entry("CNVD-2021-1", ("CVE-2021-1111",))])
    (feeds / ".id-allocator").write_text("42")
    report = import_paths(store, [feeds])
    assert report.sources["osv"].new == 2 and report.sources["cnvd"].new == 1
    assert [s.file for s in report.skipped] == [str(feeds / ".id-allocator")]
    group = store.group("GHSA-aaaa-bbbb-cccc")
    assert group is not None
    assert group.group_id == "CVE-2021-1111"
    assert group.sources == ("cnvd", "osv")
    assert store.stats()["groups_by_sources"] == {"cnvd+osv": 1, "osv": 1}


def test_reimport_is_idempotent(tmp_path: Path, store: SqliteStore) -> None:
    path = write_json(tmp_path / "a.json", osv_doc("PYSEC-2021-1"))
    import_paths(store, [path])
    before = store.fingerprint()
    report = import_paths(store, [path])
    assert report.sources["osv"].unchanged == 1
    assert store.fingerprint() == before


def test_newer_modified_replaces_and_keeps_first_seen(tmp_path: Path, store: SqliteStore) -> None:
    path = write_json(tmp_path / "a.json", osv_doc("PYSEC-2021-1", fixed="2.6.0"))
    import_paths(store, [path])
    first_seen = store.db.execute("SELECT first_seen FROM records").fetchone()[0]
    write_json(path, osv_doc("PYSEC-2021-1", fixed="2.6.1", modified="2022-01-01T00:00:00Z"))
    assert import_paths(store, [path]).sources["osv"].updated == 1
    row = store.db.execute("SELECT first_seen, modified FROM records").fetchone()
    assert row == (first_seen, "2022-01-01T00:00:00Z")
    # an older copy does not replace the newer one
    write_json(path, osv_doc("PYSEC-2021-1", fixed="2.5.0", modified="2020-01-01T00:00:00Z"))
    assert import_paths(store, [path]).sources["osv"].unchanged == 1
    group = store.group("PYSEC-2021-1")
    assert group is not None
    assert group.records[0].affected[0].ranges[0].events[1].version == "2.6.1"


def test_duplicate_cnvd_ids_keep_latest_revision(tmp_path: Path, store: SqliteStore) -> None:
    write_cnvd(tmp_path / "1.xml.gz", [cnvd_entry("CNVD-2021-1", opened="2021-01-01"),
                                       cnvd_entry("CNVD-2021-2")])
    write_cnvd(tmp_path / "2.xml.gz", [cnvd_entry("CNVD-2021-1", opened="2021-03-01",
                                                  title="revised"),
                                       cnvd_entry("CNVD-2021-2")])
    report = import_paths(store, [tmp_path])
    summary = report.sources["cnvd"]
    assert (summary.read, summary.new, summary.duplicates) == (4, 2, 2)
    assert (summary.duplicate_identical, summary.duplicate_revised) == (1, 1)
    assert report.duplicate_ids == ["CNVD-2021-1", "CNVD-2021-2"]
    group = store.group("CNVD-2021-1")
    assert group is not None and group.records[0].title == "revised"


def test_malformed_record_is_rejected_without_stopping(tmp_path: Path,
                                                       store: SqliteStore) -> None:
    write_json(tmp_path / "good.json", osv_doc("PYSEC-2021-1"))
    bad = osv_doc("PYSEC-2021-2")
    bad["affected"] = [{"package": {"name": "x", "ecosystem": "PyPI"},
                        "ranges": [{"type": "ECOSYSTEM", "events": [{"broken": "1"}]}]}]
    write_json(tmp_path / "bad.json", bad)
    report = import_paths(store, [tmp_path])
    assert report.sources["osv"].new == 1
    assert len(report.rejections) == 1
    rejection = report.rejections[0]
    assert rejection.file.endswith("bad.json") and rejection.record == "PYSEC-2021-2"
    assert "unknown event 'broken'" in rejection.reason
    assert store.stats()["rejected"] == 1


def test_json_with_an_id_but_not_osv_is_rejected(tmp_path: Path, store: SqliteStore) -> None:
    """OSV requires 'id' and 'modified': another JSON object with an 'id' (a STIX bundle) is
    rejected, not stored as an advisory."""
    write_json(tmp_path / "bundle.json", {"type": "bundle", "id": "bundle--1", "objects": []})
    report = import_paths(store, [tmp_path])
    assert report.sources["osv"].new == 0
    (rejection,) = report.rejections
    assert rejection.record == "bundle--1" and "missing 'modified'" in rejection.reason
    assert store.group("bundle--1") is None


def test_strict_refuses_everything(tmp_path: Path, store: SqliteStore) -> None:
    write_json(tmp_path / "good.json", osv_doc("PYSEC-2021-1"))
    write_json(tmp_path / "bad.json", {"id": ["not", "a", "string"]})
    with pytest.raises(InvalidInputError, match=r"bad\.json"):
        import_paths(store, [tmp_path], strict=True)
    assert store.is_empty()


def test_failed_import_leaves_store_unchanged(tmp_path: Path, store: SqliteStore,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import_paths(store, [write_json(tmp_path / "a.json", osv_doc("PYSEC-2021-1"))])
    before = store.fingerprint()
    calls = {"n": 0}
    original = SqliteStore._learn_products

    def interrupted(self: SqliteStore) -> None:
        calls["n"] += 1
        raise KeyboardInterrupt  # as if the user pressed Ctrl-C half way through writing

    monkeypatch.setattr(SqliteStore, "_learn_products", interrupted)
    with pytest.raises(KeyboardInterrupt):
        import_paths(store, [write_json(tmp_path / "b.json", osv_doc("PYSEC-2021-2"))])
    assert calls["n"] == 1
    monkeypatch.setattr(SqliteStore, "_learn_products", original)
    assert store.fingerprint() == before


def test_osv_all_zip(tmp_path: Path, store: SqliteStore) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for n in range(3):
            out.writestr(f"GO-2022-{n}.json", write_json(tmp_path / "x.json",
                         osv_doc(f"GO-2022-{n}", package="example.com/m", ecosystem="Go"))
                         .read_bytes())
    report = import_paths(store, [archive])
    assert report.sources["osv"].new == 3
    assert store.stats()["osv_by_ecosystem"] == {"Go": 3}


def test_schema_is_versioned(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with SqliteStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        store.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    from stackrift.errors import UnusableStoreError

    with pytest.raises(UnusableStoreError, match="newer than this StackRift understands"):
        SqliteStore(path)


def test_forced_format_mismatch_is_input_error(tmp_path: Path, store: SqliteStore) -> None:
    path = write_json(tmp_path / "a.json", osv_doc("PYSEC-2021-1"))
    with pytest.raises(InvalidInputError, match="not well-formed XML"):
        import_paths(store, [path], forced="cnvd")
    assert store.is_empty()


def test_withdrawn_records_never_match(tmp_path: Path, store: SqliteStore) -> None:
    from stackrift.advisories.matcher import Matcher, Target

    write_json(tmp_path / "live.json", osv_doc("PYSEC-2021-1", aliases=("CVE-2021-1",)))
    write_json(tmp_path / "gone.json", osv_doc("PYSEC-2021-2", aliases=("CVE-2021-2",),
                                               withdrawn="2022-01-01T00:00:00Z"))
    import_paths(store, [tmp_path])
    target = Target(ref="tf", name="tensorflow", version="2.4.0",
                    purl="pkg:pypi/tensorflow@2.4.0")
    assert [m.group_id for m in Matcher(store).match(target)] == ["CVE-2021-1"]


def test_rating_words_and_cvss_vectors(tmp_path: Path, store: SqliteStore) -> None:
    from stackrift.advisories.matcher import Matcher, Target

    doc = osv_doc("GHSA-aaaa-bbbb-cccc", severity=[
        {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        database_specific={"severity": "MODERATE"})
    import_paths(store, [write_json(tmp_path / "g.json", doc)])
    match = Matcher(store).match(Target(ref="tf", name="tensorflow", version="2.0.0",
                                        purl="pkg:pypi/tensorflow@2.0.0"))[0]
    assert match.severity.value == "critical"  # the highest of the source's ratings
    ratings = match.records[0].ratings
    assert {r["scheme"] for r in ratings} == {"CVSS_V3", "text"}
    assert next(r for r in ratings if r["scheme"] == "CVSS_V3")["score"] == 9.8


def test_db_option_pointing_at_another_file(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from stackrift.cli import main

    other = tmp_path / "notes.txt"
    other.write_text("not a database\n" * 200)
    with pytest.raises(SystemExit) as exit_info:
        main(["db", "stats", "--db", str(other)])
    assert exit_info.value.code == 2
    assert "not an advisory store" in capsys.readouterr().err
    assert other.read_text().startswith("not a database")
