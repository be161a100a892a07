"""``db update``: download current feeds and import them (atomically, like ``db import``).

OSV publishes one ``all.zip`` per ecosystem (https://google.github.io/osv.dev/data/); those are
fetched. CNVD and CNNVD publish no unauthenticated bulk feed, so their releases are imported from
files with ``db import``. Downloads are size-bounded and go to a temporary folder that is
removed afterwards. Only https is fetched (plain http only from this machine), redirects are
held to the same rule, and each download has an overall deadline besides a per-read timeout.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from stackrift.advisories.importer import import_paths
from stackrift.advisories.interface import AdvisoryWriter
from stackrift.advisories.model import ImportReport
from stackrift.errors import StackRiftError, UsageError

OSV_BASE_URL = "https://osv-vulnerabilities.storage.googleapis.com"
DEFAULT_ECOSYSTEMS = ("PyPI", "Go", "npm", "Maven", "crates.io")
MAX_DOWNLOAD = 1024 * 1024 * 1024
CHUNK = 1 << 20
READ_TIMEOUT = 60.0  # seconds one connect or read may stall
DEADLINE = 30 * 60.0  # seconds a whole download may take (1 GiB at ~0.6 MB/s)
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class UpdateError(StackRiftError):
    """A feed could not be downloaded (network, HTTP status, size, time, refused redirect)."""


def url_problem(url: str) -> str | None:
    """Why ``url`` may not be fetched, or ``None``: only https, and plain http only to this
    machine (a local mirror or a test server); no credentials in the URL."""
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host:
        return None if parts.username is None else "credentials in the URL are not sent"
    if parts.scheme == "http" and host in LOCAL_HOSTS:
        return None
    if parts.scheme == "http":
        return "plain http is only allowed to 127.0.0.1 or localhost; use https"
    return f"scheme '{parts.scheme or '(none)'}' is not fetched; use https"


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to a URL that could have been asked for directly."""

    def http_error_302(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                       headers: Any) -> Any:
        location = headers.get("location") or headers.get("uri")
        if location:
            target = urllib.parse.urljoin(req.full_url, location)
            problem = url_problem(target)
            if problem:
                raise UpdateError(f"{req.full_url}: redirect to {target} refused ({problem})")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


_OPENER = urllib.request.build_opener(_CheckedRedirects())


def download(url: str, target: Path, *, timeout: float = READ_TIMEOUT,
             deadline: float = DEADLINE, limit: int = MAX_DOWNLOAD) -> Path:
    """Fetch ``url`` into ``target``: at most ``limit`` bytes within ``deadline`` seconds in
    all (a server dripping bytes cannot hold the update forever), each read stalling at most
    ``timeout`` seconds; redirects are checked like the URL itself."""
    problem = url_problem(url)
    if problem:
        raise UsageError(f"{url}: refused ({problem})")
    give_up = time.monotonic() + deadline
    try:
        with _OPENER.open(url, timeout=min(timeout, deadline)) as response, \
                target.open("wb") as handle:
            size = 0
            # read1 returns what has arrived, so the deadline is checked between small reads
            while chunk := response.read1(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise UpdateError(f"{url}: larger than {limit:,} bytes; refused")
                if time.monotonic() > give_up:
                    raise UpdateError(f"{url}: download not finished within the {deadline:g} s "
                                      f"deadline ({size:,} bytes received); refused")
                handle.write(chunk)
    except urllib.error.HTTPError as exc:
        raise UpdateError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise UpdateError(f"{url}: cannot download ({getattr(exc, 'reason', exc)})") from exc
    return target


def update(store: AdvisoryWriter, *, ecosystems: Sequence[str] = DEFAULT_ECOSYSTEMS,
           base_url: str = OSV_BASE_URL,
           progress: Callable[[str], None] | None = None,
           deadline: float = DEADLINE) -> ImportReport:
    """Download each ecosystem's OSV ``all.zip`` and import them all in one transaction."""
    folder = Path(tempfile.mkdtemp(prefix="stackrift-update-"))
    try:
        files = []
        for ecosystem in ecosystems:
            url = f"{base_url.rstrip('/')}/{urllib.parse.quote(ecosystem)}/all.zip"
            if progress:
                progress(url)
            name = ecosystem.replace("/", "_").replace(":", "_")
            files.append(download(url, folder / f"{name}-all.zip", deadline=deadline))
        return import_paths(store, files, forced="osv")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
