"""Where an analysis gets its advisory reader: a store opened for the run, or a reader that
someone else opened and owns (a server's store, a test's in-memory fake).

A source is opened only when an analysis asks for it, so a run that needs no advisories never
touches the store (and an unusable store fails only the runs that would read it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from stackrift.advisories.interface import AdvisoryReader
    from stackrift.advisories.scan import StoreInfo


class AdvisorySource(Protocol):
    """Gives a reader and what the report must be told about it, for the length of a ``with``."""

    def open(self) -> AbstractContextManager[tuple[AdvisoryReader, StoreInfo]]: ...


@dataclass(frozen=True)
class StoreAtPath:
    """The store at ``path`` (``None``: ``$STACKRIFT_DB`` or the default location), opened fail
    closed by :func:`~stackrift.advisories.scan.open_scan_store` and closed after use: an
    unusable store is an error; only an absent one is made from the starter pack, with a
    caveat."""

    path: Path | str | None = None  # a SQLite file or a SQLAlchemy URL

    @contextmanager
    def open(self) -> Iterator[tuple[AdvisoryReader, StoreInfo]]:
        from stackrift.advisories.scan import open_scan_store

        store, info = open_scan_store(self.path)
        try:
            yield store, info
        finally:
            store.close()


@dataclass(frozen=True)
class OpenReader:
    """A reader its owner keeps open (and closes): lent as it is."""

    reader: AdvisoryReader
    info: StoreInfo

    @contextmanager
    def open(self) -> Iterator[tuple[AdvisoryReader, StoreInfo]]:
        yield self.reader, self.info
