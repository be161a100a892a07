"""Organisation units, users, their roles and API tokens; the first administrator."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stackrift.server.auth import TOKEN_PREFIX, hash_password, new_secret, secret_hash
from stackrift.server.db.tables import ApiToken, Grant, OrgUnit, User
from stackrift.server.errors import ConflictError, NotFoundError
from stackrift.server.services.audit import record
from stackrift.server.services.views import MeView, NewToken, TokenView, UnitView, UserView
from stackrift.server.tenancy import Principal, Role


def me(actor: Principal) -> MeView:
    return MeView(id=actor.user_id, username=actor.username, is_admin=actor.is_admin,
                  roles={u: r.value for u, r in actor.roles.items()}, via=actor.via,
                  csrf_token=actor.csrf_token)


def list_units(db: Session, actor: Principal) -> list[UnitView]:
    query = select(OrgUnit).order_by(OrgUnit.name)
    visible = actor.visible_units()
    if visible is not None:
        query = query.where(OrgUnit.id.in_(visible))
    return [UnitView.model_validate(u) for u in db.scalars(query)]


def get_unit(db: Session, actor: Principal, unit_id: int) -> UnitView:
    unit = db.get(OrgUnit, unit_id)
    if unit is None or actor.role_in(unit_id) is None:
        raise NotFoundError("unit")
    return UnitView.model_validate(unit)


def create_unit(db: Session, actor: Principal, name: str) -> UnitView:
    actor.require_server_admin()
    if db.scalar(select(OrgUnit).where(OrgUnit.name == name)) is not None:
        raise ConflictError(f"a unit named {name!r} exists")
    unit = OrgUnit(name=name)
    db.add(unit)
    db.flush()
    record(db, actor, "create", "unit", unit.id, unit.id, name=name)
    return UnitView.model_validate(unit)


def _user_view(db: Session, user: User) -> UserView:
    grants = db.scalars(select(Grant).where(Grant.user_id == user.id)).all()
    return UserView(id=user.id, username=user.username, is_admin=user.is_admin,
                    active=user.active, roles={g.unit_id: g.role for g in grants})


def list_users(db: Session, actor: Principal) -> list[UserView]:
    actor.require_server_admin()
    return [_user_view(db, u) for u in db.scalars(select(User).order_by(User.username))]


def get_user(db: Session, actor: Principal, user_id: int) -> UserView:
    user = db.get(User, user_id)
    if user is None or not (actor.is_admin or actor.user_id == user_id):
        raise NotFoundError("user")
    return _user_view(db, user)


def create_user(db: Session, actor: Principal, username: str, password: str | None = None,
                *, is_admin: bool = False) -> UserView:
    actor.require_server_admin()
    if db.scalar(select(User).where(User.username == username)) is not None:
        raise ConflictError(f"a user named {username!r} exists")
    user = User(username=username, is_admin=is_admin, active=True,
                password_hash=hash_password(password) if password else None)
    db.add(user)
    db.flush()
    record(db, actor, "create", "user", user.id, None, username=username, is_admin=is_admin)
    return _user_view(db, user)


def set_password(db: Session, actor: Principal, user_id: int, password: str) -> None:
    user = db.get(User, user_id)
    if user is None or not (actor.is_admin or actor.user_id == user_id):
        raise NotFoundError("user")
    user.password_hash = hash_password(password)
    record(db, actor, "set-password", "user", user_id, None)
    db.flush()


def grant_role(db: Session, actor: Principal, user_id: int, unit_id: int, role: Role
               ) -> UserView:
    """Give (or change) a user's role in a unit: a server or that unit's administrator."""
    actor.require(unit_id, Role.ADMIN, "unit")
    user = db.get(User, user_id)
    if user is None or db.get(OrgUnit, unit_id) is None:
        raise NotFoundError("user")
    grant = db.scalar(select(Grant).where(Grant.user_id == user_id, Grant.unit_id == unit_id))
    if grant is None:
        db.add(Grant(user_id=user_id, unit_id=unit_id, role=role.value))
    else:
        grant.role = role.value
    db.flush()
    record(db, actor, "grant", "user", user_id, unit_id, role=role.value)
    return _user_view(db, user)


def revoke_role(db: Session, actor: Principal, user_id: int, unit_id: int) -> None:
    actor.require(unit_id, Role.ADMIN, "unit")
    grant = db.scalar(select(Grant).where(Grant.user_id == user_id, Grant.unit_id == unit_id))
    if grant is None:
        raise NotFoundError("grant")
    db.delete(grant)
    db.flush()
    record(db, actor, "revoke", "user", user_id, unit_id)


def create_token(db: Session, actor: Principal, label: str = "",
                 user_id: int | None = None) -> NewToken:
    """A new API token for the actor (or, for a server administrator, any user)."""
    owner = actor.user_id if user_id is None else user_id
    if owner is None or db.get(User, owner) is None or not (
            actor.is_admin or owner == actor.user_id):
        raise NotFoundError("user")
    secret = new_secret(TOKEN_PREFIX)
    token = ApiToken(user_id=owner, label=label, token_hash=secret_hash(secret), revoked=False)
    db.add(token)
    db.flush()
    record(db, actor, "create", "token", token.id, None, user=owner, label=label)
    return NewToken(token=secret, info=TokenView.model_validate(token))


def list_tokens(db: Session, actor: Principal) -> list[TokenView]:
    query = select(ApiToken).where(ApiToken.user_id == actor.user_id).order_by(ApiToken.id)
    return [TokenView.model_validate(t) for t in db.scalars(query)]


def revoke_token(db: Session, actor: Principal, token_id: int) -> TokenView:
    token = db.get(ApiToken, token_id)
    if token is None or not (actor.is_admin or token.user_id == actor.user_id):
        raise NotFoundError("token")
    token.revoked = True
    db.flush()
    record(db, actor, "revoke", "token", token_id, None)
    return TokenView.model_validate(token)


@dataclass(frozen=True)
class BootstrapAdmin:
    username: str
    password: str
    token: str


def bootstrap_admin(db: Session, username: str = "admin") -> BootstrapAdmin | None:
    """On an empty database: a server administrator with a password and a token (shown once);
    ``None`` when any user exists."""
    if db.scalar(select(func.count()).select_from(User)):
        return None
    from stackrift.server.tenancy import SYSTEM

    password = secrets.token_urlsafe(18)
    try:
        user = create_user(db, SYSTEM, username, password, is_admin=True)
        actor = Principal(user.id, username, is_admin=True, via="system")
        token = create_token(db, actor, "first administrator")
        db.commit()
    except IntegrityError:  # another server process bootstrapped at the same moment
        db.rollback()
        return None
    return BootstrapAdmin(username, password, token.token)
