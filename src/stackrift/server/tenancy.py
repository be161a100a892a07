"""Who may see and do what: roles per organisation unit, checked by every service.

A user sees only the units granted to them (a server administrator sees all). An object of a
unit the user cannot see is reported as absent (:class:`NotFoundError`), never as forbidden, so
nothing about other units leaks; within a visible unit a too-weak role is refused with
:class:`NotAllowedError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from stackrift.server.errors import NotAllowedError, NotFoundError


class Role(StrEnum):
    VIEWER = "viewer"
    ANALYST = "analyst"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Role.VIEWER: 1, Role.ANALYST: 2, Role.ADMIN: 3}


@dataclass(frozen=True)
class Principal:
    """The acting user, as every service receives it."""

    user_id: int | None
    username: str
    is_admin: bool = False
    roles: Mapping[int, Role] = field(default_factory=dict)
    """Unit id → role."""
    via: str = "token"
    """How the request was authenticated: ``token``, ``session`` or ``system`` (the worker)."""
    csrf_token: str | None = None

    def role_in(self, unit_id: int) -> Role | None:
        if self.is_admin:
            return Role.ADMIN
        return self.roles.get(unit_id)

    def visible_units(self) -> frozenset[int] | None:
        """The units this user may see; ``None`` for all (a server administrator)."""
        return None if self.is_admin else frozenset(self.roles)

    def require(self, unit_id: int, role: Role, what: str = "object") -> None:
        """Raise unless the user holds ``role`` (or more) in ``unit_id``; invisible → 404."""
        held = self.role_in(unit_id)
        if held is None:
            raise NotFoundError(what)
        if held.rank < role.rank:
            raise NotAllowedError(f"this needs the {role.value} role in the unit; "
                                  f"you are {held.value}")

    def require_server_admin(self, what: str = "object") -> None:
        """Server administration is invisible to everyone else (404, as for other units)."""
        if not self.is_admin:
            raise NotFoundError(what)


SYSTEM = Principal(None, "system", is_admin=True, via="system")
"""The worker and scheduler acting on their own (re-assessments)."""
