"""FastAPI dependencies: the request's database session and the authenticated user.

A request is authenticated by ``Authorization: Bearer <token>`` or by the browser session
cookie; a cookie-authenticated request that changes anything must carry the session's CSRF
token (header ``X-CSRF-Token`` or form field ``csrf_token``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from stackrift.server.auth import csrf_matches, principal_for_session, principal_for_token
from stackrift.server.errors import NotAllowedError, NotAuthenticatedError
from stackrift.server.tenancy import Principal

SESSION_COOKIE = "stackrift_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_db(request: Request) -> Iterator[Session]:
    """One session per request, committed when the handler succeeds, else rolled back."""
    with request.app.state.sessions() as db:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise


Db = Annotated[Session, Depends(get_db, scope="function")]


async def _form_csrf(request: Request) -> str | None:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def current_principal(request: Request, db: Db) -> Principal:
    """The authenticated user, else 401; CSRF checked for cookie sessions' writes."""
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return principal_for_token(db, credentials.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise NotAuthenticatedError("authentication required: an API token "
                                    "(Authorization: Bearer …) or a login session")
    principal = principal_for_session(db, cookie)
    if request.method not in _SAFE_METHODS:
        offered = request.headers.get(CSRF_HEADER) or await _form_csrf(request)
        if not csrf_matches(principal, offered):
            raise NotAllowedError("missing or wrong CSRF token")
    return principal


Actor = Annotated[Principal, Depends(current_principal)]
