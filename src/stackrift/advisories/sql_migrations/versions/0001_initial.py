"""The SQL advisory store's first schema: the content of the SQLite store's schema 5.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op

from stackrift.advisories.sqlstore_tables import metadata

revision = "0001"
down_revision: str | None = None
branch_labels: tuple[str, ...] | None = None
depends_on: tuple[str, ...] | None = None


def upgrade() -> None:
    # the tables as this revision defines them; a later revision alters them with op.* calls
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
