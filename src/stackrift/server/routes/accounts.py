"""Login, the current user, units, users, roles, API tokens and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Request, Response
from pydantic import BaseModel, Field

from stackrift.server import auth
from stackrift.server.deps import SESSION_COOKIE, Actor, Db
from stackrift.server.routes import API
from stackrift.server.services import accounts, audit
from stackrift.server.services.views import (
    AuditView,
    MeView,
    NewToken,
    TokenView,
    UnitView,
    UserView,
)
from stackrift.server.tenancy import Role


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


class NewUnit(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str | None = Field(default=None, min_length=12, max_length=1000)
    is_admin: bool = False


class RoleGrant(BaseModel):
    unit_id: int
    role: Role


class TokenRequest(BaseModel):
    label: str = Field(default="", max_length=200)
    user_id: int | None = None


def _auth_routes(api: APIRouter) -> None:
    @api.post(f"{API}/auth/login", response_model=MeView)
    def login(credentials: Credentials, request: Request, response: Response, db: Db) -> MeView:
        """Open a browser session (cookie); the answer carries the CSRF token for writes."""
        settings = request.app.state.settings
        result = auth.login(db, credentials.username, credentials.password,
                            hours=settings.session_hours)
        response.set_cookie(SESSION_COOKIE, result.session_cookie, httponly=True,
                            samesite="lax", secure=settings.secure_cookies,
                            max_age=int(settings.session_hours * 3600))
        return accounts.me(result.principal)

    @api.post(f"{API}/auth/logout", status_code=204)
    def logout(request: Request, response: Response, db: Db, actor: Actor) -> None:
        """Close the browser session."""
        del actor
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            auth.logout(db, cookie)
        response.delete_cookie(SESSION_COOKIE)

    @api.get(f"{API}/me", response_model=MeView)
    def me(actor: Actor) -> MeView:
        """Who the request is authenticated as, and their roles per unit."""
        return accounts.me(actor)


def _unit_routes(api: APIRouter) -> None:
    @api.get(f"{API}/units", response_model=list[UnitView])
    def list_units(db: Db, actor: Actor) -> list[UnitView]:
        """The organisation units the user may see."""
        return accounts.list_units(db, actor)

    @api.post(f"{API}/units", response_model=UnitView, status_code=201)
    def create_unit(body: NewUnit, db: Db, actor: Actor) -> UnitView:
        """Create an organisation unit (server administrators)."""
        return accounts.create_unit(db, actor, body.name)

    @api.get(f"{API}/units/{{unit_id}}", response_model=UnitView)
    def get_unit(unit_id: int, db: Db, actor: Actor) -> UnitView:
        return accounts.get_unit(db, actor, unit_id)

    @api.get(f"{API}/units/{{unit_id}}/audit", response_model=list[AuditView])
    def unit_audit(unit_id: int, db: Db, actor: Actor, limit: int = 200) -> list[AuditView]:
        """The unit's audit log, newest first (the unit's administrators)."""
        return audit.list_audit(db, actor, unit_id=unit_id, limit=limit)

    @api.get(f"{API}/audit", response_model=list[AuditView])
    def list_audit(db: Db, actor: Actor, limit: int = 200) -> list[AuditView]:
        """Audit entries the user may read: all for a server administrator, else those of the
        units they administer and their own."""
        return audit.list_audit(db, actor, limit=limit)


def _user_routes(api: APIRouter) -> None:
    @api.get(f"{API}/users", response_model=list[UserView])
    def list_users(db: Db, actor: Actor) -> list[UserView]:
        return accounts.list_users(db, actor)

    @api.post(f"{API}/users", response_model=UserView, status_code=201)
    def create_user(body: NewUser, db: Db, actor: Actor) -> UserView:
        """Create a user (server administrators); give them roles with the grants endpoint."""
        return accounts.create_user(db, actor, body.username, body.password,
                                    is_admin=body.is_admin)

    @api.get(f"{API}/users/{{user_id}}", response_model=UserView)
    def get_user(user_id: int, db: Db, actor: Actor) -> UserView:
        return accounts.get_user(db, actor, user_id)

    @api.put(f"{API}/users/{{user_id}}/grants", response_model=UserView)
    def grant(user_id: int, body: RoleGrant, db: Db, actor: Actor) -> UserView:
        """Give or change a user's role in a unit (server or unit administrators)."""
        return accounts.grant_role(db, actor, user_id, body.unit_id, body.role)

    @api.delete(f"{API}/users/{{user_id}}/grants/{{unit_id}}", status_code=204)
    def revoke(user_id: int, unit_id: int, db: Db, actor: Actor) -> None:
        accounts.revoke_role(db, actor, user_id, unit_id)


def _token_routes(api: APIRouter) -> None:
    @api.get(f"{API}/tokens", response_model=list[TokenView])
    def list_tokens(db: Db, actor: Actor) -> list[TokenView]:
        """The user's own API tokens (never their secrets)."""
        return accounts.list_tokens(db, actor)

    @api.post(f"{API}/tokens", response_model=NewToken, status_code=201)
    def create_token(db: Db, actor: Actor,
                     body: Annotated[TokenRequest | None, Body()] = None) -> NewToken:
        """A new API token; its secret is in this answer only."""
        body = body or TokenRequest()
        return accounts.create_token(db, actor, body.label, body.user_id)

    @api.delete(f"{API}/tokens/{{token_id}}", response_model=TokenView)
    def revoke_token(token_id: int, db: Db, actor: Actor) -> TokenView:
        return accounts.revoke_token(db, actor, token_id)


def router() -> APIRouter:
    api = APIRouter(tags=["accounts"])
    _auth_routes(api)
    _unit_routes(api)
    _user_routes(api)
    _token_routes(api)
    return api
