"""The OSV API v1 answered from the advisory store: its request and answer shapes, CNVD records as
OSV objects, bounded requests, and pip-audit (an unmodified OSV client) reporting what
``stackrift scan`` reports, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.conftest import FakeAdvisoryReader
from tests.postgres_support import PostgresCluster
from tests.server.serving import ServeProcess

from stackrift.advisories.interface import AdvisoryReader, AdvisoryStore
from stackrift.advisories.model import Advisory, Affected, Event, Range, Rating
from stackrift.advisories.osvapi import MAX_BATCH
from stackrift.catalog.catalogue import Catalogue
from stackrift.server.osv import MAX_QUERY_BYTES, osv_router

OSV = Advisory(
    source="osv", id="PYSEC-2099-1", aliases=("CVE-2099-0001", "GHSA-xxxx-2099-0001"),
    published="2099-01-02T00:00:00Z", modified="2099-01-03T00:00:00Z",
    title="Invented flaw in tensorflow",
    severities=(Rating("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),),
    affected=(Affected(ecosystem="PyPI", name="tensorflow", purl="pkg:pypi/tensorflow",
                       ranges=(Range("ECOSYSTEM", (Event("introduced", "0"),
                                                   Event("fixed", "2.6.0"))),)),))
CNVD = Advisory(source="cnvd", id="CNVD-2099-00001", aliases=("CVE-2099-0001",),
                published="2099-02-01", modified="2099-02-01",
                title="Google TensorFlow 缓冲区溢出漏洞",
                severities=(Rating("text", rating="高"),),
                affected=(Affected(product="Google TensorFlow <2.6.0"),))
# named only by CNVD text: matched by product text alone
CNVD_ONLY = Advisory(source="cnvd", id="CNVD-2099-00002", aliases=("CVE-2099-0002",),
                     published="2099-03-01", modified="2099-03-01",
                     affected=(Affected(product="Google TensorFlow <2.5.1"),))
WITHDRAWN = Advisory(source="osv", id="PYSEC-2099-9", withdrawn="2099-05-01T00:00:00Z",
                     modified="2099-05-01T00:00:00Z",
                     affected=(Affected(ecosystem="PyPI", name="tensorflow", versions=("2.5.0",)),))


def _client(reader: AdvisoryReader, catalogue: Catalogue | None = None) -> TestClient:
    app = FastAPI()
    app.include_router(osv_router(lambda: nullcontext(reader), catalogue=catalogue))
    return TestClient(app)


@pytest.fixture
def client(catalogue: Catalogue) -> TestClient:
    return _client(FakeAdvisoryReader([OSV, CNVD, CNVD_ONLY, WITHDRAWN]), catalogue)


def _query(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/query", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def test_query_by_name_and_version(client: TestClient) -> None:
    data = _query(client, {"package": {"name": "TensorFlow", "ecosystem": "PyPI"},
                           "version": "2.5.0"})
    by_id = {v["id"]: v for v in data["vulns"]}
    # the OSV record by range, CNVD's record of the same CVE, CNVD's text-only record
    assert sorted(by_id) == ["CNVD-2099-00001", "CNVD-2099-00002", "PYSEC-2099-1"]
    osv = by_id["PYSEC-2099-1"]
    assert osv["aliases"] == ["CVE-2099-0001", "GHSA-xxxx-2099-0001"]
    assert osv["affected"][0]["ranges"] == [{"type": "ECOSYSTEM", "events": [
        {"introduced": "0"}, {"fixed": "2.6.0"}]}]
    assert osv["severity"] == [{"type": "CVSS_V3",
                                "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]
    cnvd = by_id["CNVD-2099-00001"]
    assert cnvd["aliases"] == ["CVE-2099-0001"]
    assert cnvd["published"] == "2099-02-01T00:00:00Z"
    # the package its text resolved to, the text as written, and no invented range
    assert cnvd["affected"] == [{"package": {"ecosystem": "PyPI", "name": "tensorflow"},
                                 "database_specific": {"product": "Google TensorFlow <2.6.0",
                                                       "status": "affected"}}]
    assert cnvd["database_specific"] == {"source": "cnvd", "group": "CVE-2099-0001",
                                         "products": ["Google TensorFlow <2.6.0"],
                                         "severity": ["高"]}


def test_versions_are_decided_by_the_scan_matcher(client: TestClient) -> None:
    def ids(version: str) -> list[str]:
        data = _query(client, {"package": {"purl": f"pkg:pypi/tensorflow@{version}"}})
        return sorted(v["id"] for v in data.get("vulns", []))

    assert ids("2.5.1") == ["CNVD-2099-00001", "PYSEC-2099-1"]  # past CNVD_ONLY's '<2.5.1'
    assert ids("2.6.0") == []  # fixed everywhere
    assert ids("2.6.0rc1") == ["CNVD-2099-00001", "PYSEC-2099-1"]  # PEP 440: before 2.6.0
    assert _query(client, {"package": {"name": "tensorflow", "ecosystem": "PyPI"},
                           "version": "9.0"}) == {}


def test_query_without_version_lists_records_naming_the_package(client: TestClient) -> None:
    data = _query(client, {"package": {"name": "tensorflow", "ecosystem": "PyPI"}})
    # the package record and its group's CNVD record; withdrawn records never
    assert sorted(v["id"] for v in data["vulns"]) == ["CNVD-2099-00001", "PYSEC-2099-1"]


def test_querybatch_shape(client: TestClient) -> None:
    response = client.post("/v1/querybatch", json={"queries": [
        {"package": {"name": "tensorflow", "ecosystem": "PyPI"}, "version": "2.5.0"},
        {"package": {"name": "tensorflow", "ecosystem": "PyPI"}, "version": "2.7.0"},
        {"package": {"purl": "pkg:pypi/tensorflow@2.5.2"}}]})
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 3
    assert sorted(v["id"] for v in results[0]["vulns"]) == [
        "CNVD-2099-00001", "CNVD-2099-00002", "PYSEC-2099-1"]
    assert set(results[0]["vulns"][0]) == {"id", "modified"}
    assert results[1] == {}
    assert {v["id"] for v in results[2]["vulns"]} == {"CNVD-2099-00001", "PYSEC-2099-1"}


def test_vulns_by_id_and_by_alias(client: TestClient) -> None:
    assert client.get("/v1/vulns/PYSEC-2099-1").json()["id"] == "PYSEC-2099-1"
    cnvd = client.get("/v1/vulns/cnvd-2099-00001").json()
    assert cnvd["id"] == "CNVD-2099-00001" and cnvd["aliases"] == ["CVE-2099-0001"]
    # an alias resolves to the group's record that lists it (Western first)
    assert client.get("/v1/vulns/CVE-2099-0001").json()["id"] == "PYSEC-2099-1"
    assert client.get("/v1/vulns/CVE-2099-0002").json()["id"] == "CNVD-2099-00002"
    missing = client.get("/v1/vulns/CVE-1999-0000")
    assert missing.status_code == 404
    assert missing.json() == {"code": 5, "message": "CVE-1999-0000: vulnerability not found"}


@pytest.mark.parametrize(("body", "status", "says"), [
    ({"commit": "6879efc2c1596d11a6a6ad296f80063b558d5e0f"}, 400, "commit queries are not"),
    ({"package": {"name": "tensorflow"}, "version": "1"}, 400, "needs 'ecosystem' and 'name'"),
    ({"package": {"purl": "pkg:pypi/tensorflow@1"}, "version": "1"}, 400, "not both"),
    ({"package": {"purl": "tensorflow"}}, 400, "not a package URL"),
    ({"package": {"name": "x", "ecosystem": "PyPI"}, "version": 1}, 400, "must be a string"),
    ({"package": {"name": "x", "ecosystem": "PyPI"}, "page_token": "abc"}, 400, "page_token"),
    ({"package": {"name": "left-pad", "ecosystem": "npm"}, "version": "1.0.0"}, 422,
     "holds no npm advisories"),
    ([], 400, "expected a JSON object"),
])
def test_bad_queries_are_refused_plainly(client: TestClient, body: Any, status: int,
                                         says: str) -> None:
    response = client.post("/v1/query", json=body)
    assert response.status_code == status
    assert says in response.json()["message"]
    assert response.json()["code"] in (3, 9)


def test_a_store_with_only_the_starter_pack_is_not_taken_for_clean() -> None:
    client = _client(FakeAdvisoryReader([OSV], label="starter"))
    response = client.post("/v1/query", json={"package": {"purl": "pkg:pypi/six@1.16.0"}})
    assert response.status_code == 422
    assert "only the packaged starter pack" in response.json()["message"]


def test_requests_are_bounded(client: TestClient) -> None:
    response = client.post("/v1/query", content=b" " * (MAX_QUERY_BYTES + 1))
    assert response.status_code == 413 and response.json()["code"] == 8
    assert client.post("/v1/query", content=b"{not json").status_code == 400
    query = {"package": {"name": "tensorflow", "ecosystem": "PyPI"}, "version": "2.5.0"}
    too_many = client.post("/v1/querybatch", json={"queries": [query] * (MAX_BATCH + 1)})
    assert too_many.status_code == 400 and "at most 1000" in too_many.json()["message"]
    assert client.post("/v1/querybatch", json={"queries": [query] * MAX_BATCH}).status_code \
        == 200
    long_name = {"package": {"name": "x" * 600, "ecosystem": "PyPI"}, "version": "1"}
    assert client.post("/v1/query", json=long_name).status_code == 400


# -- pip-audit, an unmodified OSV client, against the server ---------------------------------

REQUIREMENTS = """\
tensorflow==2.4.0
Django==3.2.0
pillow==8.0.0
jinja2==2.10
urllib3==1.24.1
requests==2.19.0
numpy==1.16.0
PyYAML==5.3
attrs==23.1.0
six==1.16.0
"""


def _pip_audit() -> str:
    found = Path(sys.executable).with_name("pip-audit")
    if found.is_file():
        return str(found)
    which = shutil.which("pip-audit")
    if which is None:
        if os.environ.get("CI"):
            pytest.fail("pip-audit (a dev dependency) is required on CI")
        pytest.skip("pip-audit is not installed (pip install -e '.[dev]')")
    return which


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def pypa_location(request: pytest.FixtureRequest, shared_data: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> str:
    """The PyPA corpus (and the starter pack) imported into a SQLite file or a PostgreSQL
    database; the store's URL."""
    from stackrift.advisories.importer import import_paths
    from stackrift.advisories.store import open_store

    if request.param == "sqlite":
        location = f"sqlite:///{tmp_path_factory.mktemp('osv') / 'advisories.sqlite'}"
    else:
        cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
        location = cluster.create_database(f"osv_api_{os.getpid()}")
    with open_store(location) as store:
        import_paths(store, [shared_data / "osv-pypa"])
    return location


