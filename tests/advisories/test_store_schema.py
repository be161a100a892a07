"""The store's schema migrations and record encoding, and imports in worker processes."""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path
from typing import Any

import orjson
import pytest

from stackrift.advisories.importer import import_paths
from stackrift.advisories.model import ENCODING, Advisory, Affected, Event, Range, Rating
from stackrift.advisories.store import MIGRATIONS, SCHEMA_VERSION, SqliteStore, prepare
from stackrift.errors import InvalidInputError

from .conftest import cnvd_entry, osv_doc, write_cnvd, write_json

RECORD = Advisory(
    "osv", "PYSEC-2021-1", ("CVE-2021-1111", "GHSA-aaaa-bbbb-cccc", "BIT-1"),
    "2021-08-12T23:15:00Z", "2021-08-27T03:22:22Z", None, "Heap overflow", "Details.",
    (Rating("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "critical"),),
    (Affected("PyPI", "TensorFlow", "pkg:pypi/tensorflow",
              (Range("ECOSYSTEM", (Event("introduced", "0"), Event("fixed", "2.6.0"))),),
              ("2.4.0", "2.5.0")),
     Affected(product="Google TensorFlow <2.6.0", vendor="Google", status="known_affected")),
    ("https://example.org/advisory",))


def test_encoding_round_trips_and_ignores_origin() -> None:
    blob = RECORD.encode()
    assert orjson.loads(blob)[0] == ENCODING
    assert Advisory.decode(blob, "some/file.json#3") == Advisory(
        *[getattr(RECORD, f) for f in RECORD.__slots__ if f != "origin"], "some/file.json#3")
    # the digest is of the content, whatever file it came from
    moved = Advisory.decode(blob, "elsewhere.json")
    assert moved.digest() == RECORD.digest()


def test_decode_refuses_another_encoding() -> None:
    with pytest.raises(ValueError, match="encoding"):
        Advisory.decode(b'{"source": "osv", "id": "X"}')


def test_prepared_form_names_what_the_store_indexes() -> None:
    stored = prepare(RECORD)
    assert stored.ids == ("PYSEC-2021-1", "CVE-2021-1111", "GHSA-aaaa-bbbb-cccc", "BIT-1")
    assert stored.packages == (("PyPI", "tensorflow"),)
    assert stored.products == ("google tensorflow",)
    assert stored.digest == RECORD.digest() and stored.data == RECORD.encode()


def _legacy_json(record: Advisory) -> bytes:
    """A record as schema 1-3 stored it: one JSON object, ``{kind: version}`` events."""
    return orjson.dumps({
        "source": record.source, "id": record.id, "aliases": list(record.aliases),
        "published": record.published, "modified": record.modified, "withdrawn": None,
        "title": record.title, "details": record.details,
        "severities": [r._asdict() for r in record.severities],
        "affected": [{**a._asdict(),
                      "ranges": [{"type": r.type, "events": [{e.kind: e.version}
                                                             for e in r.events]}
                                 for r in a.ranges]}
                     for a in record.affected],
        "references": list(record.references)})


def test_schema_3_store_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    for migration in MIGRATIONS[:3]:
        assert isinstance(migration, str)
        db.executescript(migration)
    cnvd = Advisory("cnvd", "CNVD-2021-63084", ("CVE-2021-1111",), "2021-08-20", "2021-08-20",
                    None, "TensorFlow 缓冲区溢出漏洞", None, (Rating("text", None, None, "高"),),
                    (Affected(product="Google TensorFlow <2.6.0"),))
    rows = [(RECORD, _legacy_json(RECORD)), (cnvd, zlib.compress(_legacy_json(cnvd)))]
    for record, blob in rows:
        db.execute("INSERT INTO records VALUES (?, ?, ?, ?, NULL, 'old-digest', "
                   "'2022-01-01T00:00:00Z', '2022-01-01T00:00:00Z', ?)",
                   (record.source, record.id, record.modified, record.published, blob))
        for ident in record.ids:
            db.execute("INSERT INTO idents VALUES (?, ?, ?)", (ident, record.source, record.id))
            db.execute("INSERT OR IGNORE INTO group_of_ident VALUES (?, 'CVE-2021-1111')",
                       (ident,))
        db.execute("INSERT INTO group_of_record VALUES (?, ?, 'CVE-2021-1111')",
                   (record.source, record.id))
    db.execute("INSERT INTO packages VALUES ('PyPI', 'tensorflow', 'osv', 'PYSEC-2021-1')")
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()

    with SqliteStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        group = store.group("cnvd-2021-63084")
        assert group is not None and group.group_id == "CVE-2021-1111"
        assert group.records == (cnvd, RECORD)
        assert set(group.ids) == {*RECORD.ids, *cnvd.ids}
        digests = dict(store.db.execute("SELECT id, digest FROM records"))
        assert digests == {"PYSEC-2021-1": RECORD.digest(), "CNVD-2021-63084": cnvd.digest()}
        first_seen = {s for (s,) in store.db.execute("SELECT first_seen FROM records")}
        assert first_seen == {"2022-01-01T00:00:00Z"}
        # re-importing the same content into the migrated store changes nothing
        feed = write_json(tmp_path / "PYSEC-2021-1.json", osv_doc("PYSEC-2021-1"))
        assert import_paths(store, [feed]).sources["osv"].updated == 1  # different content
        assert import_paths(store, [feed]).sources["osv"].unchanged == 1


def _corpus(folder: Path, files: int = 40) -> Path:
    folder.mkdir()
    for n in range(files):
        write_json(folder / f"PYSEC-2021-{n}.json",
                   osv_doc(f"PYSEC-2021-{n}", package=f"pkg{n % 7}",
                           aliases=(f"CVE-2021-{1000 + n // 2}",)))
    write_cnvd(folder / "cnvd.xml.gz", [cnvd_entry(f"CNVD-2021-{n}", (f"CVE-2021-{1000 + n}",))
                                        for n in range(30)])
    # the same id in two files, revised: the later file's copy wins whoever parsed it
    write_cnvd(folder / "cnvd2.xml.gz", [cnvd_entry("CNVD-2021-3", ("CVE-2021-1003",),
                                                    title="revised")])
    return folder


def test_import_in_worker_processes_equals_serial_import(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "feeds")
    results = []
    for workers in (1, 2):
        with SqliteStore(tmp_path / f"store-{workers}.sqlite") as store:
            report = import_paths(store, [corpus], workers=workers)
            results.append((report.to_dict(), store.stats(),
                            [row[:3] for row in store.fingerprint()[0]],
                            store.fingerprint()[1:]))
    assert results[0] == results[1]
    assert results[0][0]["duplicate_ids"] == ["CNVD-2021-3"]


def test_bad_file_in_a_worker_is_reported_and_nothing_is_written(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "feeds")
    (corpus / "broken.xml").write_bytes(b"<vulnerabilitys><vulnerability><number>CNVD-")
    with SqliteStore(tmp_path / "store.sqlite") as store:
        before = store.fingerprint()
        with pytest.raises(InvalidInputError) as caught:
            import_paths(store, [corpus], workers=2)
        assert "broken.xml" in str(caught.value.diagnostics()[0])
        assert "not well-formed XML" in caught.value.diagnostics()[0]
        assert store.fingerprint() == before


def test_a_revision_that_changes_ids_regroups_in_a_bulk_load(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    write_cnvd(feeds / "a.xml.gz", [cnvd_entry("CNVD-2021-1", ("CVE-2021-1000",)),
                                    cnvd_entry("CNVD-2021-2", ("CVE-2021-1000",))])
    # the later file revises CNVD-2021-1: it now names another CVE
    write_cnvd(feeds / "b.xml.gz", [cnvd_entry("CNVD-2021-1", ("CVE-2021-2000",),
                                               title="revised")])
    with SqliteStore(tmp_path / "store.sqlite") as store:
        import_paths(store, [feeds])
        first, second = store.group("CNVD-2021-1"), store.group("CNVD-2021-2")
        assert first is not None and second is not None
        assert first.group_id == "CVE-2021-2000" and first.ids == ("CNVD-2021-1",
                                                                     "CVE-2021-2000")
        assert second.group_id == "CVE-2021-1000" and second.ids == ("CNVD-2021-2",
                                                                       "CVE-2021-1000")
        assert store.group("CVE-2021-1000") == second
        assert store.db.execute("SELECT COUNT(*) FROM idents").fetchone()[0] == 4


def test_records_whose_group_changes_later_in_a_bulk_load_are_regrouped(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    # read first: a GHSA record with no CVE (its group is, so far, itself) …
    write_json(feeds / "a.json", osv_doc("GHSA-2222-3333-4444"))
    # … then a record naming both the GHSA and a CVE: the group becomes the CVE's
    write_json(feeds / "b.json", osv_doc("PYSEC-2021-9", aliases=("GHSA-2222-3333-4444",
                                                                  "CVE-2021-9999")))
    with SqliteStore(tmp_path / "store.sqlite") as store:
        import_paths(store, [feeds])
        rows = dict(store.db.execute("SELECT id, group_id FROM records"))
        assert rows == {"GHSA-2222-3333-4444": "CVE-2021-9999", "PYSEC-2021-9": "CVE-2021-9999"}
        group = store.group("GHSA-2222-3333-4444")
        assert group is not None and group.group_id == "CVE-2021-9999"
        assert [r.id for r in group.records] == ["GHSA-2222-3333-4444", "PYSEC-2021-9"]


def test_workers_are_spawned_beside_other_threads(tmp_path: Path) -> None:
    """With another thread running (a progress bar), workers start by spawn, not fork."""
    import threading

    corpus = _corpus(tmp_path / "feeds", files=8)
    stop = threading.Event()
    helper = threading.Thread(target=stop.wait)
    helper.start()
    try:
        with SqliteStore(tmp_path / "spawned.sqlite") as spawned:
            import_paths(spawned, [corpus], workers=2)
            in_workers = spawned.fingerprint()[1:]
    finally:
        stop.set()
        helper.join()
    with SqliteStore(tmp_path / "serial.sqlite") as serial:
        import_paths(serial, [corpus], workers=1)
        assert serial.fingerprint()[1:] == in_workers


def _counted(store: SqliteStore, ecosystems: list[str]) -> tuple[Any, Any]:
    """Package and text coverage counted from the store's rows (what each scan used to count),
    to compare with what the imports kept."""
    newest = ("MAX(SUBSTR(CASE WHEN {r}modified >= '1970' THEN {r}modified WHEN "
              "{r}published >= '1970' THEN {r}published END, 1, 10))")
    packages = {ecosystem: {source: (count, day) for source, count, day in store.db.execute(
        f"SELECT r.source, COUNT(DISTINCT r.id), {newest.format(r='r.')} FROM packages p "
        "JOIN records r ON r.source = p.source AND r.id = p.record_id WHERE p.ecosystem = ? "
        "GROUP BY r.source ORDER BY r.source", (ecosystem,))} for ecosystem in ecosystems}
    text = {}
    for (source,) in store.db.execute("SELECT DISTINCT source FROM products").fetchall():
        count = store.db.execute("SELECT COUNT(DISTINCT record_id) FROM products WHERE "
                                 "source = ?", (source,)).fetchone()[0]
        day = store.db.execute(f"SELECT {newest.format(r='')} FROM records WHERE source = ?",
                               (source,)).fetchone()[0]
        text[source] = (count, day)
    return packages, text


def _kept(store: SqliteStore, ecosystems: list[str]) -> tuple[Any, Any]:
    described = store.describe(ecosystems, text=True)
    return described.package_coverage, described.text_coverage


ECOSYSTEMS = ["Go", "PyPI", "npm"]


def test_coverage_kept_by_imports_equals_counting_the_store(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "feeds")
    with SqliteStore(tmp_path / "store.sqlite") as store:
        assert _kept(store, ECOSYSTEMS) == ({"Go": {}, "PyPI": {}, "npm": {}}, {})
        import_paths(store, [corpus])  # into an empty store: the bulk load
        kept = _kept(store, ECOSYSTEMS)
        assert kept == _counted(store, ECOSYSTEMS)
        assert kept[0]["PyPI"] == {"osv": (40, "2021-08-27")} and kept[0]["npm"] == {}
        assert kept[1] == {"cnvd": (30, "2021-08-18")}
        # into a store with records: new records, a new ecosystem, a revision, a new source
        more = tmp_path / "more"
        more.mkdir()
        write_json(more / "GO-2022-1.json", osv_doc("GO-2022-1", package="example.com/m",
                                                    ecosystem="Go",
                                                    modified="2022-03-04T00:00:00Z"))
        write_json(more / "PYSEC-2021-3.json", osv_doc("PYSEC-2021-3", package="pkg3",
                                                       modified="2023-01-02T00:00:00Z"))
        write_cnvd(more / "cnvd.xml.gz", [cnvd_entry("CNVD-2021-99", opened="2024-05-06")])
        import_paths(store, [more])
        kept = _kept(store, ECOSYSTEMS)
        assert kept == _counted(store, ECOSYSTEMS)
        assert kept[0]["Go"] == {"osv": (1, "2022-03-04")}
        assert kept[0]["PyPI"] == {"osv": (40, "2023-01-02")}
        assert kept[1] == {"cnvd": (31, "2024-05-06")}
        # a failed import keeps what was kept
        (more / "broken.xml").write_bytes(b"<vulnerabilitys><vulnerability><number>CNVD-")
        with pytest.raises(InvalidInputError):
            import_paths(store, [more])
        assert _kept(store, ECOSYSTEMS) == kept


def test_schema_5_store_gets_its_coverage_counted(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    with SqliteStore(path) as store:
        import_paths(store, [_corpus(tmp_path / "feeds")])
        expected = _counted(store, ECOSYSTEMS)
        store.db.execute("DROP TABLE coverage")
        store.db.execute("PRAGMA user_version = 5")
        store.db.commit()
    with SqliteStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION == 6
        assert _kept(store, ECOSYSTEMS) == expected
