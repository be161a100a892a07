"""Projects and their versioned uploads."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from stackrift.errors import InvalidInputError
from stackrift.server.deps import Actor, Db
from stackrift.server.routes import API, BodyId, PathId, QueryId
from stackrift.server.services import projects, uploads
from stackrift.server.services.uploads import UploadKind
from stackrift.server.services.views import ProjectView, UploadView

_CHUNK = 1 << 20


class NewProject(BaseModel):
    unit_id: BodyId
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)


async def read_bounded(file: UploadFile, limit: int) -> bytes:
    chunks, size = [], 0
    while chunk := await file.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise InvalidInputError.single(file.filename or "upload",
                                           f"larger than {limit} bytes",
                                           "a smaller file (see max_upload_bytes)")
        chunks.append(chunk)
    return b"".join(chunks)


def attachment(name: str) -> str:
    """A Content-Disposition for any file name (headers are Latin-1: RFC 6266 ``filename*``)."""
    base = name.rsplit("/", 1)[-1]
    plain = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_"
                    for c in base)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(base, safe='')}"


def _project_routes(api: APIRouter) -> None:
    @api.get(f"{API}/projects", response_model=list[ProjectView])
    def list_projects(db: Db, actor: Actor, unit_id: QueryId = None) -> list[ProjectView]:
        """Projects in the units the user may see."""
        return projects.list_projects(db, actor, unit_id)

    @api.post(f"{API}/projects", response_model=ProjectView, status_code=201)
    def create_project(body: NewProject, db: Db, actor: Actor) -> ProjectView:
        """Create a project in a unit (analysts and administrators of the unit)."""
        return projects.create_project(db, actor, body.unit_id, body.name, body.description)

    @api.get(f"{API}/projects/{{project_id}}", response_model=ProjectView)
    def get_project(project_id: PathId, db: Db, actor: Actor) -> ProjectView:
        return projects.get_project(db, actor, project_id)


def _upload_routes(api: APIRouter) -> None:
    @api.post(f"{API}/projects/{{project_id}}/uploads", response_model=UploadView,
              status_code=201, responses={422: {"description": "the file does not read; "
                                                 "problems name file, line and column"}})
    async def add_upload(project_id: PathId, request: Request, db: Db, actor: Actor,
                         kind: Annotated[UploadKind, Form()],
                         file: Annotated[UploadFile, File()],
                         name: Annotated[str | None, Form(max_length=200)] = None
                         ) -> UploadView:
        """Upload an estate, SBOM, controls file, rule pack, VEX, waivers or crypto file (a
        CBOM, certificates or a probe result). It is read by the library first: a file with
        problems is refused (422, every problem located) and nothing is stored; otherwise it
        becomes the next version of its name."""
        limit = request.app.state.settings.max_upload_bytes
        content = await read_bounded(file, limit)
        # reading a large SBOM takes a while: off the event loop
        return await run_in_threadpool(uploads.add_upload, db, actor, project_id, kind,
                                       name or file.filename or f"{kind.value}.yaml", content)

    @api.get(f"{API}/projects/{{project_id}}/uploads", response_model=list[UploadView])
    def list_uploads(project_id: PathId, db: Db, actor: Actor,
                     kind: UploadKind | None = None) -> list[UploadView]:
        """Every version of every upload of the project."""
        return uploads.list_uploads(db, actor, project_id, kind)

    @api.get(f"{API}/uploads/{{upload_id}}", response_model=UploadView)
    def get_upload(upload_id: PathId, db: Db, actor: Actor) -> UploadView:
        return uploads.get_upload(db, actor, upload_id)

    @api.get(f"{API}/uploads/{{upload_id}}/content",
             responses={200: {"content": {"application/octet-stream": {}}}})
    def upload_content(upload_id: PathId, db: Db, actor: Actor) -> Response:
        """The file exactly as uploaded."""
        view, content = uploads.upload_content(db, actor, upload_id)
        return Response(content, media_type="application/octet-stream",
                        headers={"Content-Disposition": attachment(view.name),
                                 "X-Content-SHA256": view.sha256})


def router() -> APIRouter:
    api = APIRouter(tags=["projects"])
    _project_routes(api)
    _upload_routes(api)
    return api
