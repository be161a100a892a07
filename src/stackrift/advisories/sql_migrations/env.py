"""Alembic environment of the SQL advisory store: run on the connection the store hands over,
with the store's own version table (so it can share a database with another Alembic history)."""

from __future__ import annotations

from alembic import context

from stackrift.advisories.sqlstore_tables import VERSION_TABLE, metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata,
                  version_table=VERSION_TABLE, transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
