"""The advisory store the server reads, for the OSV API and for assessments.

One setting names it (``advisory_db``: a SQLite file or a SQLAlchemy URL; empty: the library's
default store, as ``stackrift db`` and ``stackrift scan`` use it). A database URL is opened once
per process (its engine pools connections across request threads); a SQLite file is opened per
request, because a SQLite connection belongs to the thread that made it. Either way the store is
opened fail closed, as ``stackrift scan`` opens it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stackrift.advisories.interface import AdvisoryReader, AdvisoryStore


class AdvisoryHolder:
    """Lends the configured store's reader for the length of a ``with``."""

    def __init__(self, location: str) -> None:
        from stackrift.advisories.storeurl import is_store_url

        self.location = location or None
        self._shared = is_store_url(self.location)
        self._store: AdvisoryStore | None = None
        self._lock = threading.Lock()

    @contextmanager
    def lend(self) -> Iterator[AdvisoryReader]:
        from stackrift.advisories.scan import open_scan_store

        if not self._shared:
            store, _ = open_scan_store(self.location)
            try:
                yield store
            finally:
                store.close()
            return
        with self._lock:
            if self._store is None:
                self._store, _ = open_scan_store(self.location)
        yield self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
