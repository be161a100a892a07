"""The feed-format interface, format detection, and hardened readers shared by the importers.

Every feed format is one module (``osv``, ``cve5``, ``csaf``, ``cnvd``, ``cnnvd``) defining a class
that satisfies :class:`FeedParser` and registers itself with :func:`register_feed`.
Readers here bound sizes, refuse XML with document type declarations (no entity expansion, no
network) and check zip archives against decompression bombs before reading them.
"""

from __future__ import annotations

import gzip
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, cast, runtime_checkable

from lxml import etree

from stackrift.advisories.model import Advisory, Rejection
from stackrift.boundedio import read_bounded, size_text
from stackrift.errors import InvalidInputError, text_position
from stackrift.registry import Registry

if TYPE_CHECKING:
    from stackrift.advisories.stored import StoredRecord

MAX_FILE_BYTES = 256 * 1024 * 1024  # largest advisory file or archive member accepted
MAX_ZIP_TOTAL = 2 * 1024 * 1024 * 1024  # sum of declared uncompressed sizes in one archive
MAX_ZIP_RATIO = 200  # uncompressed/compressed; osv.dev zips are ~10x, bombs are ~1000x
MAX_ZIP_MEMBERS = 500_000
HEAD_BYTES = 8192


class FeedParser(Protocol):
    """The parser of one advisory feed format (its name is the `FeedFormat` choice)."""

    format: ClassVar[str]
    source: ClassVar[str]

    def sniff(self, path: Path, head: bytes) -> bool:
        """Whether the file looks like this format, from its name and (decompressed) first bytes."""
        ...

    def parse(self, path: Path) -> Iterator[Advisory | Rejection]:
        """Yield records, or a rejection per malformed record; raise
        :class:`InvalidInputError` when the file as a whole is not this format."""
        ...



@runtime_checkable
class PreparingFeedParser(FeedParser, Protocol):
    """A feed that builds its records' stored form directly (a feed with very many records:
    no record objects, nothing encoded twice); it must equal what preparing ``parse``'s
    records gives."""

    def prepared(self, path: Path) -> Iterator[StoredRecord | Rejection]:
        """What :meth:`parse` yields, each record in its stored form."""
        ...


def prepared_records(feed: FeedParser, path: Path) -> Iterator[StoredRecord | Rejection]:
    """What ``feed.parse(path)`` yields, each record in its stored form (an import's path)."""
    prepares = _PREPARES.get(type(feed))
    if prepares is None:  # checking a runtime protocol costs as much as parsing a small file
        prepares = _PREPARES[type(feed)] = isinstance(feed, PreparingFeedParser)
    if prepares:
        return cast(PreparingFeedParser, feed).prepared(path)
    from stackrift.advisories.stored import prepare_all

    return prepare_all(feed.parse(path))


_PREPARES: dict[type, bool] = {}  # feed class -> whether it is a PreparingFeedParser


FEED_MODULES = ("cve5", "csaf", "cnnvd", "cnvd", "osv")  # most specific first
FEEDS: Registry[type[FeedParser]] = Registry("feed format", "stackrift.advisories",
                                             lambda cls: cls.format, modules=FEED_MODULES)
register_feed = FEEDS.register


@cache
def feeds() -> dict[str, FeedParser]:
    """Every feed format, in detection order (built once: detection asks for every file)."""
    return {cls.format: cls() for cls in FEEDS.by_module()}


class _WholeFileMemo(threading.local):
    """The last file :func:`read_head` read to its end, while :func:`whole_files_kept` is
    active: an import detects each file's format and then parses it, and most OSV files are
    shorter than a head, so the parser takes the bytes read for detection rather than opening
    the file again. One per thread: imports running side by side (the server) keep their own."""

    def __init__(self) -> None:
        self.active = False
        self.path: Path | None = None
        self.data = b""

    def keep(self, path: Path, data: bytes) -> None:
        if self.active:
            self.path, self.data = path, data

    def take(self, path: Path, limit: int) -> bytes | None:
        """The kept bytes of ``path`` (once), if they are kept and within ``limit``."""
        if self.path != path or len(self.data) > limit:
            return None
        data, self.path, self.data = self.data, None, b""
        return data


_MEMO = _WholeFileMemo()


@contextmanager
def whole_files_kept() -> Iterator[None]:
    """Within the block, a small file read by format detection is not read again by its
    parser (for one detection and parse of a file: the two reads a moment apart)."""
    _MEMO.active = True
    try:
        yield
    finally:
        _MEMO.active, _MEMO.path, _MEMO.data = False, None, b""


