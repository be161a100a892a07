"""``db update``: download current feeds and import them (atomically, like ``db import``).

OSV publishes one ``all.zip`` per ecosystem (https://google.github.io/osv.dev/data/); those are
fetched. CNVD and CNNVD publish no unauthenticated bulk feed, so their releases are imported from
files with ``db import``. Downloads are size-bounded and go to a temporary folder that is
removed afterwards.
"""

from __future__ import annotations

import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

from stackrift.advisories.importer import import_paths
from stackrift.advisories.model import ImportReport
from stackrift.advisories.store import AdvisoryStore
from stackrift.errors import StackRiftError

OSV_BASE_URL = "https://osv-vulnerabilities.storage.googleapis.com"
DEFAULT_ECOSYSTEMS = ("PyPI", "Go", "npm", "Maven", "crates.io")
MAX_DOWNLOAD = 1024 * 1024 * 1024
CHUNK = 1 << 20


class UpdateError(StackRiftError):
    """A feed could not be downloaded (network, HTTP status, size)."""


def download(url: str, target: Path, *, timeout: float = 60.0,
             limit: int = MAX_DOWNLOAD) -> Path:
    """Fetch ``url`` into ``target``, refusing more than ``limit`` bytes."""
    if not url.startswith(("https://", "http://")):
        raise UpdateError(f"{url}: only http(s) URLs are fetched")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, \
                target.open("wb") as handle:  # noqa: S310 (scheme checked above)
            size = 0
            while chunk := response.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise UpdateError(f"{url}: larger than {limit} bytes; refused")
                handle.write(chunk)
    except urllib.error.HTTPError as exc:
        raise UpdateError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise UpdateError(f"{url}: cannot download ({getattr(exc, 'reason', exc)})") from exc
    return target


def update(store: AdvisoryStore, *, ecosystems: Sequence[str] = DEFAULT_ECOSYSTEMS,
           base_url: str = OSV_BASE_URL,
           progress: Callable[[str], None] | None = None) -> ImportReport:
    """Download each ecosystem's OSV ``all.zip`` and import them all in one transaction."""
    folder = Path(tempfile.mkdtemp(prefix="stackrift-update-"))
    try:
        files = []
        for ecosystem in ecosystems:
            url = f"{base_url.rstrip('/')}/{urllib.parse.quote(ecosystem)}/all.zip"
            if progress:
                progress(url)
            name = ecosystem.replace("/", "_").replace(":", "_")
            files.append(download(url, folder / f"{name}-all.zip"))
        return import_paths(store, files, forced="osv")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
