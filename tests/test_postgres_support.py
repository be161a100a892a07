"""The throw-away PostgreSQL cluster the server and store tests rely on really runs."""

from __future__ import annotations

import psycopg
from tests.postgres_support import PostgresCluster


def test_each_test_gets_its_own_empty_database(postgres_cluster: PostgresCluster,
                                               postgres_url: str) -> None:
    database = postgres_url.rsplit("/", 1)[1]
    with psycopg.connect(host=postgres_cluster.host, port=postgres_cluster.port,
                         user=postgres_cluster.user, dbname=database) as connection:
        version = connection.execute("SHOW server_version").fetchone()
        tables = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    assert version is not None and int(str(version[0]).split(".")[0]) >= 15
    assert tables == (0,)
