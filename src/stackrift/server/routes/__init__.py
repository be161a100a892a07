"""Thin HTTP routers: each handler calls one service function. Each module's ``router()``
builds its ``APIRouter``."""

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

from stackrift.server.db.tables import MAX_ID

API = "/api/v1"
__all__ = ["API", "MAX_ID", "BodyId", "PathId", "QueryId"]

PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]
