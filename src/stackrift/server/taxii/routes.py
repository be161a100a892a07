"""HTTP: the TAXII 2.1 endpoints under ``/taxii2/`` (one API root, ``/taxii2/api/``) and the
collection management API under ``/api/v1/taxii/``.

TAXII requests authenticate with HTTP Basic (user name and password, or user name and API
token) or ``Authorization: Bearer``/``Token`` with an API token; every answer, errors included,
is ``application/taxii+json;version=2.1``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from sqlalchemy import select

from stackrift.errors import InputError
from stackrift.server.auth import TOKEN_PREFIX, check_password, principal_for_token, principal_of
from stackrift.server.db.tables import User
from stackrift.server.deps import Actor, Db
from stackrift.server.errors import NotAuthenticatedError, ServiceError
from stackrift.server.routes import API, BodyId, PathId
from stackrift.server.taxii import service
from stackrift.server.taxii.filters import Filters, QueryParams, parse_filters
from stackrift.server.taxii.media import (
    TAXII_MEDIA,
    error_response,
    require_acceptable,
    require_taxii_body,
    taxii_response,
)
from stackrift.server.taxii.validation import MAX_CONTENT_LENGTH, TooLargeError
from stackrift.server.taxii.views import CollectionView, GrantView
from stackrift.server.tenancy import Principal

ROOT = "/taxii2/api/"
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="StackRift TAXII", Bearer'}
_MAX_CREDENTIALS = 4096


class TaxiiRoute(APIRoute):
    """Errors as TAXII error resources (with the TAXII media type), not the API's JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def taxii_handler(request: Request) -> Response:
            try:
                return await handle(request)
            except ServiceError as exc:
                challenge = _CHALLENGE if isinstance(exc, NotAuthenticatedError) else None
                return error_response(exc.status_code, str(exc), challenge)
            except InputError as exc:
                return error_response(400, str(exc))

        return taxii_handler


def _basic(db: Db, credentials: str) -> Principal:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise NotAuthenticatedError("malformed HTTP Basic credentials") from None
    username, _, secret = decoded.partition(":")
    if not (username + secret).isprintable():
        raise NotAuthenticatedError("wrong user name or password")
    if secret.startswith(TOKEN_PREFIX):
        principal = principal_for_token(db, secret)
        if principal.username != username:
            raise NotAuthenticatedError("wrong user name or password")
        return principal
    user = db.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not check_password(secret, user.password_hash):
        raise NotAuthenticatedError("wrong user name or password")
    return principal_of(db, user, via="password")


def taxii_principal(request: Request, db: Db) -> Principal:
    """The authenticated user of a TAXII request, else 401 with the challenge."""
    require_acceptable(request.headers.get("accept"))
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    credentials = credentials.strip()[:_MAX_CREDENTIALS]
    if scheme.lower() in {"bearer", "token"} and credentials:
        return principal_for_token(db, credentials)
    if scheme.lower() == "basic" and credentials:
        return _basic(db, credentials)
    raise NotAuthenticatedError("authentication required: HTTP Basic (user name and password "
                                "or API token) or Authorization: Bearer <API token>")


TaxiiActor = Annotated[Principal, Depends(taxii_principal)]


async def envelope_body(request: Request) -> bytes:
    """The request body, refused unread when it is not TAXII or declared too large, and
    stopped one byte past the limit otherwise."""
    require_taxii_body(request.headers.get("content-type"))
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared[:20]) > MAX_CONTENT_LENGTH:
        raise TooLargeError(f"the request body is {declared} bytes; at most "
                            f"{MAX_CONTENT_LENGTH} (the API root's max_content_length)")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_CONTENT_LENGTH:
            raise TooLargeError(f"the request body is larger than {MAX_CONTENT_LENGTH} bytes "
                                "(the API root's max_content_length)")
        chunks.append(chunk)
    return b"".join(chunks)


Envelope = Annotated[bytes, Depends(envelope_body)]


def writer(collection_id: str, db: Db, actor: TaxiiActor) -> Principal:
    """The actor, once allowed to write to the collection: refusals (404, 403) come before
    the body is read."""
    service.require_writable(db, actor, collection_id)
    return actor


Writer = Annotated[Principal, Depends(writer)]


def _filters(request: Request) -> Filters:
    return parse_filters(QueryParams(request.query_params.multi_items()))


def _listing(listing: service.Listing) -> Response:
    headers = {}
    if listing.first_added and listing.last_added:
        headers = {"X-TAXII-Date-Added-First": listing.first_added,
                   "X-TAXII-Date-Added-Last": listing.last_added}
    return taxii_response(listing.body, headers=headers)


_TAXII_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {TAXII_MEDIA: {}}}, 401: {"description": "not authenticated"},
    404: {"description": "absent, or in a unit the user cannot see"},
    406: {"description": "Accept does not allow " + TAXII_MEDIA}}


_ENVELOPE_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {TAXII_MEDIA: {
    "schema": {"type": "object", "description": "a TAXII envelope of STIX 2.1 objects",
               "properties": {"objects": {"type": "array", "items": {"type": "object"}}}}}}}}


def _discovery_routes(api: APIRouter) -> None:
    @api.get("/taxii2/", responses=_TAXII_RESPONSES)
    def discovery(actor: TaxiiActor) -> Response:
        """TAXII server discovery: one API root."""
        return taxii_response({"title": "StackRift TAXII 2.1",
                               "description": "STIX 2.1 collections of the organisation units "
                               "you belong to.", "default": ROOT, "api_roots": [ROOT]})

    @api.get(ROOT, responses=_TAXII_RESPONSES)
    def api_root(actor: TaxiiActor) -> Response:
        return taxii_response({"title": "StackRift", "versions": [TAXII_MEDIA],
                               "max_content_length": MAX_CONTENT_LENGTH})

    @api.get(ROOT + "status/{status_id}/", responses=_TAXII_RESPONSES)
    def status(status_id: str, db: Db, actor: TaxiiActor) -> Response:
        return taxii_response(service.get_status(db, actor, status_id))


