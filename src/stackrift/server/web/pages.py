"""The web pages' routes: login, dashboards, projects, assessments, findings, the estate map,
systems, flows, vendors and diffs. Each handler asks :mod:`stackrift.server.web.data` (the
services) for what it shows and renders one template."""

from __future__ import annotations

import hmac
from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from stackrift.errors import InputError, InvalidInputError
from stackrift.server import auth
from stackrift.server.deps import SESSION_COOKIE, Db
from stackrift.server.errors import NotAuthenticatedError, NotFoundError
from stackrift.server.routes.projects import read_bounded
from stackrift.server.services import accounts, assessments, projects, uploads
from stackrift.server.services.diff import diff_assessments
from stackrift.server.services.uploads import UploadKind
from stackrift.server.tenancy import Principal
from stackrift.server.web import data
from stackrift.server.web.render import (
    MAX_ID,
    WEB,
    ObjectId,
    PageRoute,
    User,
    link,
    new_login_token,
    page,
    static_file,
)
from stackrift.server.web.reportview import SEVERITY_ORDER

LOGIN_COOKIE = "stackrift_login_csrf"
MIN_PASSWORD = 12
"""As the API asks of a new password."""


def _safe_next(target: str) -> str:
    """Only a path on this site under /web (no ``//host`` or scheme): no open redirect."""
    if target.startswith(WEB + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return WEB + "/"


def _see_other(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})


def _login_page(request: Request, target: str, error: str = "", status: int = 200
                ) -> Response:
    token = new_login_token()
    response = page(request, "login.html.j2", status_code=status, title="Log in",
                    login_token=token, next=_safe_next(target), error=error)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict",
                        path=f"{WEB}/login",
                        secure=request.app.state.settings.secure_cookies)
    return response


def _auth_routes(web: APIRouter) -> None:
    @web.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return _see_other(WEB + "/")

    @web.get(f"{WEB}/static/{{name}}", include_in_schema=False)
    def static(name: str) -> Response:
        found = static_file(name)
        if found is None:
            raise NotFoundError("file")
        return Response(found[0], media_type=found[1],
                        headers={"Cache-Control": "max-age=3600",
                                 "X-Content-Type-Options": "nosniff"})

    @web.get(f"{WEB}/login", include_in_schema=False)
    def login_form(request: Request, next: str = "") -> Response:
        return _login_page(request, next)

    @web.post(f"{WEB}/login", include_in_schema=False)
    def login(request: Request, db: Db, username: Annotated[str, Form(max_length=100)],
              password: Annotated[str, Form(max_length=1000)],
              csrf_token: Annotated[str, Form(max_length=200)] = "",
              next: Annotated[str, Form(max_length=2000)] = "") -> Response:
        """Check the password; the login form's token must match its cookie (login CSRF)."""
        expected = request.cookies.get(LOGIN_COOKIE, "")
        if not expected or not hmac.compare_digest(expected, csrf_token):
            return _login_page(request, next, "The form expired. Please log in again.", 403)
        settings = request.app.state.settings
        try:
            result = auth.login(db, username, password, hours=settings.session_hours)
        except NotAuthenticatedError:
            return _login_page(request, next, "Wrong user name or password.", 401)
        response = _see_other(_safe_next(next))
        response.set_cookie(SESSION_COOKIE, result.session_cookie, httponly=True,
                            samesite="lax", secure=settings.secure_cookies,
                            max_age=int(settings.session_hours * 3600))
        response.delete_cookie(LOGIN_COOKIE, path=f"{WEB}/login")
        return response

    @web.post(f"{WEB}/logout", include_in_schema=False)
    def logout(request: Request, db: Db, user: User) -> Response:
        del user
        auth.logout(db, request.cookies.get(SESSION_COOKIE, ""))
        response = _see_other(link("login"))
        response.delete_cookie(SESSION_COOKIE)
        return response


def _account_page(request: Request, db: Db, user: Principal, message: str = "",
                  error: str = "", status: int = 200) -> HTMLResponse:
    units = {u.id: u.name for u in accounts.list_units(db, user)}
    roles = sorted((units.get(unit, str(unit)), role.value) for unit, role in user.roles.items())
    return page(request, "account.html.j2", principal=user, status_code=status,
                title="Your account", roles=roles, message=message, error=error,
                crumbs=[("Dashboard", link())])


def _account_routes(web: APIRouter) -> None:
    @web.get(f"{WEB}/account", include_in_schema=False)
    def account(request: Request, db: Db, user: User) -> HTMLResponse:
        return _account_page(request, db, user)

    @web.post(f"{WEB}/account/password", include_in_schema=False)
    def change_password(request: Request, db: Db, user: User,
                        password: Annotated[str, Form(max_length=1000)],
                        repeated: Annotated[str, Form(max_length=1000)]) -> HTMLResponse:
        """A new password for the logged-in user (at least 12 characters, typed twice)."""
        if len(password) < MIN_PASSWORD or password != repeated:
            problem = (f"The password must have at least {MIN_PASSWORD} characters."
                       if len(password) < MIN_PASSWORD else "The two passwords differ.")
            return _account_page(request, db, user, error=problem, status=422)
        if user.user_id is None:
            raise NotFoundError("user")
        accounts.set_password(db, user, user.user_id, password)
        return _account_page(request, db, user, message="Your password was changed.")


