"""``create_app(settings)``: the ASGI application over the library.

Routers are thin: each handler calls one function of :mod:`stackrift.server.services` with the
request's session and user. Extra routers (other APIs, web pages) are added in one place,
``ROUTERS``, or passed to :func:`create_app`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from stackrift import __version__
from stackrift.errors import InputError, InvalidInputError
from stackrift.server import web
from stackrift.server.advisories import AdvisoryHolder
from stackrift.server.config import ServerSettings
from stackrift.server.errors import NotAuthenticatedError, ServiceError
from stackrift.server.taxii import router as taxii_router

log = logging.getLogger("stackrift.server")

RouterFactory = Callable[[], APIRouter]


def _core_routers() -> tuple[RouterFactory, ...]:
    from stackrift.server.routes import accounts, assessments, projects, system, tools

    return (system.router, accounts.router, projects.router, assessments.router, tools.router)


def _osv_router(advisories: AdvisoryHolder) -> APIRouter:
    """The OSV API over the configured advisory store, resolving product text as a scan does."""
    from stackrift.catalog.catalogue import load_catalogue
    from stackrift.server.osv import osv_router

    return osv_router(advisories.lend, catalogue=load_catalogue())


ROUTERS: tuple[RouterFactory, ...] = (web.router, taxii_router)
"""Extra routers every app includes (one line each), after the core API."""


def _problem_response(exc: Exception) -> JSONResponse:
    if isinstance(exc, InvalidInputError):
        problems = [{"file": p.location.file, "line": p.location.line,
                     "column": p.location.column, "message": p.message,
                     "expected": p.expected, "text": str(p)} for p in exc.problems]
        return JSONResponse({"detail": str(exc), "problems": problems}, status_code=422)
    if isinstance(exc, ServiceError):
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticatedError) \
            else None
        return JSONResponse({"detail": str(exc)}, status_code=exc.status_code, headers=headers)
    return JSONResponse({"detail": str(exc)}, status_code=422)


def _install_handlers(app: FastAPI) -> None:
    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        return _problem_response(exc)

    app.add_exception_handler(ServiceError, handle)
    app.add_exception_handler(InputError, handle)


def create_app(settings: ServerSettings, *, extra_routers: Sequence[RouterFactory] = (),
               start_worker: bool | None = None) -> FastAPI:
    """The application: migrations applied, routers included, the job worker started with the
    app's lifespan (unless ``start_worker`` or ``settings.worker`` says not to)."""
    from stackrift.server.db.engine import make_engine, session_factory
    from stackrift.server.db.migrate import upgrade

    engine = make_engine(settings.resolved_database_url())
    upgrade(engine)
    sessions = session_factory(engine)
    advisories = AdvisoryHolder(settings.advisory_db)
    run_worker = settings.worker if start_worker is None else start_worker

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from stackrift.server.jobs import Worker

        worker = Worker(sessions, settings) if run_worker else None
        app.state.worker = worker
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop(settings.shutdown_grace_seconds)
            advisories.close()
            engine.dispose()

    app = FastAPI(title="StackRift server", version=__version__, lifespan=lifespan,
                  description="Projects, estates, SBOMs and assessments over the StackRift "
                  "library, with history and per-unit access.")
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    _install_handlers(app)
    for factory in (*_core_routers(), *ROUTERS, *extra_routers):
        app.include_router(factory())
    app.include_router(_osv_router(advisories))
    return app
