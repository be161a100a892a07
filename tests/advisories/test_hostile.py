"""Hostile inputs are refused cleanly and leave the store exactly as it was."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pytest

from stackrift.advisories.importer import import_paths
from stackrift.advisories.store import SqliteStore
from stackrift.cli import main
from stackrift.errors import InvalidInputError

from .conftest import cnvd_entry, osv_doc, write_cnvd, write_json


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Path, tuple[object, ...]]:
    path = tmp_path / "store.sqlite"
    with SqliteStore(path) as store:
        import_paths(store, [write_json(tmp_path / "seed.json", osv_doc("PYSEC-2021-1"))])
        return path, store.fingerprint()


def _refused(path: Path, feed: Path, expected: str,
             capsys: pytest.CaptureFixture[str]) -> None:
    store_path = path
    with SqliteStore(store_path) as store:
        before = store.fingerprint()
        with pytest.raises(InvalidInputError, match=expected):
            import_paths(store, [feed])
        assert store.fingerprint() == before
    with pytest.raises(SystemExit) as exit_info:
        main(["db", "import", "--db", str(store_path), str(feed)])
    assert exit_info.value.code == 2
    assert str(feed) in capsys.readouterr().err
    with SqliteStore(store_path) as store:
        assert store.fingerprint() == before


XXE = ('<?xml version="1.0"?><!DOCTYPE v [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       '<vulnerabilitys><vulnerability><number>CNVD-2021-1</number><title>&x;</title>'
       '</vulnerability></vulnerabilitys>')
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
          + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'
                    for i in range(8))
          + ']><vulnerabilitys><vulnerability><number>CNVD-2021-1</number><title>&i;</title>'
          '</vulnerability></vulnerabilitys>')


def test_xxe_refused(tmp_path: Path, seeded: tuple[Path, object],
                     capsys: pytest.CaptureFixture[str]) -> None:
    feed = tmp_path / "xxe.xml"
    feed.write_text(XXE)
    _refused(seeded[0], feed, "document type or entities", capsys)


def test_declaration_is_located(tmp_path: Path) -> None:
    """The refusal names the line and column of the first declaration, past any comment."""
    from stackrift.advisories.feed import refuse_doctype
    from stackrift.errors import InvalidInputError

    feed = tmp_path / "late.xml"
    data = b'<?xml version="1.0"?>\n<!-- a comment -->\n  <!ENTITY x "y">\n<!DOCTYPE v>\n'
    with pytest.raises(InvalidInputError) as caught:
        refuse_doctype(feed, data)
    assert str(caught.value).startswith(f"{feed}:3:3: XML declares a document type")


def test_billion_laughs_refused(tmp_path: Path, seeded: tuple[Path, object],
                                capsys: pytest.CaptureFixture[str]) -> None:
    feed = tmp_path / "laughs.xml.gz"
    feed.write_bytes(gzip.compress(LAUGHS.encode()))
    _refused(seeded[0], feed, "document type or entities", capsys)


def test_zip_bomb_refused(tmp_path: Path, seeded: tuple[Path, object],
                          capsys: pytest.CaptureFixture[str]) -> None:
    feed = tmp_path / "all.zip"
    with zipfile.ZipFile(feed, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("GO-2022-1.json", b"{" + b" " * 50_000_000 + b"}")
    _refused(seeded[0], feed, "decompression bomb", capsys)


def test_truncated_gzip_refused(tmp_path: Path, seeded: tuple[Path, object],
                                capsys: pytest.CaptureFixture[str]) -> None:
    whole = write_cnvd(tmp_path / "whole.xml.gz", [cnvd_entry(f"CNVD-2021-{n}")
                                                   for n in range(200)])
    feed = tmp_path / "cut.xml.gz"
    feed.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    _refused(seeded[0], feed, "cannot decompress|not well-formed", capsys)


def test_truncated_xml_refused(tmp_path: Path, seeded: tuple[Path, object],
                               capsys: pytest.CaptureFixture[str]) -> None:
    whole = write_cnvd(tmp_path / "whole.xml", [cnvd_entry("CNVD-2021-1")], gz=False)
    feed = tmp_path / "cut.xml"
    feed.write_text(whole.read_text()[:-40])
    _refused(seeded[0], feed, "not well-formed XML", capsys)


def test_wrong_encoding_refused(tmp_path: Path, seeded: tuple[Path, object],
                                capsys: pytest.CaptureFixture[str]) -> None:
    feed = tmp_path / "gbk.xml"
    text = ('<?xml version="1.0" encoding="UTF-8"?><vulnerabilitys>'
            + cnvd_entry("CNVD-2021-1") + "</vulnerabilitys>")
    feed.write_bytes(text.encode("gbk"))  # declared UTF-8, actually GBK
    _refused(seeded[0], feed, "not well-formed XML", capsys)


def test_wrong_encoding_osv_record_rejected(tmp_path: Path,
                                            seeded: tuple[Path, object]) -> None:
    feed = tmp_path / "latin.json"
    feed.write_bytes(write_json(tmp_path / "x.json", osv_doc("PYSEC-2021-9", details="é"))
                     .read_bytes().replace("é".encode(), "é".encode("latin-1")))
    with SqliteStore(seeded[0]) as store:
        before = store.fingerprint()[0]
        report = import_paths(store, [feed])
        assert report.rejections and "not UTF-8" in report.rejections[0].reason
        assert store.fingerprint()[0] == before  # records untouched; the rejection is logged
