"""Pages as HTML responses: the Jinja2 environment, the security headers every page carries,
the browser's session as a page dependency, and errors shown as pages rather than JSON."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import Depends, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from stackrift import __version__
from stackrift.errors import InputError, InvalidInputError
from stackrift.server.auth import csrf_matches, principal_for_session
from stackrift.server.deps import CSRF_FIELD, SESSION_COOKIE, Db
from stackrift.server.errors import NotAuthenticatedError, ServiceError
from stackrift.server.tenancy import Principal

MAX_ID = 2**63 - 1
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
"""An object's number in a page's address: what a database integer column can hold."""

WEB = "/web"
"""Where the pages live; ``/`` leads here."""

# Nothing but the server's own files: no inline script or style, no other origin, no framing.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY",
           "Cache-Control": "no-store"}
STATIC_FILES = {"web.css": "text/css; charset=utf-8",
                "web.js": "text/javascript; charset=utf-8"}


class LoginRequiredError(Exception):
    """No valid browser session: the page sends the browser to the login form."""


def link(*parts: object, **query: object) -> str:
    """A path under ``/web`` from its parts (each quoted whole, so ids with ``/`` or ``:``
    survive) and query parameters without empty values."""
    path = WEB + "".join("/" + quote(str(p), safe="") for p in parts)
    pairs = [f"{quote(k)}={quote(str(v), safe='')}" for k, v in query.items() if v not in
             (None, "")]
    return path + ("?" + "&".join(pairs) if pairs else "")


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def describe(value: Any) -> str:
    """An input of a diff in words: ``name version 2, upload 7, sha256 0e34222a64f2…``."""
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            text = describe(item)
            if key in {"sha256", "digest"} and len(text) > 12:
                text = text[:12] + "…"
            parts.append(text if key == "name" else f"{key.replace('_', ' ')} {text}")
        return ", ".join(parts) or "nothing"
    if isinstance(value, list | tuple):
        return ", ".join(describe(v) for v in value) or "none"
    return "none" if value is None else str(value)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("stackrift.server.web", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    env.globals.update(link=link, web=WEB, version=__version__)
    env.filters.update(when=_when, describe=describe)
    return env


def page(request: Request, template: str, *, status_code: int = 200,
         principal: Principal | None = None, **context: Any) -> HTMLResponse:
    """A rendered page with the security headers; ``principal`` shows the user menu."""
    html = environment().get_template(template).render(
        request_path=request.url.path, user=principal,
        csrf=principal.csrf_token if principal else "", csrf_field=CSRF_FIELD, **context)
    return HTMLResponse(html, status_code=status_code, headers=HEADERS)


def static_file(name: str) -> tuple[bytes, str] | None:
    if name not in STATIC_FILES:
        return None
    data = (resources.files("stackrift.server.web") / "static" / name).read_bytes()
    return data, STATIC_FILES[name]


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def _session_user(request: Request, db: Db) -> Principal:
    """The browser session's user (blocking database work, so run in the thread pool)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise LoginRequiredError
    try:
        return principal_for_session(db, cookie)
    except NotAuthenticatedError:
        raise LoginRequiredError from None


async def page_principal(request: Request,
                         principal: Annotated[Principal, Depends(_session_user)]) -> Principal:
    """The session's user; a form post must carry the session's CSRF token."""
    if request.method not in {"GET", "HEAD"}:
        offered = (await request.form()).get(CSRF_FIELD)
        if not csrf_matches(principal, offered if isinstance(offered, str) else None):
            raise CsrfRejectedError
    return principal


User = Annotated[Principal, Depends(page_principal)]


class CsrfRejectedError(Exception):
    """A form post without the session's token: another site may have sent it."""


def _error_page(request: Request, status: int, title: str, message: str,
                problems: list[str] | None = None) -> HTMLResponse:
    return page(request, "error.html.j2", status_code=status, title=title, message=message,
                problems=problems or [])


def error_response(request: Request, exc: Exception) -> Response:
    """The page for an error a service or the request raised."""
    if isinstance(exc, LoginRequiredError):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(link("login", next=target), status_code=303)
    if isinstance(exc, CsrfRejectedError):
        return _error_page(request, 403, "Form refused",
                           "The form did not carry this session's security token. Go back, "
                           "reload the page and try again.")
    if isinstance(exc, InvalidInputError):
        return _error_page(request, 422, "The file has problems", str(exc).splitlines()[0],
                           [str(p) for p in exc.problems])
    if isinstance(exc, ServiceError):
        title = {404: "Not found", 403: "Not allowed", 409: "Not possible now"}.get(
            exc.status_code, "Request refused")
        return _error_page(request, exc.status_code, title, str(exc))
    if isinstance(exc, RequestValidationError):
        return _error_page(request, 422, "Bad request",
                           "Some of the page's parameters are not valid.",
                           [str(e.get("msg", e)) for e in exc.errors()])
    return _error_page(request, 422, "Request refused", str(exc))


_HANDLED = (LoginRequiredError, CsrfRejectedError, ServiceError, InputError, RequestValidationError)


class PageRoute(APIRoute):
    """A route whose errors (from its dependencies too) are pages, not JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except _HANDLED as exc:
                return error_response(request, exc)

        return run
