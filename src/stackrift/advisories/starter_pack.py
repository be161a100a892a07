"""The packaged starter advisory pack: part of every store.

It is imported when a store is created and again whenever the packaged pack changes (a new
StackRift), whatever else the store holds, so findings about the AI stack never depend on the
order of commands. Importing it is idempotent, and it never overwrites what a feed imported:
a starter record replaces a stored record of the same id only when its ``modified`` is newer.
The version imported is kept in the store (``meta``), so ``db stats`` can report it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from stackrift.advisories.interface import AdvisoryReader, AdvisoryStore
from stackrift.advisories.model import ImportReport
from stackrift.advisories.stored import StoredRecord

META_KEY = "starter_pack"
LABEL = "starter"
VERSION_FILE = "starter.json"  # beside the pack: its version (see starter_version)


def starter_pack_path() -> Path:
    """The packaged starter advisory pack (OSV, CVE 5 and CNVD files)."""
    return Path(str(resources.files("stackrift.advisories") / "starter"))


def _files() -> list[Path]:
    root = starter_pack_path()
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != "README.md")


@lru_cache(maxsize=1)
def starter_version() -> str:
    """The packaged pack's version: a digest of its files (:func:`pack_digest`), kept beside
    them in ``starter.json`` so that opening a store (every scan) reads one small file instead of
    hashing the pack; the tests check that the two agree."""
    import orjson

    path = Path(str(resources.files("stackrift.advisories") / VERSION_FILE))
    return str(orjson.loads(path.read_bytes())["version"])


def pack_digest() -> str:
    """A digest of the pack's files: changes whenever a StackRift release changes the pack."""
    import hashlib

    root = starter_pack_path()
    digest = hashlib.sha256()
    for path in _files():
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class StarterStatus:
    """What a store holds of the starter pack."""

    version: str | None  # the version imported, if any
    current: bool  # the version this StackRift packages

    def as_json(self) -> dict[str, Any]:
        return {"imported_version": self.version, "packaged_version": starter_version(),
                "current": self.current, "path": "advisories/starter (packaged)"}


def starter_status(store: AdvisoryReader) -> StarterStatus:
    version = store.describe().meta.get(META_KEY)
    return StarterStatus(version, version == starter_version())


def _newer(candidate: str | None, stored: str | None) -> bool:
    return candidate is not None and (stored is None or candidate > stored)


def ensure_starter(store: AdvisoryStore) -> ImportReport | None:
    """Import the starter pack unless this version of it is already in the store.

    Returns what the import did, or None when nothing had to be done."""
    held = store.describe()
    if held.meta.get(META_KEY) == starter_version():
        return None
    from stackrift.advisories.importer import stored_records  # (and the feed parsers)

    report = ImportReport()
    records = list(stored_records(_files(), report))
    stored = store.modified_of((r.source, r.id) for r in records)
    kept: list[StoredRecord] = [r for r in records if (r.source, r.id) not in stored
                                or _newer(r.modified, stored[(r.source, r.id)])]
    # a store holding nothing else stays labelled as the starter pack
    label = LABEL if held.records == 0 or held.content_label == LABEL else None
    store.apply_import(kept, report, label)
    store.set_meta(META_KEY, starter_version())
    return report
