"""`db update` against a local HTTP server serving fixture zips; `db coverage` on real data."""

from __future__ import annotations

import functools
import http.server
import json
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from stackrift.advisories.coverage import coverage
from stackrift.advisories.model import ImportReport
from stackrift.advisories.store import SqliteStore
from stackrift.cli import main

from .conftest import osv_doc


@pytest.fixture
def osv_server(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "www"
    for ecosystem, package in (("PyPI", "torch"), ("Go", "example.com/mod")):
        (root / ecosystem).mkdir(parents=True)
        with zipfile.ZipFile(root / ecosystem / "all.zip", "w", zipfile.ZIP_DEFLATED) as out:
            for n in range(3):
                doc = osv_doc(f"{ecosystem.upper()}-2025-{n}", package=package,
                              ecosystem=ecosystem, aliases=(f"CVE-2025-{1000 + n}",))
                out.writestr(f"{ecosystem.upper()}-2025-{n}.json", json.dumps(doc))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_update_fetches_and_imports(osv_server: str, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.sqlite"
    args = ["db", "update", "--db", str(db), "--osv-url", osv_server, "-e", "PyPI", "-e", "Go",
            "--json"]
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["sources"]["osv"]["new"] == 6
    with SqliteStore(db) as store:
        # the fetched 3 + 3, and the starter pack's 25 PyPI records: part of every store
        assert store.stats()["osv_by_ecosystem"] == {"Go": 3, "PyPI": 3 + 25}
    with pytest.raises(SystemExit):
        main(args)  # again: nothing changes
    assert json.loads(capsys.readouterr().out)["sources"]["osv"]["unchanged"] == 6


def test_update_reports_http_errors(osv_server: str, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["db", "update", "--db", str(tmp_path / "s.sqlite"), "--osv-url", osv_server,
              "-e", "npm"])
    assert exit_info.value.code == 3
    assert "HTTP 404" in capsys.readouterr().err


def test_coverage_on_real_corpora(real_store: tuple[SqliteStore, ImportReport]) -> None:
    store, _ = real_store
    data = coverage(store)
    assert data["sides"]["both"] == data["pairwise_overlap"]["cnvd+osv"] > 1_000
    assert data["groups_by_source"]["cnvd"] > 100_000
    lag = data["lag_days"]
    assert lag["chinese_later"]["n"] + lag["western_later"]["n"] + lag["same_day"] <= lag["pairs"]
    assert 0 < lag["chinese_later"]["median"] < 365
    assert lag["chinese_later"]["p90"] < 3650  # placeholder dates (year 1) are ignored
