"""``db import``: walk paths, detect each file's feed format, parse, deduplicate, store atomically.

Files are parsed, and their records prepared for storage, as the store consumes them in file
order inside one transaction (in worker processes only when a caller asks for them). A file
that is not what it claims (broken XML, a zip bomb) raises :class:`InvalidInputError` and the
transaction is rolled back, so nothing is written; a malformed record is a rejection with its
file and reason (``strict`` turns rejections into an error, again rolling everything back).
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import stat
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from stackrift.advisories.feed import (
    FeedParser,
    detect,
    prepared_records,
    whole_files_kept,
)
from stackrift.advisories.interface import AdvisoryWriter
from stackrift.advisories.model import DIGEST_LENGTH, Advisory, ImportReport, Rejection, Skipped
from stackrift.advisories.stored import StoredRecord
from stackrift.errors import InvalidInputError, Location, Problem
from stackrift.gcpause import paused_gc

if TYPE_CHECKING:
    from concurrent.futures import Future

Progress = Callable[[Path], None]


def advisory_files(paths: Sequence[Path]) -> Iterator[Path]:
    """Every file under ``paths`` in a stable order (directories walked recursively)."""
    for path in paths:
        mode = _mode(path)  # one stat: an import is given each of ~10^4 files by name
        if mode is not None and stat.S_ISDIR(mode):
            # ordered as paths order themselves (part by part), compared as tuples: quicker
            yield from sorted((p for p in path.rglob("*") if p.is_file()),
                              key=lambda p: p.parts)
        elif mode is not None and stat.S_ISREG(mode):
            yield path
        elif mode is not None:  # a device or pipe: feeds are files, and archives need seeking
            raise InvalidInputError.single(path, "not a regular file (a device or pipe)",
                                           "an advisory file, directory or archive")
        else:
            raise InvalidInputError.single(path, "no such file or directory",
                                           "an advisory file, directory or archive")


_MISSING = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})


def _mode(path: Path) -> int | None:
    """The file type and mode ``path`` leads to, None when nothing is there (the errors
    ``Path.is_file`` takes for a missing file; any other error is raised, as it raises it)."""
    try:
        return path.stat().st_mode
    except OSError as exc:
        if exc.errno not in _MISSING:
            raise
        return None
    except ValueError:  # a name no file can have (a NUL byte)
        return None


def parse_paths(paths: Sequence[Path], *, forced: str | None = None,
                progress: Progress | None = None) -> tuple[list[Advisory], ImportReport]:
    """Parse every advisory under ``paths``: unique records (latest revision kept) and a report."""
    report = ImportReport()
    seen = _Deduplicator(report)
    kept: dict[tuple[str, str], Advisory] = {}
    for file in advisory_files(paths):
        if progress:
            progress(file)
        parsed = _parse_file(file, forced)
        if _tally(parsed, report):
            for advisory in parsed.records:
                if seen.add(advisory.source, advisory.id, advisory.modified, advisory.digest()):
                    kept[(advisory.source, advisory.id)] = advisory
    seen.finish()
    return list(kept.values()), report


def stored_records(paths: Sequence[Path], report: ImportReport, *, forced: str | None = None,
                   strict: bool = False, progress: Progress | None = None,
                   workers: int | None = None) -> Iterator[StoredRecord]:
    """Every record under ``paths`` in its stored form, as files are parsed, counting what
    happens in ``report``. An id seen again is yielded again only when the later copy wins
    (a newer revision), so a consumer keeps the last copy of each id.

    Files are parsed and prepared in this process, or in ``workers`` worker processes when
    asked (results are read back in file order, so what is yielded does not depend on the
    number of workers). Errors (a file that is not what it claims, a
    rejection under ``strict``) are raised from the iteration.
    """
    files = list(advisory_files(paths))
    kept = _Deduplicator(report)
    for file, parsed in zip(files, _prepared(files, forced, workers), strict=True):
        if progress:
            progress(file)
        if _tally(parsed, report):
            for record in parsed.records:
                if kept.add(record.source, record.id, record.modified, record.digest):
                    yield record
    kept.finish()
    if strict and report.rejections:
        raise InvalidInputError([Problem(Location(r.file), f"record {r.record or '?'} "
                                         f"rejected: {r.reason}",
                                         "a valid advisory record (--strict)")
                                 for r in report.rejections])


R = TypeVar("R", Advisory, StoredRecord)


@dataclass(frozen=True, slots=True)
class _ParsedFile(Generic[R]):
    """One file's outcome: its source and records, or why it was skipped or refused."""

    source: str | None
    records: tuple[R, ...] = ()
    rejections: tuple[Rejection, ...] = ()
    skipped: Skipped | None = None
    problems: tuple[Problem, ...] = ()