@pytest.fixture(scope="module")
def pypa_store(pypa_location: str) -> Iterator[AdvisoryStore]:
    """The PyPA store, through SQLAlchemy (whose pooled connections the server's threads
    share)."""
    from stackrift.advisories.store import open_store

    store = open_store(pypa_location)
    yield store
    store.close()


@pytest.fixture(scope="module")
def served(pypa_location: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``stackrift serve`` in its own process, answering from the PyPA store; its bare URL."""
    folder = tmp_path_factory.mktemp("serve")
    server = ServeProcess(folder, "--database", f"sqlite:///{folder / 'server.sqlite'}",
                          "--advisory-db", pypa_location)
    try:
        yield server.base
    finally:
        server.stop()


def _group_of(store: AdvisoryReader, ids: list[str]) -> str:
    groups = {view.group_id for view in store.groups(ids, by_member=True).values()}
    assert len(groups) == 1, (ids, groups)
    return groups.pop()


@pytest.mark.parametrize("path", ["", "/v1/query"], ids=["bare-url", "query-url"])
def test_pip_audit_reports_what_stackrift_scan_reports(served: str, pypa_store: AdvisoryStore,
                                                       catalogue: Catalogue,
                                                       tmp_path: Path, path: str) -> None:
    from stackrift.advisories.matching import purl_identity
    from stackrift.advisories.scan import StoreInfo, scan, targets_from_document
    from stackrift.bom.base import read_bom

    requirements = tmp_path / "requirements.txt"
    requirements.write_text(REQUIREMENTS, encoding="utf-8")
    completed = subprocess.run(
        [_pip_audit(), "-s", "osv", "--osv-url", f"{served}{path}", "-r",
         str(requirements), "--no-deps", "--disable-pip", "-f", "json", "--aliases", "on",
         "--progress-spinner", "off", "--cache-dir", str(tmp_path / "cache"),
         "--timeout", "60"],
        capture_output=True, text=True, timeout=300, check=False)
    # 1: vulnerabilities found (an error also exits 1, but prints no report)
    assert completed.returncode in (0, 1) and completed.stdout, completed.stderr[-3000:]
    audited: dict[tuple[str, str], set[str]] = {}
    for dependency in orjson.loads(completed.stdout)["dependencies"]:
        key = (dependency["name"].lower(), dependency["version"])
        audited[key] = {_group_of(pypa_store, [v["id"], *v.get("aliases", [])])
                        for v in dependency["vulns"]}

    result = scan(targets_from_document(read_bom(requirements)), pypa_store,
                  StoreInfo("test", False, 0), catalogue=catalogue)
    scanned: dict[tuple[str, str], set[str]] = {key: set() for key in audited}
    for match in result.matches:
        identity = purl_identity(match.target.purl or "")
        assert identity is not None
        scanned.setdefault((identity[1], identity[2] or ""), set()).add(match.group_id)
    assert audited == scanned
    assert len(audited) == 10
    assert sum(len(groups) for groups in audited.values()) > 100
    assert audited[("six", "1.16.0")] == set() and audited[("attrs", "23.1.0")] == set()
