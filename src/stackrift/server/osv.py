"""The OSV API v1 (https://google.github.io/osv.dev/api/) answered from the advisory store.

``POST /v1/query``, ``POST /v1/querybatch`` and ``GET /v1/vulns/{id}``, so OSV clients
(``pip-audit -s osv --osv-url http://HOST:PORT/v1/query``, osv-scanner) work against a
StackRift server unmodified. Which vulnerabilities affect a version is decided by the library's
scan matcher (:mod:`stackrift.advisories.osvapi`); this module only parses requests, bounds
their size and shapes the answers. Errors are OSV-style bodies, ``{"code": N, "message": …}``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from stackrift.advisories.osvapi import (
    Hit,
    OsvAnswers,
    OsvQueryError,
    PackageQuery,
    osv_object,
    parse_batch,
    parse_query,
    summary_object,
)
from stackrift.errors import StackRiftError

if TYPE_CHECKING:
    from stackrift.advisories.interface import AdvisoryReader
    from stackrift.catalog.catalogue import Catalogue

ReaderOpener = Callable[[], AbstractContextManager["AdvisoryReader"]]
"""Lends a reader for the length of a ``with``: e.g. ``lambda: nullcontext(store)`` for a store
the server keeps open for its whole life (one store, one engine, per process)."""

MAX_QUERY_BYTES = 64 * 1024  # one query is a few hundred bytes
MAX_BATCH_BYTES = 4 * 1024 * 1024  # 1,000 queries with long names and purls
# gRPC status codes, as osv.dev's error bodies carry them
_CODES = {400: 3, 404: 5, 413: 8, 422: 9, 500: 13, 503: 14}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"code": _CODES.get(status, 2), "message": message}, status_code=status)


def _json(data: Any) -> Response:
    return Response(orjson.dumps(data), media_type="application/json")


async def _body(request: Request, limit: int) -> Any:
    """The request's JSON, read no further than ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise OsvQueryError(f"request body over {limit} bytes", status=413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise OsvQueryError(f"request body over {limit} bytes", status=413)
        chunks.append(chunk)
    try:
        return orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError as exc:
        raise OsvQueryError(f"the request body is not JSON ({exc})") from exc


class _Answerer:
    """The blocking part of each route, run in the thread pool: a reader per request."""

    def __init__(self, open_reader: ReaderOpener, catalogue: Catalogue | None) -> None:
        from stackrift.advisories.scan import catalogue_keys

        self.open_reader = open_reader
        self.keys = catalogue_keys(catalogue)

    def answer(self, queries: list[PackageQuery]) -> list[list[Hit]]:
        with self.open_reader() as reader:
            return OsvAnswers(reader, self.keys).answer(queries)

    def vulnerability(self, ident: str) -> dict[str, Any]:
        with self.open_reader() as reader:
            hit = OsvAnswers(reader, self.keys).vulnerability(ident)
        if hit is None:
            raise OsvQueryError(f"{ident[:100]}: vulnerability not found", status=404)
        return osv_object(hit)


async def _guarded(work: Callable[[], Awaitable[Any]]) -> Response:
    try:
        return _json(await work())
    except OsvQueryError as exc:
        return _error(exc.status, str(exc))
    except StackRiftError as exc:  # an unusable store: never an empty ("clean") answer
        return _error(503, str(exc))


def osv_router(open_reader: ReaderOpener, *, catalogue: Catalogue | None = None) -> APIRouter:
    """The OSV API routes, answering from the reader ``open_reader`` lends per request.

    ``catalogue`` (as ``stackrift scan`` loads it) lets product text resolve through the
    catalogue's product names too, so answers equal the scan's; without it only learned
    mappings and package coordinates resolve product text."""
    answerer = _Answerer(open_reader, catalogue)
    router = APIRouter(tags=["osv"])

    async def answer_query(request: Request) -> Response:
        async def work() -> dict[str, Any]:
            parsed = parse_query(await _body(request, MAX_QUERY_BYTES))
            hits = (await run_in_threadpool(answerer.answer, [parsed]))[0]
            return {"vulns": [osv_object(h) for h in hits]} if hits else {}
        return await _guarded(work)

    @router.post("/v1/query")
    async def query(request: Request) -> Response:
        return await answer_query(request)

    # pip-audit posts to --osv-url exactly as given: the server's bare URL works too
    @router.post("/", summary="Query (the same as POST /v1/query)")
    async def query_at_root(request: Request) -> Response:
        return await answer_query(request)

    @router.post("/v1/querybatch")
    async def querybatch(request: Request) -> Response:
        async def work() -> dict[str, Any]:
            queries = parse_batch(await _body(request, MAX_BATCH_BYTES))
            answers = await run_in_threadpool(answerer.answer, queries)
            return {"results": [{"vulns": [summary_object(h) for h in hits]} if hits else {}
                                for hits in answers]}
        return await _guarded(work)

    @router.get("/v1/vulns/{ident}")
    async def vuln(ident: str) -> Response:
        async def work() -> dict[str, Any]:
            return await run_in_threadpool(answerer.vulnerability, ident)
        return await _guarded(work)

    return router
