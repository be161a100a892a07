"""A throw-away PostgreSQL cluster for tests, started by the tests themselves.

The cluster is made with the machine's ``initdb`` and ``pg_ctl`` (Debian's PostgreSQL 15 keeps
them in ``/usr/lib/postgresql/15/bin``), listens on 127.0.0.1 at a free port, trusts local
connections and is removed at the end of the session. PostgreSQL refuses to run as root, so as
root the cluster runs as the ``postgres`` system user. Without the binaries a test fails under CI
(where it must run) and is skipped, loudly, elsewhere.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

_BIN_DIRS = tuple(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True))
_SUPERUSER = "stackrift"


@dataclass(frozen=True)
class PostgresCluster:
    host: str
    port: int
    user: str

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL (psycopg 3 driver) for ``database``."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(host=self.host, port=self.port, user=self.user,
                             dbname="postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _tool(name: str) -> str | None:
    for directory in _BIN_DIRS:
        if (directory / name).is_file():
            return str(directory / name)
    return shutil.which(name)


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required on CI: {reason}")
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_cluster_owner(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


class PostgresUnavailableError(RuntimeError):
    """The machine has no PostgreSQL server binaries."""


@contextmanager
def throwaway_cluster() -> Iterator[PostgresCluster]:
    """Start a cluster in a temporary folder; stop and remove it on leaving."""
    initdb, pg_ctl = _tool("initdb"), _tool("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise PostgresUnavailableError(
            "initdb/pg_ctl not found (install Debian's postgresql package)")
    root = Path(tempfile.mkdtemp(prefix="stackrift-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()
    try:
        subprocess.run(_as_cluster_owner([initdb, "-D", str(data), "-U", _SUPERUSER,
                                          "--auth=trust", "-E", "UTF8", "--no-sync"]),
                       check=True, capture_output=True)
        options = (f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c max_connections=200")
        subprocess.run(_as_cluster_owner([pg_ctl, "-D", str(data), "-o", options, "-l",
                                          str(root / "server.log"), "-w", "start"]),
                       check=True, capture_output=True)
        yield PostgresCluster("127.0.0.1", port, _SUPERUSER)
    finally:
        if data.exists():
            subprocess.run(_as_cluster_owner([pg_ctl, "-D", str(data), "-m", "immediate",
                                              "stop"]), check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A running throw-away cluster for the whole session."""
    if _tool("initdb") is None or _tool("pg_ctl") is None:
        _missing("initdb/pg_ctl not found (install Debian's postgresql package)")
    with throwaway_cluster() as cluster:
        yield cluster


_database_numbers = itertools.count(1)


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> str:
    """A SQLAlchemy URL of a new, empty database in the session's cluster."""
    return postgres_cluster.create_database(f"test_{os.getpid()}_{next(_database_numbers)}")
