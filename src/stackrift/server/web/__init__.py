"""The server's web interface: server-rendered pages (Jinja2, one stylesheet, one small
script, no build step) over the services, for people who work in a browser.

Importing this package is cheap; :func:`router` loads the pages when the app is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import APIRouter


def router() -> APIRouter:
    """The pages' router (``/`` and ``/web/…``), included by ``create_app``."""
    from stackrift.server.web.pages import router as pages

    return pages()
