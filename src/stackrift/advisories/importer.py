"""``db import``: walk paths, detect each file's feed format, parse, deduplicate, store atomically.

Everything is parsed before the store is touched; the store then applies the batch in one
transaction. A file that is not what it claims (broken XML, a zip bomb) raises
:class:`InvalidInputError` and nothing is written; a malformed record is a rejection with its file
and reason (``strict`` turns rejections into an error, again before anything is written).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from stackrift.advisories.feed import FeedFormat, detect
from stackrift.advisories.model import Advisory, ImportReport, Rejection, Skipped
from stackrift.advisories.store import AdvisoryStore
from stackrift.errors import InvalidInputError, Location, Problem

Progress = Callable[[Path], None]


def advisory_files(paths: Sequence[Path]) -> Iterator[Path]:
    """Every file under ``paths`` in a stable order (directories walked recursively)."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            yield path
        else:
            raise InvalidInputError.single(path, "no such file or directory",
                                           "an advisory file, directory or archive")


def parse_paths(paths: Sequence[Path], *, forced: str | None = None,
                progress: Progress | None = None) -> tuple[list[Advisory], ImportReport]:
    """Parse every advisory under ``paths``: unique records (latest revision kept) and a report."""
    report = ImportReport()
    kept: dict[tuple[str, str], Advisory] = {}
    digests: dict[tuple[str, str], str] = {}
    duplicate_ids: set[str] = set()
    for file in advisory_files(paths):
        if progress:
            progress(file)
        feed: FeedFormat | None = detect(file, forced)
        if feed is None:
            report.skipped.append(Skipped(str(file), "not an advisory file"))
            continue
        summary = report.summary(feed.source)
        for item in feed.parse(file):
            if isinstance(item, Rejection):
                summary.rejected += 1
                report.rejections.append(item)
                continue
            summary.read += 1
            key = (item.source, item.id)
            previous = kept.get(key)
            if previous is None:
                kept[key] = item
                continue
            summary.duplicates += 1
            duplicate_ids.add(item.id)
            digest = item.digest()
            if digests.setdefault(key, previous.digest()) == digest:
                summary.duplicate_identical += 1
                continue
            summary.duplicate_revised += 1
            # the later revision wins; at equal dates the one read later (files in order)
            if (item.modified or "") >= (previous.modified or ""):
                kept[key] = item
                digests[key] = digest
    report.duplicate_ids = sorted(duplicate_ids)
    return list(kept.values()), report


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: a bulk import allocates ~10^6 acyclic objects, and
    the collector's repeated passes over them cost more than the import itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def import_paths(store: AdvisoryStore, paths: Sequence[Path], *, forced: str | None = None,
                 strict: bool = False, progress: Progress | None = None,
                 label: str | None = None) -> ImportReport:
    """Import advisories into ``store`` atomically and idempotently; return what happened."""
    with _no_gc():
        return _import(store, paths, forced, strict, progress, label)


def _import(store: AdvisoryStore, paths: Sequence[Path], forced: str | None, strict: bool,
            progress: Progress | None, label: str | None) -> ImportReport:
    records, report = parse_paths(paths, forced=forced, progress=progress)
    if strict and report.rejections:
        raise InvalidInputError([Problem(Location(r.file), f"record {r.record or '?'} rejected: "
                                         f"{r.reason}", "a valid advisory record (--strict)")
                                 for r in report.rejections])
    store.apply_import(records, report, label)
    return report