def read_head(path: Path) -> bytes:
    """The first bytes of a file, decompressed when it is gzip."""
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
            if len(head) < HEAD_BYTES:  # the whole file: a buffered read stops early only there
                _MEMO.keep(path, head)
            if head[:2] == b"\x1f\x8b":
                # compressed data is never much larger than the original: 8x the head is plenty
                head += handle.read(7 * HEAD_BYTES)
                try:
                    return zlib.decompressobj(wbits=31).decompress(head, HEAD_BYTES)
                except zlib.error:
                    return b""
            return head
    except OSError as exc:
        raise InvalidInputError.single(path, f"cannot read file ({exc.strerror})",
                                       "an existing, readable file") from exc


def detect(path: Path, forced: str | None = None) -> FeedParser | None:
    """The feed format of ``path`` (``forced`` when given), or ``None`` for a non-advisory file."""
    available = feeds()
    if forced is not None:
        if forced not in available:
            raise InvalidInputError.single(path, f"unknown advisory format '{forced}'",
                                           f"one of {', '.join(available)}")
        return available[forced]
    head = read_head(path)
    for feed in available.values():
        if feed.sniff(path, head):
            return feed
    return None


def read_limited(path: Path, limit: int | None = None) -> bytes:
    """A whole file, refusing files (devices and pipes too) larger than ``limit``
    (:data:`MAX_FILE_BYTES` unless given)."""
    limit = MAX_FILE_BYTES if limit is None else limit
    kept = _MEMO.take(path, limit)
    return read_bounded(path, limit) if kept is None else kept


def read_maybe_gzip(path: Path) -> bytes:
    """A whole plain or gzip file, decompressed in one bounded pass (no more than
    ``MAX_FILE_BYTES`` either way); truncated or corrupt gzip raises InvalidInputError."""
    raw = read_limited(path)
    if raw[:2] != b"\x1f\x8b":
        return raw
    parts: list[bytes] = []
    left = MAX_FILE_BYTES
    try:
        while raw:
            inflater = zlib.decompressobj(wbits=31)  # gzip header and CRC/size trailer checked
            parts.append(inflater.decompress(raw, left + 1))
            left -= len(parts[-1])
            if left < 0 or inflater.unconsumed_tail:
                raise InvalidInputError.single(path, "decompressed content exceeds the size "
                                               "limit (possible decompression bomb)",
                                               f"at most {size_text(MAX_FILE_BYTES)}")
            if not inflater.eof:
                raise EOFError("compressed file ended before the end-of-stream marker was "
                               "reached")
            raw = inflater.unused_data.lstrip(b"\x00")  # a further member, or zero padding
    except (EOFError, zlib.error) as exc:
        raise InvalidInputError.single(path, f"cannot decompress or read ({exc})",
                                       "a complete gzip or plain XML file") from exc
    return b"".join(parts)


def refuse_doctype(path: Path, data: bytes) -> None:
    """Advisory feeds never need a DTD; one is refused outright (XXE, billion laughs), wherever
    it stands in the document (comments may push it past any fixed-size head)."""
    found = [i for i in (data.find(b"<!DOCTYPE"), data.find(b"<!ENTITY")) if i >= 0]
    if found:
        line, column = text_position(data, min(found))
        raise InvalidInputError.single(path, "XML declares a document type or entities, which "
                                       "are refused (external entities and entity expansion are "
                                       "not allowed)", "an XML feed without <!DOCTYPE>/<!ENTITY>",
                                       line, column)


def _xml_parser() -> Any:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                           load_dtd=False, dtd_validation=False, remove_comments=True,
                           remove_pis=True)


