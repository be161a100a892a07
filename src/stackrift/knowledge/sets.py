"""Which knowledge set is active, and the one resolver every data loader goes through.

Order: a folder chosen for this process (``--knowledge DIR`` calls :func:`select_knowledge`),
else ``$STACKRIFT_KNOWLEDGE`` (a folder, or ``packaged``), else the set installed by
``stackrift knowledge update`` in the user's data folder, else the set shipped in the package.
Installed and chosen folders are verified against their manifest before first use; a set that
fails verification is an error, never silently replaced by another one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from stackrift.errors import InputError, InvalidInputError

if TYPE_CHECKING:
    from stackrift.knowledge.manifest import Manifest

APP_NAME = "stackrift"
ENV_SET = "STACKRIFT_KNOWLEDGE"
ENV_HOME = "STACKRIFT_KNOWLEDGE_HOME"
ACTIVE_POINTER = "active"
SETS_FOLDER = "sets"
PACKAGED_MANIFEST = "knowledge/packaged.json"


class KnowledgeSource(StrEnum):
    """Where the active knowledge set comes from."""

    PACKAGED = "packaged"
    INSTALLED = "installed"
    DIRECTORY = "directory"


@dataclass(frozen=True)
class KnowledgeStamp:
    """What a report records about the knowledge it was produced with."""

    version: str
    date: date
    source: KnowledgeSource
    location: str | None
    digest: str

    def __str__(self) -> str:
        where = f" at {self.location}" if self.location else ""
        return f"{self.version} ({self.date.isoformat()}, {self.source.value}{where})"

    def to_json(self) -> dict[str, str | None]:
        return {"version": self.version, "date": self.date.isoformat(),
                "source": self.source.value, "location": self.location, "digest": self.digest}


@dataclass(frozen=True)
class KnowledgeSet:
    """A knowledge set: its folder (holding the sections), manifest and origin."""

    root: Path
    manifest: Manifest
    source: KnowledgeSource
    location: str | None

    def section(self, name: str) -> Path:
        """The folder of one section, e.g. ``rules/packs``."""
        return self.root / name

    def stamp(self) -> KnowledgeStamp:
        return KnowledgeStamp(self.manifest.version, self.manifest.date, self.source,
                              self.location, self.manifest.digest())


_selected: list[Path] = []


def select_knowledge(folder: Path | None) -> None:
    """Use ``folder`` as the knowledge set for the rest of this process (``None``: undo)."""
    _selected.clear()
    if folder is not None:
        _selected.append(folder)


def knowledge_home() -> Path:
    """``$STACKRIFT_KNOWLEDGE_HOME`` or ``knowledge`` in the user's data folder."""
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env)
    return _default_home()


@cache
def _default_home() -> Path:
    # platformdirs works the folder out afresh on every call; loaders ask thousands of times
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME)) / "knowledge"


def packaged_root() -> Path:
    return Path(str(resources.files("stackrift")))


@cache
def packaged_set() -> KnowledgeSet:
    """The set shipped in the package (trusted like the code; a test keeps its manifest true)."""
    from stackrift.knowledge.manifest import read_manifest

    root = packaged_root()
    return KnowledgeSet(root, read_manifest(root / PACKAGED_MANIFEST), KnowledgeSource.PACKAGED,
                        None)


@cache
def _verified_folder(folder: str, source: KnowledgeSource) -> KnowledgeSet:
    from stackrift.knowledge.manifest import MANIFEST_NAME, read_manifest, verify_files

    root = Path(folder)
    if not root.is_dir():
        raise InvalidInputError.single(root, "knowledge set folder not found",
                                       "a folder holding manifest.json and the data sections")
    manifest = read_manifest(root / MANIFEST_NAME)
    problems = verify_files(root, manifest)
    if problems:
        raise InvalidInputError(problems)
    return KnowledgeSet(root, manifest, source, str(root))


def open_folder(folder: Path, source: KnowledgeSource = KnowledgeSource.DIRECTORY
                ) -> KnowledgeSet:
    """A knowledge set folder, verified against its manifest (once per process)."""
    return _verified_folder(str(folder.resolve()), source)


def installed_folder() -> Path | None:
    """The folder of the installed set, or ``None`` when none is installed."""
    pointer = knowledge_home() / ACTIVE_POINTER
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(f"{pointer}: cannot read the installed knowledge pointer "
                         f"({exc.strerror})") from exc
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise InputError(f"{pointer}: '{name}' is not a knowledge set name; expected the name "
                         "written by 'stackrift knowledge update'")
    return knowledge_home() / SETS_FOLDER / name


def active_knowledge() -> KnowledgeSet:
    """The knowledge set every loader reads (see the module docstring for the order).

    Loaders ask for every look-up, so the answer is kept while nothing it depends on changed:
    the selected folder, the two environment variables and the installed pointer file.
    """
    env_set, env_home = os.environ.get(ENV_SET), os.environ.get(ENV_HOME)
    key = (tuple(_selected), env_set, env_home, _stat_key(_pointer_path(env_home)))
    if _active and _active[0][0] == key:
        return _active[0][1]
    found = _resolve_active(env_set, env_home)
    _active[:] = [(key, found)]
    return found


_active: list[tuple[object, KnowledgeSet]] = []


@cache
def _pointer_path(env_home: str | None) -> str:
    return str((Path(env_home) if env_home else _default_home()) / ACTIVE_POINTER)


def _stat_key(path: str) -> tuple[int, int, int] | None:
    try:
        status = os.stat(path)  # noqa: PTH116 - a str path: this runs thousands of times
    except OSError:
        return None
    return (status.st_ino, status.st_mtime_ns, status.st_size)


def _choice(env: str | None, env_home: str | None) -> Path | KnowledgeSource:
    """Which set the module's order makes active, reading no file: a folder (chosen for the
    process, or named by ``$STACKRIFT_KNOWLEDGE``), the installed set (its pointer exists, or
    cannot be checked: :func:`installed_folder` then reports the trouble), or the packaged set."""
    if _selected:
        return _selected[0]
    if env == KnowledgeSource.PACKAGED.value:
        return KnowledgeSource.PACKAGED
    if env:
        return Path(env)
    try:
        os.stat(_pointer_path(env_home))  # noqa: PTH116 - a str path, as _stat_key reads it
    except FileNotFoundError:
        return KnowledgeSource.PACKAGED
    except OSError:
        pass
    return KnowledgeSource.INSTALLED


def _resolve_active(env: str | None, env_home: str | None) -> KnowledgeSet:
    choice = _choice(env, env_home)
    if isinstance(choice, Path):
        return open_folder(choice)
    if choice is KnowledgeSource.INSTALLED:
        installed = installed_folder()
        if installed is not None:  # (the pointer went away since it was checked)
            return open_folder(installed, KnowledgeSource.INSTALLED)
    return packaged_set()


def knowledge_path(section: str) -> Path:
    """The folder of ``section`` (e.g. ``catalog/data``) in the active knowledge set.

    When that is the packaged set, its folder is known without reading its manifest (trusted
    like the code), so a command that only reads a section's files loads no manifest model."""
    choice = _choice(os.environ.get(ENV_SET), os.environ.get(ENV_HOME))
    if choice is KnowledgeSource.PACKAGED:
        return packaged_root() / section
    return active_knowledge().section(section)
