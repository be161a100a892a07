"""The SQL advisory store against the SQLite store, on the real corpora: the same content read
back (index, look-ups, groups, descriptions), the same scan findings, on a SQLite URL and on a
real PostgreSQL; imports all or nothing and idempotent; its own Alembic version table."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from tests.postgres_support import PostgresCluster

from stackrift.advisories.importer import import_paths, stored_records
from stackrift.advisories.interface import AdvisoryStore
from stackrift.advisories.model import ImportReport
from stackrift.advisories.store import open_store
from stackrift.errors import StackRiftError, UnusableStoreError

# CNVD releases naming TensorFlow among their products: their CVEs join PyPA's records, so
# groups span both sides and product mappings are learned
CNVD_SLICE = ("1011", "1016", "1021", "1061", "1096", "1211", "1221", "1251")
REQUIREMENTS = """\
tensorflow==2.4.0
django==3.2.0
pillow==8.0.0
jinja2==2.10
urllib3==1.24.1
requests==2.19.0
numpy==1.16.0
attrs==23.1.0
six==1.16.0
"""
_numbers = itertools.count(1)


def corpus(shared_data: Path) -> list[Path]:
    paths = [shared_data / "osv-pypa", shared_data / "cnnvd",
             *(shared_data / "cnvd" / f"{name}.xml.gz" for name in CNVD_SLICE)]
    missing = [str(p) for p in paths if not p.exists()]
    assert not missing, f"corpus files missing: {missing}"
    return paths


def _filled(location: str, paths: list[Path]) -> AdvisoryStore:
    """A store filled as ``stackrift db import`` fills it: feeds, then the starter pack."""
    store = open_store(location, starter=False)
    import_paths(store, paths)
    from stackrift.advisories.starter_pack import ensure_starter

    ensure_starter(store)
    return store


@pytest.fixture(scope="module")
def reference_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("ref") / "ref.sqlite")


@pytest.fixture(scope="module")
def reference(shared_data: Path, reference_path: str) -> Iterator[AdvisoryStore]:
    """The SQLite store (the reference implementation) with the corpus."""
    store = _filled(reference_path, corpus(shared_data))
    yield store
    store.close()


def _database(kind: str, request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sql') / 'store.sqlite'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    return cluster.create_database(f"sqlstore_{os.getpid()}_{next(_numbers)}")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def sql_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _database(request.param, request, tmp_path_factory)


@pytest.fixture(scope="module")
def sql_store(sql_url: str, shared_data: Path) -> Iterator[AdvisoryStore]:
    store = _filled(sql_url, corpus(shared_data))
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _database(request.param, request, tmp_path_factory)


def test_index_and_lookups_equal_the_sqlite_store(reference: AdvisoryStore,
                                                  sql_store: AdvisoryStore) -> None:
    index = reference.index()
    assert sql_store.index() == index
    assert len(index.packages) > 600 and index.product_map  # learned from CNVD + PyPA
    packages = sorted(index.packages)
    keys = sorted({key for mapped in index.product_map.values() for key, _s in mapped})
    keys += ["google tensorflow", "no such product"]
    expected = reference.lookup(packages, keys)
    found = sql_store.lookup(packages, keys)
    assert found.packages == expected.packages
    assert found.products == expected.products
    assert sum(len(v) for v in found.products.values()) > 0


def test_groups_equal_the_sqlite_store(reference: AdvisoryStore,
                                       sql_store: AdvisoryStore) -> None:
    dates = list(reference.published_dates())
    found = list(sql_store.published_dates())
    # by group and source; records of one group and source come in either store's own order
    assert [row[:2] for row in found] == [row[:2] for row in dates]
    assert sorted(found, key=str) == sorted(dates, key=str)
    group_ids = sorted({group for group, _source, _day in dates})
    assert sql_store.groups(group_ids) == reference.groups(group_ids)
    both = [g for g, view in reference.groups(group_ids).items()
            if {"osv", "cnvd"} <= set(view.sources)]
    assert both, "the slice was chosen for groups known to both sides"
    members = ["cve-2021-29512", "GHSA-4278-2V5V-65R4", "PYSEC-2021-149", "CNVD-2099-0",
               *both[:20], *(i for view in reference.groups(both[:20]).values()
                             for i in view.ids)]
    assert (sql_store.groups(members, by_member=True)
            == reference.groups(members, by_member=True))


def test_descriptions_equal_the_sqlite_store(reference: AdvisoryStore,
                                             sql_store: AdvisoryStore) -> None:
    ecosystems = ["PyPI", "Go", "npm"]
    expected = reference.describe(ecosystems, text=True, newest=True, totals=True)
    found = sql_store.describe(ecosystems, text=True, newest=True, totals=True)
    assert found.records == expected.records > 2661
    assert found.meta == expected.meta
    assert found.package_coverage == expected.package_coverage
    assert found.text_coverage == expected.text_coverage
    assert found.newest == expected.newest
    totals = dict(found.totals or {})
    wanted = dict(expected.totals or {})
    assert totals.pop("schema_version") == "0001"  # the Alembic revision
    wanted.pop("schema_version")
    assert totals == wanted


def _scan_findings(location: str, requirements: Path) -> list[dict[str, Any]]:
    from stackrift.advisories.scan import scan_json
    from stackrift.analyses.vulnerabilities import run_scan
    from stackrift.bom.base import read_bom
    from stackrift.catalog.catalogue import load_catalogue

    result = run_scan(read_bom(requirements), db=location, catalogue=load_catalogue())
    return list(scan_json(result)["findings"])


def test_scan_findings_equal_the_sqlite_store(reference: AdvisoryStore, reference_path: str,
                                              sql_url: str, sql_store: AdvisoryStore,
                                              tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(REQUIREMENTS, encoding="utf-8")
    expected = _scan_findings(reference_path, requirements)
    found = _scan_findings(sql_url, requirements)
    assert found == expected
    assert len({f["group"] for f in found}) > 50
    assert any("cnvd" in f["sources"] for f in found)


def _fingerprint(url: str) -> list[Any]:
    """Every row of every table (packages without their sequence numbers), sorted."""
    columns = {"stackrift_adv_packages": "ecosystem, name, source, record_id"}
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            return [sorted(conn.execute(sqlalchemy.text(
                f"SELECT {columns.get(table, '*')} FROM {table}")).all(), key=str)
                for table in ("stackrift_adv_records", "stackrift_adv_idents",
                              "stackrift_adv_packages", "stackrift_adv_products",
                              "stackrift_adv_product_map", "stackrift_adv_meta",
                              "stackrift_adv_skipped_files", "stackrift_adv_rejections")]
    finally:
        engine.dispose()


def test_reimport_is_idempotent_and_an_interrupted_import_changes_nothing(
        empty_url: str, shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pypa = [shared_data / "osv-pypa"]
    with open_store(empty_url) as store:  # the starter pack first: a store with records
        first = import_paths(store, pypa)
    # the starter pack holds a few PyPA records: the feed's newer copies replace them
    assert first.sources["osv"].new + first.sources["osv"].updated == 2661
    before = _fingerprint(empty_url)
    with open_store(empty_url) as store:
        again = import_paths(store, pypa)
    assert (again.sources["osv"].new, again.sources["osv"].updated,
            again.sources["osv"].unchanged) == (0, 0, 2661)
    assert _fingerprint(empty_url) == before

    def interrupted() -> Iterator[Any]:
        report = ImportReport()
        for number, record in enumerate(stored_records(corpus(shared_data)[2:], report)):
            if number == 1500:  # past the first written batches
                raise KeyboardInterrupt
            yield record
        pytest.fail(f"the slice holds only {number} records")

    from stackrift.advisories import sqlimport

    monkeypatch.setattr(sqlimport, "BATCH", 500)  # several batches written before the stop
    with open_store(empty_url) as store, pytest.raises(KeyboardInterrupt):
        store.apply_import(interrupted(), ImportReport())
    assert _fingerprint(empty_url) == before


def test_own_version_table_and_newer_revisions_refused(empty_url: str) -> None:
    with open_store(empty_url) as store:
        assert store.describe().records > 0  # the starter pack
    engine = sqlalchemy.create_engine(empty_url)
    try:
        names = set(sqlalchemy.inspect(engine).get_table_names())
        assert "stackrift_advisories_version" in names and "alembic_version" not in names
        # the migrations build exactly the tables the store's code declares
        from alembic.autogenerate import compare_metadata
        from alembic.runtime.migration import MigrationContext

        from stackrift.advisories.sqlstore_tables import metadata

        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "include_name": lambda name, kind, _parent: kind != "table"
                or name.startswith("stackrift_adv_")})
            assert compare_metadata(context, metadata) == []
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(
                "UPDATE stackrift_advisories_version SET version_num = 'ffff'"))
    finally:
        engine.dispose()
    with pytest.raises(UnusableStoreError, match="newer than this StackRift"):
        open_store(empty_url)


def test_unreachable_database_is_refused_plainly() -> None:
    with pytest.raises(StackRiftError) as raised:
        open_store("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    assert "secret" not in str(raised.value)
    assert "cannot open the advisory store" in str(raised.value)


def test_db_commands_take_a_database_url(empty_url: str, shared_data: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    import orjson

    from stackrift.cli import main

    def run(*args: str) -> tuple[int, str]:
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        code = exited.value.code
        return (code if isinstance(code, int) else 0), capsys.readouterr().out

    code, out = run("db", "import", "--db", empty_url, str(shared_data / "osv-pypa"),
                    "-f", "json")
    assert code == 0, out
    assert orjson.loads(out)["sources"]["osv"]["new"] == 2661
    code, out = run("db", "stats", "--db", empty_url, "-f", "json")
    assert code == 0 and orjson.loads(out)["records_by_source"]["osv"] >= 2661  # + starter
    code, out = run("db", "show", "--db", empty_url, "cve-2021-29512", "-f", "json")
    assert code == 0 and "PYSEC-2021-149" in out
    if empty_url.startswith("postgresql"):  # the cluster trusts local users: any password
        with_password = empty_url.replace("://stackrift@", "://stackrift:hunter2@")
        with pytest.raises(SystemExit):
            main(["db", "import", "--db", with_password, str(shared_data / "cnnvd")])
        shown = capsys.readouterr()
        assert "imported into postgresql+psycopg://stackrift:***@" in shown.out + shown.err
        assert "hunter2" not in shown.out + shown.err


def test_a_long_lived_reader_sees_another_process_import(empty_url: str) -> None:
    """A server's store caches the index and decoded records; an import by another process
    (another store on the same database) must show in its next answers."""
    from stackrift.advisories.model import Advisory, Affected
    from stackrift.advisories.store import prepare

    record = Advisory(source="osv", id="PYSEC-2099-7", aliases=("CVE-2099-7777",),
                      modified="2099-01-01T00:00:00Z",
                      affected=(Affected(ecosystem="PyPI", name="invented-package",
                                         versions=("1.0",)),))
    with open_store(empty_url) as server, open_store(empty_url) as importer:
        assert ("PyPI", "invented-package") not in server.index().packages
        assert server.groups(["CVE-2099-7777"], by_member=True) == {}
        importer.apply_import([prepare(record)], ImportReport())
        assert ("PyPI", "invented-package") in server.index().packages
        found = server.lookup([("PyPI", "invented-package")]).packages
        assert [r.id for _g, r in found[("PyPI", "invented-package")]] == ["PYSEC-2099-7"]
        assert server.groups(["cve-2099-7777"], by_member=True)["cve-2099-7777"].group_id \
            == "CVE-2099-7777"


def test_a_read_only_database_is_scanned_as_it_is(postgres_cluster: PostgresCluster) -> None:
    """A user who may only read: the starter pack cannot be added, so a scan says so (a
    caveat) rather than failing or pretending it was looked at."""
    from stackrift.advisories.scan import open_scan_store

    url = postgres_cluster.create_database(f"readonly_{os.getpid()}")
    reader = f"reader_{os.getpid()}"
    with open_store(url) as store:
        store.set_meta("starter_pack", "an older version")
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(f"CREATE ROLE {reader} LOGIN"))
            conn.execute(sqlalchemy.text(
                f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {reader}"))
    finally:
        engine.dispose()
    reader_url = url.replace("://stackrift@", f"://{reader}@")
    store, info = open_scan_store(reader_url)
    try:
        assert store.describe().records > 0
        assert any("starter advisory pack could not be added" in c for c in info.caveats)
    finally:
        store.close()
    from stackrift.advisories.model import Advisory
    from stackrift.advisories.store import prepare

    with open_store(reader_url, starter=False) as store, \
            pytest.raises(StackRiftError, match="rolled back; the store is unchanged"):
        store.apply_import([prepare(Advisory(source="osv", id="PYSEC-2099-8"))], ImportReport())


def test_revisions_that_join_and_split_groups_regroup_as_sqlite(empty_url: str,
                                                                 tmp_path: Path) -> None:
    """Small imports regroup only the groups they touch: a revision dropping the alias that
    joined two records splits their group, one adding an alias joins two, as in SQLite."""
    from stackrift.advisories.model import Advisory, Affected
    from stackrift.advisories.store import prepare

    def record(ident: str, aliases: tuple[str, ...], modified: str) -> Any:
        return prepare(Advisory(source="osv", id=ident, aliases=aliases, modified=modified,
                                affected=(Affected(ecosystem="PyPI", name="x"),)))

    steps = [
        [record("PYSEC-2099-1", ("CVE-2099-1",), "2099-01-01"),
         record("GHSA-2099-0001", ("CVE-2099-1", "CVE-2099-2"), "2099-01-01"),
         record("PYSEC-2099-3", ("CVE-2099-3",), "2099-01-01"),
         record("PYSEC-2099-4", ("CVE-2099-4", "CVE-2099-5"), "2099-01-01"),
         record("PYSEC-2099-5", ("CVE-2099-5",), "2099-01-01")],
        # GHSA drops CVE-2099-1 (splits) and PYSEC-2099-3 names CVE-2099-2 (joins);
        # PYSEC-2099-4 now names only CVE-2099-9: PYSEC-2099-5, left in the group named after
        # an id it never held, becomes a group of its own
        [record("GHSA-2099-0001", ("CVE-2099-2",), "2099-02-01"),
         record("PYSEC-2099-3", ("CVE-2099-3", "CVE-2099-2"), "2099-02-01"),
         record("PYSEC-2099-4", ("CVE-2099-9",), "2099-02-01")],
    ]
    ids = ["PYSEC-2099-1", "GHSA-2099-0001", "PYSEC-2099-3", "CVE-2099-2", "PYSEC-2099-5"]
    with open_store(empty_url) as sql, open_store(str(tmp_path / "ref.sqlite")) as ref:
        for step in steps:
            sql.apply_import(step, ImportReport())
            ref.apply_import(step, ImportReport())
            assert sql.groups(ids, by_member=True) == ref.groups(ids, by_member=True)
        final = sql.groups(ids, by_member=True)
        assert final["PYSEC-2099-1"].group_id == "CVE-2099-1"
        assert final["GHSA-2099-0001"].group_id == final["PYSEC-2099-3"].group_id == "CVE-2099-2"
        assert final["PYSEC-2099-5"].group_id == "CVE-2099-5"


def _go_record(ident: str, published: str) -> dict[str, Any]:
    """An OSV record as Go's vulnerability database writes it: the zero time for "modified"."""
    return {"id": ident, "modified": "0001-01-01T00:00:00Z", "published": published,
            "affected": [{"package": {"ecosystem": "Go", "name": "example.com/mod"},
                          "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"},
                                                                    {"fixed": "1.2.0"}]}]}]}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_newest_record_day_skips_the_zero_time(
        kind: str, request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    """A record's news is dated by its modification, else its publication; Go's zero time
    (0001-01-01) is no date, so coverage never calls year 1 the newest record."""
    import orjson

    folder = tmp_path / "osv"
    folder.mkdir()
    for record in (_go_record("GO-2099-0001", "2022-03-04T00:00:00Z"),
                   _go_record("GO-2099-0002", "0001-01-01T00:00:00Z")):
        (folder / f"{record['id']}.json").write_bytes(orjson.dumps(record))
    with open_store(_database(kind, request, tmp_path_factory), starter=False) as store:
        import_paths(store, [folder])
        described = store.describe(["Go"], newest=True)
    assert described.package_coverage == {"Go": {"osv": (2, "2022-03-04")}}
    assert described.newest == "2022-03-04"