def _dashboard_routes(web: APIRouter) -> None:
    @web.get(f"{WEB}/", include_in_schema=False)
    def dashboard(request: Request, db: Db, user: User) -> HTMLResponse:
        boards = data.dashboard(db, user)
        return page(request, "dashboard.html.j2", principal=user, title="Dashboard",
                    boards=boards, severities=SEVERITY_ORDER, crumbs=[])

    @web.get(f"{WEB}/units/{{unit_id}}", include_in_schema=False)
    def unit(unit_id: ObjectId, request: Request, db: Db, user: User) -> HTMLResponse:
        boards = data.dashboard(db, user, unit_id)
        return page(request, "dashboard.html.j2", principal=user,
                    title=f"Unit {boards[0].unit.name}", boards=boards,
                    severities=SEVERITY_ORDER, crumbs=[("Dashboard", link())])

    @web.post(f"{WEB}/units/{{unit_id}}/projects", include_in_schema=False)
    def create_project(unit_id: ObjectId, db: Db, user: User,
                       name: Annotated[str, Form(min_length=1, max_length=200)],
                       description: Annotated[str, Form(max_length=5000)] = "") -> Response:
        created = projects.create_project(db, user, unit_id, name.strip(), description)
        return _see_other(link("projects", created.id))


def project_response(request: Request, db: Db, user: Principal, project_id: int,
                     problems: list[str] | None = None, status: int = 200) -> HTMLResponse:
    shown = data.project_page(db, user, project_id)
    return page(request, "project.html.j2", principal=user, status_code=status,
                title=f"Project {shown.project.name}", p=shown, problems=problems or [],
                kinds=[k.value for k in UploadKind],
                crumbs=[("Dashboard", link()), (shown.unit.name, link("units", shown.unit.id))])


def _project_routes(web: APIRouter) -> None:
    @web.get(f"{WEB}/projects/{{project_id}}", include_in_schema=False)
    def project(project_id: ObjectId, request: Request, db: Db, user: User) -> HTMLResponse:
        return project_response(request, db, user, project_id)

    @web.post(f"{WEB}/projects/{{project_id}}/uploads", include_in_schema=False)
    async def upload(project_id: ObjectId, request: Request, db: Db, user: User,
                     kind: Annotated[UploadKind, Form()], file: Annotated[UploadFile, File()],
                     name: Annotated[str, Form(max_length=200)] = "") -> Response:
        """Store a file; a file with problems is shown back with each problem located."""
        try:
            content = await read_bounded(file, request.app.state.settings.max_upload_bytes)
            await run_in_threadpool(  # the library reads the file: not on the event loop
                uploads.add_upload, db, user, project_id, kind,
                name.strip() or file.filename or f"{kind.value}.yaml", content)
        except InvalidInputError as exc:
            problems = [str(p) for p in exc.problems]
        except InputError as exc:
            problems = [str(exc)]
        else:
            return _see_other(link("projects", project_id) + "#uploads")
        return await run_in_threadpool(project_response, request, db, user, project_id,
                                       problems, 422)

    @web.post(f"{WEB}/projects/{{project_id}}/assessments", include_in_schema=False)
    def assess(project_id: ObjectId, db: Db, user: User,
               as_of: Annotated[date | None, Form()] = None,
               estate: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None) -> Response:
        queued = assessments.request_assessment(db, user, project_id, as_of=as_of,
                                                estate_upload_id=estate)
        return _see_other(link("assessments", queued.id))

    @web.get(f"{WEB}/projects/{{project_id}}/diff", include_in_schema=False)
    def diff(project_id: ObjectId, request: Request, db: Db, user: User,
             from_id: Annotated[int, Query(alias="from", ge=1, le=MAX_ID)],
             to_id: Annotated[int, Query(alias="to", ge=1, le=MAX_ID)]) -> HTMLResponse:
        shown = data.project_page(db, user, project_id)
        changes = diff_assessments(db, user, project_id, from_id, to_id)
        return page(request, "diff.html.j2", principal=user,
                    title=f"Changes from assessment {from_id} to {to_id}", d=changes,
                    p=shown, crumbs=[("Dashboard", link()),
                                     (shown.unit.name, link("units", shown.unit.id)),
                                     (shown.project.name, link("projects", project_id))])


def router() -> APIRouter:
    from stackrift.server.web.report_pages import report_routes

    web = APIRouter(route_class=PageRoute, include_in_schema=False)
    _auth_routes(web)
    _dashboard_routes(web)
    _account_routes(web)
    _project_routes(web)
    report_routes(web)

    @web.get(f"{WEB}/{{rest:path}}", include_in_schema=False)
    def unknown(rest: str) -> Response:
        """Any other address under /web: the not-found page (not the API's JSON)."""
        raise NotFoundError("page")

    return web
