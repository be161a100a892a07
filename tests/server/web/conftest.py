"""Browser sessions on the shared test servers: a client per user, logged in through the form."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from tests.server.conftest import Server

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form carrying a CSRF token"
    return found.group(1)


def log_in(server: Server, username: str, password: str) -> TestClient:
    """A client of its own (cookies apart from the API tests' client), logged in."""
    client = TestClient(server.app, follow_redirects=False)
    form = client.get("/web/login")
    assert form.status_code == 200
    done = client.post("/web/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_of(form.text), "next": "/web/"})
    assert done.status_code == 303, done.text
    return client


@pytest.fixture
def browser_of(server: Server) -> Callable[[str], TestClient]:
    """``browser_of("viewer_a")``: that user's logged-in client (the fixture's passwords)."""
    def make(who: str) -> TestClient:
        password = "correct horse battery" if who == "admin" else f"password of {who}"
        return log_in(server, who, password)

    return make
