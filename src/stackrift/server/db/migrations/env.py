"""Alembic environment: migrations run on the engine the server hands over (never a URL read
from an ini file)."""

from __future__ import annotations

from alembic import context

from stackrift.server.db.tables import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=engine.dialect.name == "sqlite")
    context.run_migrations()
