"""Credentials: API tokens (only their SHA-256 at rest, shown once), passwords (scrypt) and
browser sessions (a cookie whose SHA-256 is stored, with a CSRF token for form posts)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackrift.server.db.tables import ApiToken, BrowserSession, Grant, User, utcnow
from stackrift.server.errors import NotAuthenticatedError
from stackrift.server.tenancy import Principal, Role

TOKEN_PREFIX = "srt_"  # noqa: S105  (a prefix marking tokens, not a secret)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # OWASP's minimum for scrypt; about 50 ms per check


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    """Tokens and session cookies carry 256 random bits, so a plain SHA-256 suffices at rest."""
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    encode = base64.b64encode
    return (f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}$"
            f"{encode(salt).decode()}${encode(digest).decode()}")


def check_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n),
                                r=int(r), p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, base64.b64decode(digest))


def principal_of(db: Session, user: User, *, via: str, csrf_token: str | None = None
                 ) -> Principal:
    grants = db.scalars(select(Grant).where(Grant.user_id == user.id)).all()
    return Principal(user.id, user.username, user.is_admin,
                     {g.unit_id: Role(g.role) for g in grants}, via, csrf_token)


def principal_for_token(db: Session, token: str) -> Principal:
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == secret_hash(token),
                                           ApiToken.revoked.is_(False)))
    user = db.get(User, row.user_id) if row is not None else None
    if row is None or user is None or not user.active:
        raise NotAuthenticatedError("invalid or revoked API token")
    row.last_used_at = utcnow()
    return principal_of(db, user, via="token")


def principal_for_session(db: Session, cookie: str) -> Principal:
    row = db.scalar(select(BrowserSession).where(
        BrowserSession.session_hash == secret_hash(cookie)))
    user = db.get(User, row.user_id) if row is not None else None
    if row is None or user is None or not user.active or row.expires_at < utcnow():
        raise NotAuthenticatedError("not logged in or the session has expired")
    return principal_of(db, user, via="session", csrf_token=row.csrf_token)


@dataclass(frozen=True)
class LoginResult:
    """The cookie value (set once, never stored) and the session's CSRF token."""

    session_cookie: str
    csrf_token: str
    principal: Principal


def login(db: Session, username: str, password: str, *, hours: float = 12.0) -> LoginResult:
    """Check a password and open a browser session; the same error for any failure."""
    user = db.scalar(select(User).where(User.username == username))
    stored = user.password_hash if user is not None else None
    if user is None or not user.active or not check_password(password, stored):
        raise NotAuthenticatedError("wrong user name or password")
    cookie, csrf = new_secret(), secrets.token_urlsafe(24)
    db.add(BrowserSession(user_id=user.id, session_hash=secret_hash(cookie), csrf_token=csrf,
                          expires_at=utcnow() + timedelta(hours=hours)))
    db.flush()
    return LoginResult(cookie, csrf, principal_of(db, user, via="session", csrf_token=csrf))


def logout(db: Session, cookie: str) -> None:
    row = db.scalar(select(BrowserSession).where(
        BrowserSession.session_hash == secret_hash(cookie)))
    if row is not None:
        db.delete(row)
        db.flush()


def csrf_matches(principal: Principal, offered: str | None) -> bool:
    expected = principal.csrf_token
    return bool(expected and offered and hmac.compare_digest(expected, offered))
