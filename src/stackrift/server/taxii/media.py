"""TAXII 2.1 media types, content negotiation (406 for an ``Accept`` the server cannot meet,
415 for a body that is not a TAXII envelope) and error resources."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response

from stackrift.server.errors import ServiceError

TAXII_MEDIA = "application/taxii+json;version=2.1"
STIX_MEDIA = "application/stix+json;version=2.1"
_TAXII_TYPE = "application/taxii+json"


class NotAcceptableError(ServiceError):
    status_code = 406


class UnsupportedMediaError(ServiceError):
    status_code = 415


def _media_ranges(header: str) -> list[tuple[str, dict[str, str]]]:
    ranges = []
    for part in header.split(",")[:50]:
        kind, *params = (piece.strip() for piece in part.split(";"))
        values = {}
        for param in params:
            name, _, value = param.partition("=")
            values[name.strip().lower()] = value.strip().strip('"')
        ranges.append((kind.lower(), values))
    return ranges


def _is_taxii_21(kind: str, params: dict[str, str]) -> bool:
    """``application/taxii+json`` without a version means the newest, which is 2.1."""
    return kind == _TAXII_TYPE and params.get("version", "2.1") == "2.1"


def require_acceptable(accept: str | None) -> None:
    if not accept:
        return
    for kind, params in _media_ranges(accept):
        if params.get("q") in {"0", "0.0", "0.00", "0.000"}:
            continue
        if kind in {"*/*", "application/*"} or _is_taxii_21(kind, params):
            return
    raise NotAcceptableError(f"this server answers with {TAXII_MEDIA}; the request's Accept "
                             f"({accept[:200]}) does not allow it")


def require_taxii_body(content_type: str | None) -> None:
    ranges = _media_ranges(content_type or "")
    if not ranges or not _is_taxii_21(*ranges[0]):
        raise UnsupportedMediaError(f"the body must be a TAXII envelope sent as {TAXII_MEDIA}; "
                                    f"it was sent as {(content_type or 'nothing')[:200]}")


def taxii_response(body: dict[str, Any], status_code: int = 200,
                   headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, media_type=TAXII_MEDIA,
                    headers=headers)


_TITLES = {400: "Bad request", 401: "Authentication required", 403: "Not allowed",
           404: "Not found", 406: "Not acceptable", 409: "Conflict",
           413: "Request too large", 415: "Unsupported media type", 422: "Invalid input"}


def error_response(status_code: int, description: str,
                   headers: dict[str, str] | None = None) -> Response:
    """A TAXII error message resource (section 3.6.1)."""
    body = {"title": _TITLES.get(status_code, "Error"), "description": description,
            "http_status": str(status_code)}
    return taxii_response(body, status_code, headers)
