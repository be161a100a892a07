"""The command line's checks on uploaded content, through the library."""

from __future__ import annotations

from tests.server.conftest import MINIMAL, Server

from stackrift.server.routes import API


def test_validate_without_storing(server: Server) -> None:
    good = server.post(f"{API}/validate", "viewer_a", data={"kind": "estate"},
                       files={"file": ("estate.yaml", MINIMAL.read_bytes())})
    assert good.status_code == 200 and good.json()["counts"]["systems"] >= 1
    bad = server.post(f"{API}/validate", "viewer_a", data={"kind": "estate"},
                      files={"file": ("e.yaml", b"organisation: [unclosed\n")})
    assert bad.status_code == 422
    assert bad.json()["problems"][0]["file"] == "e.yaml" and bad.json()["problems"][0]["line"]


def test_transfers_of_an_estate_upload(server: Server) -> None:
    answer = server.get(f"{API}/uploads/{server.ids['upload_a']}/transfers",
                        params={"as_of": "2026-12-04"})
    assert answer.status_code == 200
    assert any(f["id"] == "eu-staff-questions" for f in answer.json()["flows"])
    assert answer.json()["estate"] == "estate.yaml"


def test_obligations_of_an_estate_upload(server: Server) -> None:
    answer = server.get(f"{API}/uploads/{server.ids['upload_a']}/obligations",
                        params={"as_of": "2026-12-04"})
    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert document["estate"] == "estate.yaml" and document["tables"]
    assert document["tables"][0]["rows"] and document["disclaimer"]


def test_scan_of_an_sbom_upload(server: Server) -> None:
    upload = server.upload(server.ids["project_a"], "sbom", "requirements.txt",
                           b"torch==2.0.0\nnumpy==1.21.0\n")
    assert upload.status_code == 201, upload.text
    scan = server.get(f"{API}/uploads/{upload.json()['id']}/scan")
    assert scan.status_code == 200
    assert scan.json()["file"] == "requirements.txt" and "summary" in scan.json()
    # an estate is not an SBOM
    wrong = server.get(f"{API}/uploads/{server.ids['upload_a']}/scan")
    assert wrong.status_code == 409


def test_the_api_description_is_openapi_3_1(server: Server) -> None:
    document = server.client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert f"{API}/projects/{{project_id}}/diff" in document["paths"]
