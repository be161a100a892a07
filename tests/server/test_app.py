"""The server over the library: uploads versioned and checked, assessments run as jobs and
their reports stored, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from tests.server.conftest import MINIMAL, Server

import stackrift.demo


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


def test_any_file_name_downloads(server: Server) -> None:
    made = server.upload(server.ids["project_a"], "estate", "estates/Übersicht «EU».yaml",
                         MINIMAL.read_bytes())
    assert made.status_code == 201, made.text
    download = server.get(f"/api/v1/uploads/{made.json()['id']}/content")
    assert download.status_code == 200 and download.content == MINIMAL.read_bytes()
    assert "filename*=UTF-8''%C3%9Cbersicht" in download.headers["content-disposition"]


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


def test_an_estate_finds_its_sboms_by_their_upload_names(server: Server) -> None:
    created = server.post("/api/v1/projects", json={"unit_id": server.ids["unit_a"],
                                                    "name": "with an SBOM"}).json()
    estate = MINIMAL.read_text().replace("    # sboms: [sbom/assistant.cdx.json]",
                                         "    sboms: [sbom/requirements.txt]")
    assert "sboms: [sbom/requirements.txt]" in estate
    assert server.upload(created["id"], "sbom", "sbom/requirements.txt",
                         b"transformers==4.30.0\n").status_code == 201
    assert server.upload(created["id"], "estate", "estate.yaml",
                         estate.encode()).status_code == 201
    queued = server.post(f"/api/v1/projects/{created['id']}/assessments",
                         json={"as_of": "2026-12-04", "analyses": ["vulnerabilities"]}).json()
    assert server.wait_for(queued["id"])["status"] == "done"
    report = orjson.loads(server.get(f"/api/v1/assessments/{queued['id']}/report").content)
    summary = report["analyses"]["vulnerabilities"]["summary"]
    assert "sbom_problems" not in summary, summary["sbom_problems"]
    assert any("transformers" in f["id"] for f in report["findings"]), report["findings"]


def test_an_estate_finds_its_crypto_files_and_says_which_it_did_not(server: Server) -> None:
    """The demo names a certificate chain and a CBOM: assessed without them, each is a
    file-not-read finding; uploaded under the names the estate uses, both are read."""
    demo = Path(stackrift.demo.__file__).parent
    created = server.post("/api/v1/projects", json={"unit_id": server.ids["unit_a"],
                                                    "name": "with crypto files"}).json()
    assert server.upload(created["id"], "estate", "estate.yaml",
                         (demo / "estate.yaml").read_bytes()).status_code == 201

    def not_read() -> list[dict[str, Any]]:
        queued = server.post(f"/api/v1/projects/{created['id']}/assessments",
                             json={"as_of": "2026-12-04", "analyses": ["crypto"]}).json()
        assert server.wait_for(queued["id"])["status"] == "done"
        report = orjson.loads(server.get(f"/api/v1/assessments/{queued['id']}/report").content)
        return [f for f in report["findings"] if f["rule"] == "file-not-read"]

    missing = not_read()
    assert {f["subject"]["id"] for f in missing} == {"us-fraud", "global-rag"}
    assert all(f["severity"] == "unknown" for f in missing)
    assert any("crypto/us-fraud-chain.pem" in str(f["evidence"]) for f in missing)
    refused = server.upload(created["id"], "crypto", "crypto/bad.pem", b"not a certificate")
    assert refused.status_code == 422 and refused.json()["problems"][0]["file"] == "crypto/bad.pem"
    for name in ("crypto/us-fraud-chain.pem", "crypto/global-rag.cbom.json"):
        assert server.upload(created["id"], "crypto", name,
                             (demo / name).read_bytes()).status_code == 201
    assert not_read() == []
