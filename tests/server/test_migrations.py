"""The migrations build exactly the tables the code declares, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from tests.server.conftest import Server

from stackrift.server.db.migrate import current_revision, head_revision, upgrade
from stackrift.server.db.tables import Base


def test_migrated_schema_matches_the_tables(server: Server) -> None:
    engine = server.app.state.engine
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    upgrade(engine)  # idempotent at start-up
    assert current_revision(engine) == head_revision()


def test_readiness_fails_while_migrations_are_pending(server: Server) -> None:
    from sqlalchemy import text

    engine = server.app.state.engine
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    try:
        assert server.client.get("/readyz").status_code == 503
    finally:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :head"),
                               {"head": head_revision()})
    assert server.client.get("/readyz").status_code == 200
