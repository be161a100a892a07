"""Store faults said plainly: who holds the lock, a full disk, a read-only store.

SQLite reports these as "database is locked", "database or disk is full" (often hidden behind a
later "cannot rollback - no transaction is active") and "attempt to write a readonly database".
The connection class here turns them into :class:`StoreUnavailableError` (an input error: exit
2) naming the store and what to do, wherever in the store's code they surface. A writer records
itself in a holder file beside the store while it holds the write lock, so a process kept
waiting can say which process holds it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from stackrift.errors import InputError

DEFAULT_BUSY_TIMEOUT = 10.0
"""Seconds to wait for another process's write lock before giving up (``STACKRIFT_DB_TIMEOUT``)."""

# SQLite primary result codes (https://www.sqlite.org/rescode.html)
_BUSY, _LOCKED, _READONLY, _IOERR, _FULL, _CANTOPEN = 5, 6, 8, 10, 13, 14


class StoreUnavailableError(InputError):
    """The store cannot be used right now (locked, disk full, read-only); it is unchanged."""


def busy_timeout() -> float:
    """How long to wait for a lock: ``$STACKRIFT_DB_TIMEOUT`` seconds, or the default."""
    try:
        return max(0.0, float(os.environ.get("STACKRIFT_DB_TIMEOUT", DEFAULT_BUSY_TIMEOUT)))
    except ValueError:
        return DEFAULT_BUSY_TIMEOUT


def holder_path(store: str) -> Path:
    return Path(f"{store}.writer")


class WriterRecord:
    """This process recorded as the store's writer while it holds the write lock.

    The record is advice for others' error messages only; SQLite's lock is the lock. A record
    left by a killed process is recognised as stale by its process id.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path

    @classmethod
    def claim(cls, store: str) -> WriterRecord:
        if store == ":memory:":
            return cls(None)
        path = holder_path(store)
        record = {"pid": os.getpid(), "command": " ".join(["stackrift", *sys.argv[1:]])[:300],
                  "since": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
        try:
            path.write_bytes(orjson.dumps(record))
        except OSError:  # a read-only folder: the store write itself will fail clearly
            return cls(None)
        return cls(path)

    def release(self) -> None:
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()
            self.path = None


def _space_exhausted(store: str) -> str | None:
    """Why a write error was a full disk (SQLite reports a refused write as an I/O error
    when the system says "file too large" rather than "no space"), or ``None``."""
    folder = Path(store).resolve().parent
    with contextlib.suppress(OSError):
        if shutil.disk_usage(folder).free < 1024 * 1024:
            return "no space left on the device"
    with contextlib.suppress(ValueError, OSError, AttributeError):
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
        if soft != resource.RLIM_INFINITY:
            return f"the file-size limit of {soft:,} bytes (ulimit -f) was reached"
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _who_holds(store: str) -> str:
    try:
        record = orjson.loads(holder_path(store).read_bytes())
        pid = int(record["pid"])
    except (OSError, ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        return ("another program holds it (no StackRift writer is recorded; a sqlite3 shell or "
                "another tool may have the file open)")
    if pid == os.getpid() or not _alive(pid):
        return (f"the last recorded writer, process {pid}, is no longer running; another "
                "program holds it")
    return (f"process {pid} ({record.get('command', '?')}, since {record.get('since', '?')}) "
            "is writing to it")


def translate(exc: sqlite3.Error, store: str) -> Exception:
    """A plain error for the faults a user can act on; other errors are returned unchanged."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code in (_BUSY, _LOCKED):
        return StoreUnavailableError(
            f"{store}: the advisory store is locked: {_who_holds(store)}; waited "
            f"{busy_timeout():g} s (STACKRIFT_DB_TIMEOUT). Wait for it to finish, then run "
            "again; nothing was changed")
    if code == _FULL or (code == _IOERR and (reason := _space_exhausted(store))):
        why = reason if code == _IOERR else "no space left on the device"
        return StoreUnavailableError(
            f"{store}: disk full: {why} while writing the advisory store (or its journal); "
            "the store is unchanged. Free space, or pass --db on another disk")
    if code == _READONLY or (code == _CANTOPEN and Path(store).exists()):
        return StoreUnavailableError(
            f"{store}: the advisory store is read-only (the file or its folder cannot be "
            "written); the store is unchanged. Make it writable or pass --db with a writable "
            "copy")
    if code == _IOERR:
        return StoreUnavailableError(
            f"{store}: the advisory store could not be written (disk I/O error: the disk may be "
            "full, failing, or a file-size limit reached); the store is unchanged")
    return exc


class GuardedCursor(sqlite3.Cursor):
    """A cursor whose statements report faults through :func:`translate`.

    Locks are taken, and writes made, when a statement is executed (its first step); rows
    iterated afterwards are read under the lock already held, so iteration is left to the C
    implementation (a Python ``__next__`` would triple the cost of reading large tables)."""

    def _fault(self, exc: sqlite3.Error) -> Exception:
        return translate(exc, getattr(self.connection, "store_path", "advisory store"))

    def execute(self, sql: str, parameters: Any = (), /) -> GuardedCursor:
        try:
            super().execute(sql, parameters)
        except sqlite3.Error as exc:
            raise self._fault(exc) from exc
        return self

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> GuardedCursor:
        try:
            super().executemany(sql, seq_of_parameters)
        except sqlite3.Error as exc:
            raise self._fault(exc) from exc
        return self

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.Error as exc:
            raise self._fault(exc) from exc

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except sqlite3.Error as exc:
            raise self._fault(exc) from exc


class GuardedConnection(sqlite3.Connection):
    """A connection whose statements report faults through :func:`translate`."""

    store_path = "advisory store"

    def cursor(self, factory: Any = GuardedCursor) -> Any:
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> Any:
        return self.cursor().executemany(sql, parameters)


def connect(path: str) -> GuardedConnection:
    """A connection to the store that waits for locks up to :func:`busy_timeout` seconds."""
    try:
        db = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout(),
                             factory=GuardedConnection)
    except sqlite3.Error as exc:
        raise translate(exc, path) from exc
    db.store_path = path
    return db
