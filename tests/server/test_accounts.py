"""Credentials: tokens hashed at rest and shown once, browser sessions with CSRF, roles."""

from __future__ import annotations

from sqlalchemy import select
from tests.server.conftest import MINIMAL, Server

from stackrift.server.auth import check_password, hash_password, secret_hash
from stackrift.server.db.tables import ApiToken, User


def test_tokens_are_stored_only_as_hashes_and_can_be_revoked(server: Server) -> None:
    made = server.post("/api/v1/tokens", "viewer_a", json={"label": "ci"})
    assert made.status_code == 201
    secret, token_id = made.json()["token"], made.json()["info"]["id"]
    with server.app.state.sessions() as db:
        row = db.get(ApiToken, token_id)
        assert row is not None and row.token_hash == secret_hash(secret) != secret
        assert secret not in {t.token_hash for t in db.scalars(select(ApiToken))}
    assert "token" not in server.get("/api/v1/tokens", "viewer_a").json()[0]
    headers = {"Authorization": f"Bearer {secret}"}
    assert server.client.get("/api/v1/me", headers=headers).json()["username"] == "viewer_a"
    assert server.client.delete(f"/api/v1/tokens/{token_id}", headers=headers).status_code == 200
    assert server.client.get("/api/v1/me", headers=headers).status_code == 401


def test_passwords_use_scrypt() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("scrypt$") and "correct" not in stored
    assert check_password("correct horse battery", stored)
    assert not check_password("correct horse batterY", stored)
    assert hash_password("correct horse battery") != stored  # salted


def test_a_browser_session_needs_the_csrf_token_to_write(server: Server) -> None:
    client = server.client
    wrong = client.post("/api/v1/auth/login", json={"username": "analyst_a", "password": "x"})
    assert wrong.status_code == 401
    login = client.post("/api/v1/auth/login",
                        json={"username": "analyst_a", "password": "password of analyst_a"})
    assert login.status_code == 200 and "stackrift_session" in login.cookies
    csrf = login.json()["csrf_token"]
    try:  # the client keeps the session cookie, as a browser does
        me = client.get("/api/v1/me").json()
        assert me["username"] == "analyst_a" and me["via"] == "session"
        body = {"unit_id": server.ids["unit_a"], "name": "made in a browser"}
        refused = client.post("/api/v1/projects", json=body)
        assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
        made = client.post("/api/v1/projects", json=body,
                           headers={"X-CSRF-Token": csrf})
        assert made.status_code == 201
        # a form post carries the token as a field
        form = client.post(f"/api/v1/projects/{made.json()['id']}/uploads",
                           data={"kind": "estate", "csrf_token": csrf},
                           files={"file": ("estate.yaml", MINIMAL.read_bytes())})
        assert form.status_code == 201, form.text
        assert client.post("/api/v1/auth/logout",
                           headers={"X-CSRF-Token": csrf}).status_code == 204
        assert client.get("/api/v1/me").status_code == 401
    finally:
        client.cookies.clear()


def test_only_server_administrators_manage_users_and_units(server: Server) -> None:
    assert server.post("/api/v1/units", "admin_a", json={"name": "new"}).status_code == 404
    made = server.post("/api/v1/users", json={"username": "newcomer",
                                              "password": "long enough password"})
    assert made.status_code == 201
    user = made.json()["id"]
    grant = {"unit_id": server.ids["unit_a"], "role": "viewer"}
    # a unit administrator cannot see users outside their unit, so cannot bring one in
    assert server.client.put(f"/api/v1/users/{user}/grants", headers=server.auth("admin_a"),
                             json=grant).status_code == 404
    assert server.client.put(f"/api/v1/users/{user}/grants", headers=server.auth("admin"),
                             json=grant).status_code == 200
    # once in the unit, its administrator manages the user's role there
    changed = server.client.put(f"/api/v1/users/{user}/grants", headers=server.auth("admin_a"),
                                json={**grant, "role": "analyst"})
    assert changed.status_code == 200 and changed.json()["roles"] == {
        str(server.ids["unit_a"]): "analyst"}
    with server.app.state.sessions() as db:
        row = db.get(User, user)
        assert row is not None and row.password_hash and row.password_hash.startswith("scrypt$")
    secret = server.post("/api/v1/tokens", json={"user_id": user}).json()["token"]
    own = {"Authorization": f"Bearer {secret}"}
    assert server.client.put(f"/api/v1/users/{user}/password", headers=own,
                             json={"password": "a new long password"}).status_code == 204
    assert server.client.post("/api/v1/auth/login", json={
        "username": "newcomer", "password": "a new long password"}).status_code == 200
    server.client.cookies.clear()
