"""What the collection management API returns."""

from __future__ import annotations

from datetime import datetime

from stackrift.server.services.views import View


class CollectionView(View):
    id: str
    """The collection's TAXII id (a UUID)."""
    unit_id: int
    title: str
    description: str
    alias: str | None
    created_at: datetime


class GrantView(View):
    collection: str
    user_id: int
    can_read: bool
    can_write: bool