def iter_xml(path: Path, tag: str) -> Iterator[Any]:
    """Elements named ``tag`` from a plain or gzip XML file, parsed safely.

    The parser never resolves entities, loads DTDs or touches the network; a document type
    declaration is refused; syntax, encoding and truncation errors raise InvalidInputError.
    Feed files are bounded in (decompressed) size, so a whole-file parse is both safe and
    faster than incremental parsing for them.
    """
    data = read_maybe_gzip(path)
    refuse_doctype(path, data)
    try:
        root = etree.fromstring(data, _xml_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 0
        column = exc.offset or 0
        raise InvalidInputError.single(path, f"not well-formed XML ({exc.msg})",
                                       "a complete, well-formed UTF-8 XML feed", line,
                                       column) from exc
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InvalidInputError.single(path, f"cannot decompress or read ({exc})",
                                       "a complete gzip or plain XML file") from exc
    if cast(Any, root.getroottree().docinfo).doctype:  # however it was spelt
        refuse_doctype(path, b"<!DOCTYPE")
    if root.tag == tag:
        yield root
        return
    yield from root.iter(tag)


def checked_zip(path: Path) -> zipfile.ZipFile:
    """Open a zip archive after checking it against decompression bombs."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInputError.single(path, f"not a readable zip archive ({exc})",
                                       "a zip archive such as osv.dev's per-ecosystem all.zip"
                                       ) from exc
    infos = archive.infolist()
    total = sum(i.file_size for i in infos)
    compressed = sum(i.compress_size for i in infos)
    problem = None
    if len(infos) > MAX_ZIP_MEMBERS:
        problem = f"{len(infos)} members (more than {MAX_ZIP_MEMBERS})"
    elif total > MAX_ZIP_TOTAL:
        problem = f"{total} bytes uncompressed (more than {MAX_ZIP_TOTAL})"
    elif any(i.file_size > MAX_FILE_BYTES for i in infos):
        problem = f"a member larger than {MAX_FILE_BYTES} bytes"
    elif compressed and total / compressed > MAX_ZIP_RATIO:
        problem = f"compression ratio {total // compressed}:1 (more than {MAX_ZIP_RATIO}:1)"
    if problem:
        archive.close()
        raise InvalidInputError.single(path, f"zip archive refused as a possible decompression "
                                       f"bomb: {problem}", "an archive of advisory files")
    return archive


def read_zip_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> bytes:
    """A member's bytes, never more than its declared size (headers can lie)."""
    with archive.open(info) as member:
        data = member.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise InvalidInputError.single(f"{path}!{info.filename}", "member is larger than its "
                                       "declared size (possible decompression bomb)",
                                       "an honest zip archive")
    return data


def rejection(path: Path | str, record: str | None, reason: str) -> Rejection:
    return Rejection(str(path), record, reason)


def _badly_typed(record: Advisory) -> str | None:
    """The first field of a built record that is not of its declared type, if any (a feed
    value of the wrong JSON type copied through unchecked)."""
    texts: list[tuple[str, object, bool]] = [
        ("id", record.id, False), ("published", record.published, True),
        ("modified", record.modified, True), ("withdrawn", record.withdrawn, True),
        ("title", record.title, True), ("details", record.details, True)]
    texts += [("aliases[]", a, False) for a in record.aliases]
    texts += [("references[]", r, False) for r in record.references]
    for item in record.affected:
        texts += [("affected.ecosystem", item.ecosystem, True), ("affected.name", item.name, True),
                  ("affected.purl", item.purl, True), ("affected.product", item.product, True),
                  ("affected.vendor", item.vendor, True), ("affected.status", item.status, False)]
        texts += [("affected.versions[]", v, False) for v in item.versions]
        texts += [("affected.ranges.events[]", e.version, False) for r in item.ranges
                  for e in r.events]
    for rating in record.severities:
        texts += [("severity", rating.vector, True), ("severity", rating.rating, True)]
    return next((name for name, value, optional in texts
                 if not (isinstance(value, str) or (optional and value is None))), None)


# What building a record from a document of the wrong shape raises (see guarded_record)
SHAPE_ERRORS = (AttributeError, TypeError, KeyError, ValueError, IndexError)


def shape_rejection(where: str, exc: Exception) -> Rejection:
    """The rejection of a record whose document has a value of the wrong type or shape."""
    return rejection(where, None, f"a value has a type or shape the format does not allow "
                     f"({type(exc).__name__}: {exc})")


def guarded_record(where: str, build: Callable[[], Advisory | Rejection], *,
                   check_types: bool = True) -> Advisory | Rejection:
    """A record built from a parsed document, or a rejection when a value in it has a type
    or shape the format does not allow (an object where text belongs, a number where a list
    belongs): the file's other records are still read, and the rejection says what was wrong.
    ``check_types=False`` for parsers that convert every value themselves (OSV, XML feeds),
    sparing large imports a walk over every record."""
    try:
        record = build()
    except SHAPE_ERRORS as exc:
        return shape_rejection(where, exc)
    if check_types and isinstance(record, Advisory) and (field := _badly_typed(record)):
        return rejection(where, record.id if isinstance(record.id, str) else None,
                         f"'{field}' is not text")
    return record
