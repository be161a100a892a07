"""TAXII 2.1 over the server: collections of STIX 2.1 objects owned by organisation units.

``router()`` is the one factory ``create_app`` includes; it serves the TAXII endpoints under
``/taxii2/`` and the collection management API under ``/api/v1/taxii/``. Modules: ``tables``
(storage), ``validation`` (envelopes and objects, bounded), ``filters`` (query parameters),
``service`` (tenancy, permissions, reads and writes), ``media`` (content negotiation and error
resources), ``routes`` (HTTP).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import APIRouter


def router() -> APIRouter:
    """The TAXII 2.1 endpoints and the collection management API (imported when the app is
    built)."""
    from stackrift.server.taxii.routes import build_router

    return build_router()