def _collection_routes(api: APIRouter) -> None:
    @api.get(ROOT + "collections/", responses=_TAXII_RESPONSES)
    def collections(db: Db, actor: TaxiiActor) -> Response:
        """The collections the user may read or write (others are not listed)."""
        found = service.list_collections(db, actor)
        return taxii_response({"collections": found} if found else {})

    @api.get(ROOT + "collections/{collection_id}/", responses=_TAXII_RESPONSES)
    def collection(collection_id: str, db: Db, actor: TaxiiActor) -> Response:
        return taxii_response(service.get_collection(db, actor, collection_id))

    @api.get(ROOT + "collections/{collection_id}/manifest/", responses=_TAXII_RESPONSES)
    def manifest(collection_id: str, request: Request, db: Db, actor: TaxiiActor) -> Response:
        return _listing(service.manifest(db, actor, collection_id, _filters(request)))


def _object_routes(api: APIRouter) -> None:
    objects = ROOT + "collections/{collection_id}/objects/"

    @api.get(objects, responses=_TAXII_RESPONSES)
    def get_objects(collection_id: str, request: Request, db: Db, actor: TaxiiActor
                    ) -> Response:
        return _listing(service.get_objects(db, actor, collection_id, _filters(request)))

    @api.post(objects, status_code=202, responses={
        **_TAXII_RESPONSES, 202: {"content": {TAXII_MEDIA: {}}},
        413: {"description": "larger than max_content_length or too many objects"},
        415: {"description": "not sent as " + TAXII_MEDIA}}, openapi_extra=_ENVELOPE_BODY)
    def add_objects(collection_id: str, db: Db, actor: Writer, body: Envelope) -> Response:
        """Add an envelope's objects; each invalid object fails alone, with its reason, in the
        (complete) status resource returned."""
        return taxii_response(service.add_objects(db, actor, collection_id, body), 202)

    @api.get(objects + "{object_id}/", responses=_TAXII_RESPONSES)
    def get_object(collection_id: str, object_id: str, request: Request, db: Db,
                   actor: TaxiiActor) -> Response:
        return _listing(service.get_object(db, actor, collection_id, object_id,
                                           _filters(request)))

    @api.delete(objects + "{object_id}/", responses=_TAXII_RESPONSES)
    def delete_object(collection_id: str, object_id: str, request: Request, db: Db,
                      actor: TaxiiActor) -> Response:
        """Delete the object (every version unless ``match[version]`` selects some)."""
        filters = _filters(request)
        if "match[version]" not in request.query_params:
            filters = replace(filters, versions=("all",))
        service.delete_object(db, actor, collection_id, object_id, filters)
        return Response(status_code=200, media_type=TAXII_MEDIA)

    @api.get(objects + "{object_id}/versions/", responses=_TAXII_RESPONSES)
    def versions(collection_id: str, object_id: str, request: Request, db: Db,
                 actor: TaxiiActor) -> Response:
        return _listing(service.object_versions(db, actor, collection_id, object_id,
                                                _filters(request)))


_NO_NUL = r"^[^\x00]*$"


class NewCollection(BaseModel):
    unit_id: BodyId
    title: str = Field(min_length=1, max_length=200, pattern=_NO_NUL)
    description: str = Field(default="", max_length=5000, pattern=_NO_NUL)
    alias: str | None = Field(default=None, min_length=1, max_length=100,
                              pattern=r"^[A-Za-z0-9_.-]+$")


class Permissions(BaseModel):
    can_read: bool
    can_write: bool


def _management_routes(api: APIRouter) -> None:
    base = f"{API}/taxii/collections"

    @api.get(base, response_model=list[CollectionView])
    def list_collections(db: Db, actor: Actor) -> list[CollectionView]:
        """TAXII collections the user may read or write."""
        return service.list_managed(db, actor)

    @api.post(base, response_model=CollectionView, status_code=201)
    def create_collection(body: NewCollection, db: Db, actor: Actor) -> CollectionView:
        """A new TAXII collection in a unit (that unit's administrators)."""
        return service.create_collection(db, actor, body.unit_id, body.title,
                                         body.description, body.alias)

    @api.put(base + "/{collection_id}/grants/{user_id}", response_model=GrantView)
    def set_grant(collection_id: str, user_id: PathId, body: Permissions, db: Db, actor: Actor
                  ) -> GrantView:
        """Set what one member of the collection's unit may do with it, whatever their role
        (the unit's administrators)."""
        return service.set_grant(db, actor, collection_id, user_id, can_read=body.can_read,
                                 can_write=body.can_write)

    @api.delete(base + "/{collection_id}/grants/{user_id}", status_code=204)
    def remove_grant(collection_id: str, user_id: PathId, db: Db, actor: Actor) -> Response:
        """Back to what the user's role gives."""
        service.remove_grant(db, actor, collection_id, user_id)
        return Response(status_code=204)


def build_router() -> APIRouter:
    taxii = APIRouter(route_class=TaxiiRoute, tags=["taxii"])
    _discovery_routes(taxii)
    _collection_routes(taxii)
    _object_routes(taxii)
    manage = APIRouter(tags=["taxii"])
    _management_routes(manage)
    both = APIRouter()
    both.include_router(taxii)
    both.include_router(manage)
    return both
