"""Tenancy: users of unit A get 404 for every object of unit B through every endpoint, and no
answer carries unit B's data. The test walks the OpenAPI description, so a new endpoint is
covered (or the test fails naming the path parameter it cannot fill)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.server.conftest import MINIMAL, Server

from stackrift.server.errors import NotFoundError

# what a request of unit A's users may carry that names unit B's objects
BODIES: dict[tuple[str, str], Any] = {
    ("post", "/api/v1/projects"): {"json": {"unit_id": "unit_b", "name": "intruder"}},
    ("post", "/api/v1/tokens"): {"json": {"label": "x", "user_id": "user_viewer_b"}},
    ("put", "/api/v1/users/{user_id}/password"): {"json": {"password": "taken over at last"}},
    ("put", "/api/v1/users/{user_id}/grants"): {"json": {"unit_id": "unit_b", "role": "admin"}},
    ("post", "/api/v1/projects/{project_id}/assessments"): {
        "json": {"estate_upload_id": "upload_b"}},
    ("post", "/api/v1/taxii/collections"): {"json": {"unit_id": "unit_b", "title": "intruder"}},
    ("put", "/api/v1/taxii/collections/{collection_id}/grants/{user_id}"): {
        "json": {"can_read": True, "can_write": True}},
    ("post", "/api/v1/projects/{project_id}/uploads"): {
        "data": {"kind": "estate", "name": "estate.yaml"},
        "files": {"file": ("estate.yaml", MINIMAL.read_bytes(), "application/x-yaml")}},
}
QUERIES = {"from": "assessment_b", "to": "assessment_b", "unit_id": "unit_b"}
PATH_IDS = {"project_id": "project_b", "upload_id": "upload_b", "assessment_id": "assessment_b",
            "unit_id": "unit_b", "user_id": "user_viewer_b", "token_id": "token_viewer_b",
            "collection_id": "collection_b", "object_id": "object_b", "status_id": "status_b"}
# path parameters that name no object of a unit (e.g. an advisory id), with a value to send
UNSCOPED_PARAMS: dict[str, str] = {"ident": "GHSA-0000-0000-0000"}
UNIT_B_MARKERS = ("unit b", "estate of b", "viewer_b", "analyst_b", "admin_b")


def _resolve(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, dict):
        return {k: _resolve(v, ids) for k, v in value.items()}
    if isinstance(value, str) and value in ids:
        return ids[value]
    return value


def _operations(server: Server) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, operation)
            for path, item in server.app.openapi()["paths"].items()
            for method, operation in item.items()]


def _request(server: Server, who: str, path: str, method: str, operation: dict[str, Any]
             ) -> tuple[bool, Any]:
    """Send the request with unit B's ids; whether it names a unit B object."""
    ids = dict(server.ids)
    url, names_b = path, False
    params = {}
    for parameter in operation.get("parameters", []):
        name, where = parameter["name"], parameter["in"]
        if where == "path" and name in UNSCOPED_PARAMS:
            url = url.replace("{" + name + "}", UNSCOPED_PARAMS[name])
        elif where == "path":
            assert name in PATH_IDS, f"{path}: no unit B object for path parameter {name}"
            url = url.replace("{" + name + "}", str(ids[PATH_IDS[name]]))
            names_b = True
        elif where == "query" and name in QUERIES:
            params[name] = ids[QUERIES[name]]
            names_b = True
    extra = _resolve(BODIES.get((method, path), {}), ids)
    names_b = names_b or bool(extra)
    response = server.client.request(method.upper(), url, headers=server.auth(who),
                                     params=params, **extra)
    return names_b, response


@pytest.mark.parametrize("who", ["viewer_a", "admin_a"])
def test_unit_a_never_sees_unit_b(server: Server, who: str) -> None:
    with server.app.state.sessions() as db:
        from stackrift.server.services.accounts import list_tokens
        from stackrift.server.tenancy import Principal

        viewer_b = Principal(server.ids["user_viewer_b"], "viewer_b")
        server.ids["token_viewer_b"] = list_tokens(db, viewer_b)[0].id
    checked = 0
    for path, method, operation in _operations(server):
        names_b, response = _request(server, who, path, method, operation)
        text = response.text.lower()
        leaked = [m for m in UNIT_B_MARKERS if m in text]
        assert not leaked, f"{method.upper()} {path} leaks {leaked}: {response.text[:300]}"
        assert response.status_code < 500, f"{method.upper()} {path}: {response.text}"
        if names_b:
            assert response.status_code == 404, (
                f"{who} {method.upper()} {path} answered {response.status_code}: "
                f"{response.text[:300]}")
            checked += 1
    assert checked >= 15
    # and nothing was written to unit B
    projects = server.get(f"/api/v1/projects?unit_id={server.ids['unit_b']}").json()
    assert [p["name"] for p in projects] == ["estate of b"]


def test_the_same_requests_work_for_unit_b(server: Server) -> None:
    """The 404s above are about tenancy, not broken requests: unit B's analyst gets answers."""
    project, assessment = server.ids["project_b"], server.ids["assessment_b"]
    for url in (f"/api/v1/projects/{project}", f"/api/v1/assessments/{assessment}",
                f"/api/v1/uploads/{server.ids['upload_b']}/content",
                f"/api/v1/projects/{project}/diff?from={assessment}&to={assessment}"):
        assert server.get(url, who="analyst_b").status_code == 200, url


def test_a_viewer_cannot_write_in_its_own_unit(server: Server) -> None:
    refused = server.upload(server.ids["project_a"], "estate", "estate.yaml",
                            MINIMAL.read_bytes(), who="viewer_a")
    assert refused.status_code == 403


def test_ids_beyond_the_columns_are_simply_absent(server: Server) -> None:
    from stackrift.server.db.tables import MAX_ID
    from stackrift.server.services.projects import get_project
    from stackrift.server.tenancy import SYSTEM

    assert server.get(f"/api/v1/projects/{MAX_ID + 1}").status_code == 422
    with server.app.state.sessions() as db:
        for ident in (MAX_ID + 1, -(2**70), 0):
            with pytest.raises(NotFoundError):
                get_project(db, SYSTEM, ident)
