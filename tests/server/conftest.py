"""One server per database backend (SQLite and a throw-away PostgreSQL) for the whole session,
with two organisation units, their users and a finished assessment in each unit."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from stackrift.server.app import create_app
from stackrift.server.config import load_settings
from stackrift.server.services import accounts
from stackrift.server.tenancy import SYSTEM, Principal, Role

MINIMAL = Path(__file__).parents[2] / "src/stackrift/estate/templates/minimal.yaml"
BACKENDS = ("sqlite", "postgresql")


@dataclass
class Server:
    backend: str
    app: FastAPI
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, path: str, who: str = "admin", **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.auth(who), **kwargs)

    def post(self, path: str, who: str = "admin", **kwargs: Any) -> Any:
        return self.client.post(path, headers=self.auth(who), **kwargs)

    def upload(self, project: int, kind: str, name: str, content: bytes,
               who: str = "admin") -> Any:
        return self.post(f"/api/v1/projects/{project}/uploads", who,
                         data={"kind": kind, "name": name},
                         files={"file": (name, content, "application/octet-stream")})

    def wait_for(self, assessment: int, timeout: float = 120.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state: dict[str, Any] = self.get(f"/api/v1/assessments/{assessment}").json()
            if state["status"] in {"done", "failed"}:
                return state
            time.sleep(0.2)
        raise AssertionError(f"assessment {assessment} did not finish: {state}")


def database_url(backend: str, request: pytest.FixtureRequest, folder: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'server.sqlite'}"
    cluster = request.getfixturevalue("postgres_cluster")
    return str(cluster.create_database(f"server_{os.getpid()}_{folder.name}"))


def _people(server: Server) -> None:
    """Units A and B; an admin, and per unit a viewer, an analyst and a unit administrator."""
    with server.app.state.sessions() as db:
        admin = accounts.create_user(db, SYSTEM, "admin", "correct horse battery", is_admin=True)
        server.tokens["admin"] = accounts.create_token(
            db, Principal(admin.id, "admin", is_admin=True)).token
        for unit in ("a", "b"):
            server.ids[f"unit_{unit}"] = accounts.create_unit(db, SYSTEM, f"unit {unit}").id
            for role in Role:
                name = f"{role.value}_{unit}"
                user = accounts.create_user(db, SYSTEM, name, f"password of {name}")
                accounts.grant_role(db, SYSTEM, user.id, server.ids[f"unit_{unit}"], role)
                server.ids[f"user_{name}"] = user.id
                server.tokens[name] = accounts.create_token(
                    db, Principal(user.id, name, roles={})).token
        db.commit()


def _project(server: Server, unit: str) -> None:
    """A project with an estate, an SBOM and a finished assessment in the unit."""
    created = server.post("/api/v1/projects", json={"unit_id": server.ids[f"unit_{unit}"],
                                                    "name": f"estate of {unit}"})
    assert created.status_code == 201, created.text
    project = server.ids[f"project_{unit}"] = created.json()["id"]
    estate = server.upload(project, "estate", "estate.yaml", MINIMAL.read_bytes())
    assert estate.status_code == 201, estate.text
    server.ids[f"upload_{unit}"] = estate.json()["id"]
    queued = server.post(f"/api/v1/projects/{project}/assessments",
                         json={"as_of": "2026-12-04"})
    assert queued.status_code == 202, queued.text
    server.ids[f"assessment_{unit}"] = queued.json()["id"]


@pytest.fixture(scope="session", params=BACKENDS)
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp(f"server-{request.param}")
    settings = load_settings({"database_url": database_url(request.param, request, folder),
                              "data_dir": folder, "poll_seconds": 0.1,
                              "recheck_seconds": 3600}, env={})
    app = create_app(settings)
    with TestClient(app) as client:
        server = Server(request.param, app, client)
        _people(server)
        for unit in ("a", "b"):
            _project(server, unit)
        for unit in ("a", "b"):
            done = server.wait_for(server.ids[f"assessment_{unit}"])
            assert done["status"] == "done", done
        yield server
