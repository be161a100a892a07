"""Fixtures for the advisory tests: hand-made feed files and one real store per session."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import orjson
import pytest

from stackrift.advisories.importer import import_paths
from stackrift.advisories.model import ImportReport
from stackrift.advisories.starter_pack import ensure_starter
from stackrift.advisories.store import SqliteStore

from .content_digest import content_digest

IMPORTED_CONTENT: dict[str, str] = {}  # the real store's content digest, as imported


def cnvd_entry(number: str, cves: tuple[str, ...] = (), product: str = "Google TensorFlow <2.6.0",
               opened: str = "2021-08-18", title: str = "TensorFlow 漏洞",
               rating: str = "高") -> str:
    cve_xml = "".join(f"<cve><cveNumber>{c}</cveNumber></cve>" for c in cves)
    return (f"<vulnerability><number>{number}</number><cves>{cve_xml}</cves><title>{title}</title>"
            f"<serverity>{rating}</serverity><products><product>{escape(product)}</product></products>"
            f"<submitTime>2021-08-01</submitTime><openTime>{opened}</openTime>"
            f"<description>描述</description></vulnerability>")


def write_cnvd(path: Path, entries: list[str], gz: bool = True) -> Path:
    text = '<?xml version="1.0" encoding="UTF-8"?><vulnerabilitys>' + "".join(entries) + \
        "</vulnerabilitys>"
    if gz:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def osv_doc(record_id: str, package: str = "tensorflow", ecosystem: str = "PyPI",
            aliases: tuple[str, ...] = (), introduced: str = "0", fixed: str | None = "2.6.0",
            modified: str = "2021-08-27T03:22:22Z", **extra: object) -> dict[str, object]:
    events: list[dict[str, str]] = [{"introduced": introduced}]
    if fixed:
        events.append({"fixed": fixed})
    doc: dict[str, object] = {
        "id": record_id, "modified": modified, "published": "2021-08-12T23:15:00Z",
        "aliases": list(aliases),
        "affected": [{"package": {"name": package, "ecosystem": ecosystem},
                      "ranges": [{"type": "ECOSYSTEM", "events": events}]}]}
    doc.update(extra)
    return doc


def write_json(path: Path, data: object) -> Path:
    path.write_bytes(orjson.dumps(data))
    return path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "store.sqlite") as opened:
        yield opened


@pytest.fixture(scope="session")
def real_store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[tuple[SqliteStore, ImportReport]]:
    """CNVD + PyPA OSV + Go OSV imported once for the whole session (the expensive fixture)."""
    path = tmp_path_factory.mktemp("real") / "advisories.sqlite"
    with SqliteStore(path) as opened:
        report = import_paths(opened, [shared_data / "cnvd", shared_data / "osv-pypa",
                                       shared_data / "osv-go"])
        # what the import stored, before the starter pack joins it (tests/advisories/
        # test_fast_paths.py compares it with the content stored before imports streamed)
        IMPORTED_CONTENT["real"] = content_digest(opened, shared_data)
        # as every store opened by the CLI or a scan has it (and scans would add it anyway)
        ensure_starter(opened)
        yield opened, report
