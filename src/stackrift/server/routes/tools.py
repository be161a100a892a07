"""The command line's checks on uploaded content: validate, transfers, scan."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile

from stackrift.server.deps import Actor, Db
from stackrift.server.routes import API
from stackrift.server.routes.projects import read_bounded
from stackrift.server.services import tools
from stackrift.server.services.uploads import UploadKind

_INVALID: dict[int | str, dict[str, Any]] = {
    422: {"description": "problems, each with file, line and column"}}


def router() -> APIRouter:
    api = APIRouter(tags=["tools"])

    @api.post(f"{API}/validate", responses=_INVALID)
    async def validate(request: Request, actor: Actor, kind: Annotated[UploadKind, Form()],
                       file: Annotated[UploadFile, File()],
                       name: Annotated[str | None, Form(max_length=200)] = None
                       ) -> dict[str, Any]:
        """Check a file as ``stackrift validate`` does, without storing it."""
        del actor
        content = await read_bounded(file, request.app.state.settings.max_upload_bytes)
        return tools.validate_content(kind, name or file.filename or "upload", content)

    @api.get(f"{API}/uploads/{{upload_id}}/validate", responses=_INVALID)
    def validate_upload(upload_id: int, db: Db, actor: Actor) -> dict[str, Any]:
        """Check a stored upload again (with the current knowledge set)."""
        return tools.validate_upload(db, actor, upload_id)

    @api.get(f"{API}/uploads/{{upload_id}}/transfers")
    def transfers(upload_id: int, db: Db, actor: Actor, as_of: date | None = None
                  ) -> dict[str, Any]:
        """``stackrift transfers`` on an estate upload (the project's rule packs added)."""
        return tools.transfers_of_upload(db, actor, upload_id, as_of or date.today())

    @api.get(f"{API}/uploads/{{upload_id}}/scan")
    def scan(upload_id: int, request: Request, db: Db, actor: Actor,
             as_of: date | None = None) -> dict[str, Any]:
        """``stackrift scan`` on an SBOM upload, against the server's advisory source."""
        source = request.app.state.settings.advisory_source()
        return tools.scan_upload(db, actor, upload_id, as_of or date.today(), source)

    return api