def _parse_file(file: Path, forced: str | None) -> _ParsedFile[Advisory]:
    feed: FeedParser | None = detect(file, forced)
    if feed is None:
        return _ParsedFile(None, skipped=Skipped(str(file), "not an advisory file"))
    return _split(feed.source, feed.parse(file))


def _split(source: str, items: Iterable[R | Rejection]) -> _ParsedFile[R]:
    """A file's records and rejections, apart, in the order read."""
    records: list[R] = []
    rejections: list[Rejection] = []
    for item in items:
        if isinstance(item, Rejection):
            rejections.append(item)
        else:
            records.append(item)
    return _ParsedFile(source, tuple(records), tuple(rejections))


def _prepare_files(batch: tuple[tuple[Path, ...], str | None]) -> list[_ParsedFile[StoredRecord]]:
    """:func:`_prepare_file` for a batch of files (one task of a worker process)."""
    files, forced = batch
    return [_prepare_file(file, forced) for file in files]


def _prepare_file(file: Path, forced: str | None) -> _ParsedFile[StoredRecord]:
    """Parse and prepare one file (in a worker process: errors travel back as problems)."""
    try:
        with whole_files_kept():  # a small file is read once, for detection and parsing
            feed: FeedParser | None = detect(file, forced)
            if feed is None:
                return _ParsedFile(None, skipped=Skipped(str(file), "not an advisory file"))
            return _split(feed.source, prepared_records(feed, file))
    except InvalidInputError as exc:
        return _ParsedFile(None, problems=tuple(exc.problems))


def _worker_count(workers: int | None) -> int:
    """Worker processes for an import: none unless asked for. Parsing is most of an import's
    work, but a pool only moves it: the records still cross to the importing process (encoded
    on one side, decoded on the other) and each worker loads the parsers again, so a pool
    costs more CPU time in all than one process does, and saves wall time only on an idle
    machine with cores to spare."""
    return 1 if workers is None else max(1, workers)


BATCH_BYTES = 512 * 1024  # work per worker task: small enough to balance, large to amortise
TASKS_AHEAD = 2  # tasks per worker submitted ahead of the one the store is consuming


def _batches(files: Sequence[Path]) -> list[tuple[Path, ...]]:
    """Consecutive files grouped into tasks of about ``BATCH_BYTES`` of content (gzip files
    counted at their usual expansion), so the first results come back early and the workers
    finish together."""
    batches: list[tuple[Path, ...]] = []
    current: list[Path] = []
    size = 0
    for file in files:
        current.append(file)
        size += file.stat().st_size * (8 if file.name.endswith(".gz") else 1)
        if size >= BATCH_BYTES:
            batches.append(tuple(current))
            current, size = [], 0
    if current:
        batches.append(tuple(current))
    return batches


