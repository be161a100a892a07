"""Thin HTTP routers: each handler calls one service function. Each module's ``router()``
builds its ``APIRouter``."""

API = "/api/v1"
