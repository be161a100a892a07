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