def _prepared(files: Sequence[Path], forced: str | None, workers: int | None
              ) -> Iterator[_ParsedFile[StoredRecord]]:
    count = _worker_count(workers)
    if count == 1:
        for file in files:
            yield _prepare_file(file, forced)
        return
    import multiprocessing  # only large imports pay for loading these
    from concurrent.futures import ProcessPoolExecutor

    # fork is cheapest (workers inherit the loaded modules) but unsafe beside other threads
    method = "fork" if threading.active_count() == 1 and "fork" in \
        multiprocessing.get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context(method),
                               initializer=_worker_start, initargs=(os.getpid(),))
    try:
        # a bounded window of tasks: results waiting for the store never pile up in memory
        pending: deque[Future[list[_ParsedFile[StoredRecord]]]] = deque()
        for batch in _batches(files):
            if len(pending) >= count * TASKS_AHEAD:
                yield from pending.popleft().result()
            pending.append(pool.submit(_prepare_files, (batch, forced)))
        while pending:
            yield from pending.popleft().result()
    finally:  # on an error, files not yet started are not parsed for nothing
        pool.shutdown(wait=True, cancel_futures=True)


PR_SET_PDEATHSIG = 1  # linux/prctl.h
WATCH_SECONDS = 1.0


def _worker_start(parent: int) -> None:
    """Set up a worker: no cyclic GC (records are acyclic), and exit when the importing
    process dies, even by ``kill -9`` (which runs no clean-up): the kernel signals the worker
    on Linux, and a watchdog thread notices the parent is gone everywhere else."""
    gc.disable()
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True,
                     name="stackrift-parent-watch").start()


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(WATCH_SECONDS)
        if os.getppid() != parent:
            os._exit(1)


def _tally(parsed: _ParsedFile[Any], report: ImportReport) -> bool:
    """Count a file's outcome in the report; False when it has no records to keep."""
    if parsed.problems:
        raise InvalidInputError(list(parsed.problems))
    if parsed.skipped is not None:
        report.skipped.append(parsed.skipped)
        return False
    assert parsed.source is not None
    summary = report.summary(parsed.source)
    summary.rejected += len(parsed.rejections)
    report.rejections.extend(parsed.rejections)
    summary.read += len(parsed.records)
    return True


class _Deduplicator:
    """Keeps one record per (source, id): the latest revision, reporting duplicates. Only each
    kept copy's digest and date are held (as one string, by source and id: an import of 10^5
    records holds 10^5 of them), so records can be stored as they stream past."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        # source -> id -> the kept copy's digest followed by its ``modified`` (or nothing)
        self.kept: dict[str, dict[str, str]] = {}
        self.duplicate_ids: set[str] = set()

    def add(self, source: str, ident: str, modified: str | None, digest: str) -> bool:
        """Count the record; whether it is now the kept copy of its id."""
        assert len(digest) == DIGEST_LENGTH
        kept = self.kept.get(source)
        if kept is None:
            kept = self.kept[source] = {}
        previous = kept.get(ident)
        if previous is None:
            kept[ident] = digest + modified if modified else digest
            return True
        summary = self.report.summary(source)
        summary.duplicates += 1
        self.duplicate_ids.add(ident)
        if previous.startswith(digest):
            summary.duplicate_identical += 1
            return False
        summary.duplicate_revised += 1
        # the later revision wins; at equal dates the one read later (files in order)
        if (modified or "") >= previous[DIGEST_LENGTH:]:
            kept[ident] = digest + modified if modified else digest
            return True
        return False

    def finish(self) -> None:
        """Report the ids seen more than once."""
        self.report.duplicate_ids = sorted(self.duplicate_ids)


def import_paths(store: AdvisoryWriter, paths: Sequence[Path], *, forced: str | None = None,
                 strict: bool = False, progress: Progress | None = None,
                 label: str | None = None, workers: int | None = None) -> ImportReport:
    """Import advisories into ``store`` atomically and idempotently; return what happened.

    The store consumes the records as files are parsed, inside its transaction: an error
    anywhere (a broken file, a rejection under ``strict``, Ctrl-C) rolls everything back.
    """
    with paused_gc():
        report = ImportReport()
        store.apply_import(stored_records(paths, report, forced=forced, strict=strict,
                                          progress=progress, workers=workers), report, label)
        return report
