"""The server answers the OSV API from the advisory store its settings name (``advisory_db``):
a SQLite store file (opened per request) or a database URL (one store per process)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from stackrift.server.app import create_app
from stackrift.server.config import load_settings


def _store(location: str, shared_data: Path) -> None:
    from stackrift.advisories.importer import import_paths
    from stackrift.advisories.store import open_store

    with open_store(location) as store:
        import_paths(store, [shared_data / "osv-pypa" / "vulns" / "jinja2"])


@pytest.mark.parametrize("kind", ["file", "url"])
def test_the_server_answers_osv_queries_from_its_advisory_store(
        kind: str, shared_data: Path, tmp_path: Path) -> None:
    path = tmp_path / "advisories.sqlite"
    location = str(path) if kind == "file" else f"sqlite:///{path}"
    _store(location, shared_data)
    settings = load_settings({"database_url": f"sqlite:///{tmp_path / 'server.sqlite'}",
                              "data_dir": tmp_path, "advisory_db": location, "worker": False},
                             env={})
    with TestClient(create_app(settings)) as client:
        vulnerable = client.post("/v1/query", json={
            "package": {"name": "jinja2", "ecosystem": "PyPI"}, "version": "2.10"})
        assert vulnerable.status_code == 200, vulnerable.text
        ids = {v["id"] for v in vulnerable.json()["vulns"]}
        assert ids, "Jinja2 2.10 has known advisories in the PyPA corpus"
        # the bare URL answers queries too (pip-audit posts to --osv-url as given)
        assert client.post("/", json={"package": {"name": "jinja2", "ecosystem": "PyPI"},
                                      "version": "2.10"}).json() == vulnerable.json()
        clean = client.post("/v1/query", json={
            "package": {"name": "jinja2", "ecosystem": "PyPI"}, "version": "99.0"})
        assert clean.status_code == 200 and clean.json() == {}
        [one] = sorted(ids)[:1]
        assert client.get(f"/v1/vulns/{one}").json()["id"] == one
        # an ecosystem the store holds nothing for is refused, never answered "clean"
        unknown = client.post("/v1/query", json={
            "package": {"name": "left-pad", "ecosystem": "npm"}, "version": "1.0.0"})
        assert unknown.status_code == 422, unknown.text
