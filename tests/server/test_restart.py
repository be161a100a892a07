"""``stackrift serve`` as a separate process: killed during an assessment it loses no upload and
runs the job again after a restart; stopped with SIGTERM it puts the running job back in the
queue. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from tests.server.conftest import BACKENDS, MINIMAL, QUICK, database_url
from tests.server.serving import ServeProcess


def _serve(url: str, folder: Path, grace: float = 1.0) -> ServeProcess:
    """The server on ``url`` with short leases, polls and shutdown grace."""
    return ServeProcess(folder, "--database", url, env={
        "STACKRIFT_SERVER_JOB_LEASE_SECONDS": "2", "STACKRIFT_SERVER_POLL_SECONDS": "0.2",
        "STACKRIFT_SERVER_SHUTDOWN_GRACE_SECONDS": str(grace)})


def _wait(server: ServeProcess, token: str, assessment: int, until: Any) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state: dict[str, Any] = server.call("GET", f"/api/v1/assessments/{assessment}",
                                            token).json()
        if until(state):
            return state
        time.sleep(0.1)
    raise AssertionError(f"assessment {assessment} stuck: {state}")


def _running(state: dict[str, Any]) -> bool:
    assert state["status"] in {"queued", "running"}, state
    return bool(state["status"] == "running")


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    yield database_url(request.param, request, tmp_path), tmp_path


def _large_estate(flows: int) -> bytes:
    """The minimal estate with ``flows`` more data flows, each with its own facts (so none
    shares another's verdict)."""
    extra = "".join(
        f"  - {{id: extra-{i}, from: aws-euc1, to: aws-use1, recipient: example-us, "
        f"system: assistant, data_categories: [personal], subjects: {500 + i}, "
        "subjects_countries: [DE], transfer_kind: intra_group, mechanisms: [scc], "
        "start: 2026-01-01}\n" for i in range(flows))
    return (MINIMAL.read_text(encoding="utf-8").rstrip("\n") + "\n" + extra).encode()


def _setup(server: ServeProcess, token: str) -> tuple[int, dict[str, Any]]:
    unit = server.call("POST", "/api/v1/units", token, json={"name": "group"}).json()
    project = server.call("POST", "/api/v1/projects", token,
                          json={"unit_id": unit["id"], "name": "estate"}).json()
    upload = server.call("POST", f"/api/v1/projects/{project['id']}/uploads", token,
                         data={"kind": "estate", "name": "estate.yaml"},
                         files={"file": ("estate.yaml", MINIMAL.read_bytes())}).json()
    return project["id"], upload


def test_a_killed_server_loses_nothing_and_runs_the_job_again(database: tuple[str, Path]
                                                                ) -> None:
    url, folder = database
    first = _serve(url, folder)
    credentials = folder / "first-admin.txt"
    assert credentials.stat().st_mode & 0o077 == 0  # the owner's alone
    token = credentials.read_text().split("API token: ")[1].split()[0]
    project, upload = _setup(first, token)
    # the first run in a fresh process takes seconds (imports, catalogue): time to kill it
    queued = first.call("POST", f"/api/v1/projects/{project}/assessments", token,
                        json={"as_of": "2026-12-04", "analyses": QUICK}).json()
    _wait(first, token, queued["id"], _running)
    first.stop(signal.SIGKILL)

    second = _serve(url, folder, grace=0.3)
    try:
        done = _wait(second, token, queued["id"], lambda s: s["status"] in {"done", "failed"})
        assert done["status"] == "done" and done["attempts"] == 2, done
        content = second.call("GET", f"/api/v1/uploads/{upload['id']}/content", token).content
        assert hashlib.sha256(content).hexdigest() == upload["sha256"]
        assert content == MINIMAL.read_bytes()
        report = second.call("GET", f"/api/v1/assessments/{queued['id']}/report", token).json()
        assert len(report["findings"]) == done["finding_count"]

        # every analysis of an estate of 3,000 flows (many seconds of work) outlasts a 0.3 s
        # shutdown grace
        large = second.call("POST", f"/api/v1/projects/{project}/uploads", token,
                            data={"kind": "estate", "name": "large.yaml"},
                            files={"file": ("large.yaml", _large_estate(3_000))}).json()
        again = second.call("POST", f"/api/v1/projects/{project}/assessments", token,
                            json={"as_of": "2026-12-04", "estate_upload_id": large["id"]}
                            ).json()
        _wait(second, token, again["id"], _running)
    finally:
        lines = second.stop(signal.SIGTERM)
    assert f"listening on http://127.0.0.1:{second.port}" in "\n".join(lines)
    assert not any("first administrator" in line for line in lines)  # made once only
    logged = [json.loads(line) for line in lines if line.startswith("{")]
    assert any(e["logger"] == "stackrift.server.jobs" and "re-queued at shutdown" in e["message"]
               for e in logged), lines
    # uvicorn ends a graceful shutdown by re-raising the signal it caught
    assert second.process.returncode in {0, -signal.SIGTERM}
    engine = create_engine(url)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT status, stage, claim_token FROM assessments "
                                      "WHERE id = :id"), {"id": again["id"]}).one()
    engine.dispose()
    assert tuple(row) == ("queued", "re-queued at shutdown", None)
