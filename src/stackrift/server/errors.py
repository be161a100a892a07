"""Errors the services raise; the HTTP layer maps each to one status code."""

from __future__ import annotations

from stackrift.errors import StackRiftError


class ServiceError(StackRiftError):
    status_code = 400


class NotFoundError(ServiceError):
    """Absent, or in a unit the user may not see: the two are indistinguishable on purpose."""

    status_code = 404

    def __init__(self, what: str = "object") -> None:
        super().__init__(f"{what} not found")


class NotAllowedError(ServiceError):
    """The object is visible but the user's role does not permit this action."""

    status_code = 403


class ConflictError(ServiceError):
    status_code = 409


class NotAuthenticatedError(ServiceError):
    status_code = 401
