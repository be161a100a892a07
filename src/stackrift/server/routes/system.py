"""``/healthz`` (the process answers) and ``/readyz`` (the database answers and is migrated)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError


def router() -> APIRouter:
    api = APIRouter(tags=["operations"])

    @api.get("/healthz")
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @api.get("/readyz", responses={503: {"description": "database unreachable or not migrated"}})
    def readyz(request: Request) -> JSONResponse:
        """The database is reachable and at the newest migration."""
        from stackrift.server.db.migrate import current_revision, head_revision

        try:
            current = current_revision(request.app.state.engine)
        except SQLAlchemyError as exc:
            return JSONResponse({"status": "unavailable", "detail": type(exc).__name__},
                                status_code=503)
        head = head_revision()
        ready = current == head
        return JSONResponse({"status": "ready" if ready else "migrations pending",
                             "revision": current, "head": head},
                            status_code=200 if ready else 503)

    return api
