"""`db update` fetches only https (plain http only from this machine), holds redirects to the
same rule, and abandons a download that exceeds its overall deadline."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from stackrift.advisories.update import UpdateError, download
from stackrift.cli import main
from stackrift.errors import UsageError


class _Handler(http.server.BaseHTTPRequestHandler):
    """``/drip``: 1 byte every 50 ms of a 10,000-byte body; ``/to?url``: a 302 to ``url``."""

    def do_GET(self) -> None:
        if self.path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "10000")
            self.end_headers()
            try:
                for _ in range(10000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.05)
            except (BrokenPipeError, ConnectionResetError):
                return
        elif self.path.startswith("/to?"):
            self.send_response(302)
            self.send_header("Location", self.path[4:])
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_local_http_is_fetched(server: str, tmp_path: Path) -> None:
    assert download(f"{server}/ok", tmp_path / "out").read_bytes() == b"ok"


def test_slow_drip_stops_at_the_overall_deadline(server: str, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(UpdateError, match=r"not finished within the 0.5 s deadline"):
        download(f"{server}/drip", tmp_path / "out", timeout=5.0, deadline=0.5)
    assert time.monotonic() - started < 3.0  # not 500 s of dripping, not the read timeout


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/all.zip",
                                    "http://192.0.2.1/all.zip", "gopher://127.0.0.1/x"])
def test_redirect_to_another_scheme_or_remote_http_is_refused(server: str, tmp_path: Path,
                                                               target: str) -> None:
    started = time.monotonic()
    with pytest.raises(UpdateError, match=rf"redirect to {target} refused"):
        download(f"{server}/to?{target}", tmp_path / "out", timeout=2.0)
    assert time.monotonic() - started < 1.5  # refused before any connection is tried
    assert not (tmp_path / "out").exists() or (tmp_path / "out").read_bytes() == b""


@pytest.mark.parametrize("url", ["http://192.0.2.1/all.zip", "ftp://example.org/all.zip",
                                 "file:///etc/passwd"])
def test_only_https_is_fetched_from_elsewhere(tmp_path: Path, url: str) -> None:
    with pytest.raises(UsageError, match="refused"):
        download(url, tmp_path / "out", timeout=1.0)


def test_cli_refuses_plain_http_mirror(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                       ) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["db", "update", "--db", str(tmp_path / "s.sqlite"), "--osv-url",
              "http://192.0.2.1", "-e", "PyPI"])
    assert exit_info.value.code == 2
    assert "plain http is only allowed to 127.0.0.1 or localhost" in capsys.readouterr().err
