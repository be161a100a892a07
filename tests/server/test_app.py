"""The server over the library: uploads versioned and checked, assessments run as jobs and
their reports stored, on SQLite and PostgreSQL."""

from __future__ import annotations

import orjson
from tests.server.conftest import MINIMAL, Server


def test_health_and_readiness(server: Server) -> None:
    assert server.client.get("/healthz").json() == {"status": "ok"}
    ready = server.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_requests_without_credentials_are_refused(server: Server) -> None:
    assert server.client.get("/api/v1/projects").status_code == 401
    bad = server.client.get("/api/v1/projects", headers={"Authorization": "Bearer srt_nope"})
    assert bad.status_code == 401


def test_a_finished_assessment_has_every_report_format(server: Server) -> None:
    assessment = server.ids["assessment_a"]
    state = server.get(f"/api/v1/assessments/{assessment}").json()
    assert state["status"] == "done" and state["progress"] == 100
    assert state["knowledge_digest"] and state["advisory_fingerprint"]
    report = orjson.loads(server.get(f"/api/v1/assessments/{assessment}/report").content)
    assert len(report["findings"]) == state["finding_count"] > 0
    assert report["estate"]["path"] == "estate.yaml"
    sarif = server.get(f"/api/v1/assessments/{assessment}/report", params={"format": "sarif"})
    assert sarif.json()["version"] == "2.1.0"
    vex = server.get(f"/api/v1/assessments/{assessment}/report",
                     params={"format": "cyclonedx-vex"}).json()
    assert vex["bomFormat"] == "CycloneDX"
    html = server.get(f"/api/v1/assessments/{assessment}/report", params={"format": "html"})
    assert html.headers["content-type"].startswith("text/html") and b"<html" in html.content


def test_uploads_are_versioned_with_their_hash(server: Server) -> None:
    project = server.ids["project_a"]
    content = MINIMAL.read_bytes().replace(b"\n", b"\n\n", 1)
    again = server.upload(project, "estate", "estate.yaml", content, who="analyst_a")
    assert again.status_code == 201, again.text
    view = again.json()
    assert view["version"] >= 2 and view["created_by"] == server.ids["user_analyst_a"]
    stored = server.get(f"/api/v1/uploads/{view['id']}/content")
    assert stored.content == content
    import hashlib

    assert view["sha256"] == hashlib.sha256(content).hexdigest()


def test_a_bad_estate_is_refused_with_its_location_and_nothing_is_stored(server: Server
                                                                         ) -> None:
    project = server.ids["project_a"]
    before = server.get(f"/api/v1/projects/{project}/uploads").json()
    bad = MINIMAL.read_text().replace("\nsystems:", "\nsystemz:", 1).encode()
    refused = server.upload(project, "estate", "broken.yaml", bad)
    assert refused.status_code == 422
    problems = refused.json()["problems"]
    assert problems and problems[0]["file"] == "broken.yaml"
    assert problems[0]["line"] > 0 and problems[0]["column"] > 0
    assert "systemz" in refused.json()["detail"]
    assert server.get(f"/api/v1/projects/{project}/uploads").json() == before
