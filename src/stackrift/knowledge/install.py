"""Install a knowledge set from a folder, a ``.tar.gz`` file or an https URL, atomically.

The new set is staged in a temporary folder beside the installed sets, verified against its
manifest (every file's size and SHA-256; no file missing, none extra, no links, no path leaving
the set), validated by loading its catalogue, rule packs, scenarios and tables, renamed into
place, and only then made active by replacing the one-line ``active`` pointer file with
``os.replace``. A failure at any step leaves the previously active set untouched.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import yaml

from stackrift import __version__
from stackrift.errors import InputError, InvalidInputError
from stackrift.knowledge.manifest import (
    MANIFEST_NAME,
    MAX_FILE_BYTES,
    MAX_FILES,
    Manifest,
    path_problem,
    read_manifest,
    verify_files,
)
from stackrift.knowledge.sets import (
    ACTIVE_POINTER,
    SETS_FOLDER,
    KnowledgeSet,
    KnowledgeSource,
    installed_folder,
    knowledge_home,
    open_folder,
)

MAX_ARCHIVE_BYTES = 64 * 1024 * 1024
MAX_SET_BYTES = 128 * 1024 * 1024
DOWNLOAD_DEADLINE_SECONDS = 120.0
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class KnowledgeSetError(InputError):
    """A knowledge set could not be fetched, unpacked or installed."""


def install(source: str, *, deadline: float = DOWNLOAD_DEADLINE_SECONDS) -> KnowledgeSet:
    """Verify, validate and activate the set at ``source`` (folder, .tar.gz file or URL)."""
    sets = knowledge_home() / SETS_FOLDER
    try:
        sets.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=sets))
    except OSError as exc:
        raise KnowledgeSetError(f"{sets}: cannot create the knowledge folder ({exc.strerror})"
                                ) from exc
    try:
        staged = staging / "set"
        _stage(source, staged, staging, deadline)
        manifest = verify_set(staged)
        validate_set(staged)
        final = sets / f"{manifest.version}-{manifest.digest()[:12]}"
        previous = _previous()
        _place(staged, final)
        _activate(final.name)
        _prune(sets, keep={final.name, previous})
        return open_folder(final, KnowledgeSource.INSTALLED)
    except OSError as exc:
        raise KnowledgeSetError(f"{sets}: cannot install the knowledge set "
                                f"({exc.strerror or exc}); the active set is unchanged") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _previous() -> str:
    """The name of the installed set, kept to go back to ('' when none or unreadable)."""
    try:
        folder = installed_folder()
    except InputError:
        return ""
    return folder.name if folder else ""


def _place(staged: Path, final: Path) -> None:
    """Rename the staged set into place; the same set installed meanwhile is as good."""
    if final.exists():
        return
    try:
        staged.rename(final)
    except OSError:
        if not final.is_dir():
            raise


def uninstall() -> Path | None:
    """Go back to the packaged set; returns the folder that was active, if any (a damaged
    pointer is removed all the same)."""
    try:
        previous = installed_folder()
    except InputError:
        previous = None
    (knowledge_home() / ACTIVE_POINTER).unlink(missing_ok=True)
    return previous


def verify_set(root: Path) -> Manifest:
    """The set's manifest, after checking every file against it (raises on any problem)."""
    manifest = read_manifest(root / MANIFEST_NAME)
    problems = verify_files(root, manifest)
    if problems:
        raise InvalidInputError(problems)
    return manifest


def validate_set(root: Path) -> None:
    """Load everything the set holds the way StackRift will, so a broken set is refused now."""
    from stackrift.catalog.catalogue import load_catalogue
    from stackrift.knowledge.facts import read_facts
    from stackrift.plan.groups import load_country_groups
    from stackrift.plan.scenario import load_scenario
    from stackrift.rules.loader import load_rules

    load_catalogue(root / "catalog" / "data")
    load_rules((root / "rules" / "packs",), include_packaged=False)
    for path in sorted((root / "plan" / "scenarios").glob("*.yaml")):
        load_scenario(path)
    _table(root / "plan" / "data" / "country_groups.yaml", load_country_groups.__wrapped__)
    _table(root / "plan" / "data" / "runtime_support.yaml",
           lambda p: {k: dict(v) for k, v in yaml.safe_load(p.read_text("utf-8"))["runtimes"]
                      .items()})
    _table(root / "rules" / "data" / "providers.yaml",
           lambda p: dict(yaml.safe_load(p.read_text("utf-8"))["providers"]))
    _crypto_packs(root / "crypto" / "packs")
    read_facts(root)


def _crypto_packs(folder: Path) -> None:
    """The crypto registry and regime packs, when the set carries them (older sets do not)."""
    if not folder.is_dir():
        return
    from stackrift.crypto.loader import load_regime, load_registry_files

    registry = load_registry_files(folder / "algorithms.yaml", folder / "tls.yaml")
    for path in sorted((folder / "regimes").glob("*.yaml")):
        load_regime(path, registry)


def _table(path: Path, reader: Callable[[Path], Any]) -> None:
    try:
        reader(path)
    except (KeyError, TypeError, ValueError, AttributeError, yaml.YAMLError) as exc:
        raise InvalidInputError.single(path, f"cannot be read ({type(exc).__name__}: {exc})",
                                       "the same layout as the packaged file") from exc


def _stage(source: str, staged: Path, scratch: Path, deadline: float) -> None:
    if "://" in source:
        archive = scratch / "download.tar.gz"
        download(source, archive, deadline=deadline)
        extract_archive(archive, staged)
        return
    path = Path(source)
    if path.is_dir():
        copy_set(path, staged)
    elif path.is_file():
        extract_archive(path, staged)
    else:
        raise KnowledgeSetError(f"{source}: no such folder or file; expected a knowledge-set "
                                "folder, a .tar.gz of one, or an https URL")


def export_set(knowledge: KnowledgeSet, target: Path) -> list[str]:
    """Copy the set's data files and its manifest into the new folder ``target``, to edit and
    publish; returns the files written."""
    if target.exists() and any(target.iterdir()):
        raise KnowledgeSetError(f"{target}: folder is not empty; expected a new or empty folder")
    names = sorted(knowledge.manifest.files)
    for name in names:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(knowledge.root / name, destination)
    (target / MANIFEST_NAME).write_text(knowledge.manifest.to_json(), encoding="utf-8")
    return names


def copy_set(source: Path, target: Path) -> None:
    """Copy the manifest's files (after verifying them in place) into ``target``."""
    manifest = verify_set(source)
    for name in [MANIFEST_NAME, *manifest.files]:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, destination, follow_symlinks=False)


def extract_archive(archive: Path, target: Path) -> None:
    """Unpack a .tar.gz of a knowledge set: plain files only, every name checked, sizes bounded."""
    if archive.stat().st_size > MAX_ARCHIVE_BYTES:
        raise KnowledgeSetError(f"{archive}: archive larger than {MAX_ARCHIVE_BYTES:,} bytes")
    target.mkdir(parents=True, exist_ok=True)
    total = count = 0
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                count += 1
                if count > MAX_FILES * 2:
                    raise KnowledgeSetError(f"{archive}: more than {MAX_FILES * 2} entries")
                name = member.name.removeprefix("./")
                if member.isdir() and name in ("", ".", *_folders()):
                    continue
                why = _member_problem(member, name)
                if why:
                    raise KnowledgeSetError(f"{archive}: entry '{member.name}': {why}")
                total += member.size
                if total > MAX_SET_BYTES:
                    raise KnowledgeSetError(f"{archive}: unpacks to more than "
                                            f"{MAX_SET_BYTES:,} bytes")
                _write_member(tar.extractfile(member), target / name, member.size)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise KnowledgeSetError(f"{archive}: not a readable .tar.gz ({exc})") from exc


def _folders() -> tuple[str, ...]:
    from stackrift.knowledge.manifest import SECTIONS

    return tuple({*SECTIONS, *(s.partition("/")[0] for s in SECTIONS)})


def _member_problem(member: tarfile.TarInfo, name: str) -> str | None:
    if not member.isfile():
        return "not a plain file (links, devices and extra folders are refused)"
    if name != MANIFEST_NAME:
        why = path_problem(name)
        if why:
            return why
    if member.size > MAX_FILE_BYTES:
        return f"{member.size:,} bytes; at most {MAX_FILE_BYTES:,}"
    return None


def _write_member(handle: IO[bytes] | None, destination: Path, size: int) -> None:
    if handle is None:
        raise KnowledgeSetError(f"{destination.name}: archive entry has no content")
    destination.parent.mkdir(parents=True, exist_ok=True)
    with handle, destination.open("xb") as out:  # "x": a repeated entry is refused
        out.write(handle.read(size))


def check_url(url: str) -> None:
    """Only https, or plain http to this machine (a local mirror or a test server)."""
    parsed = urllib.parse.urlsplit(url)
    host = (parsed.hostname or "").lower()
    if parsed.scheme == "https" and host:
        return
    if parsed.scheme == "http" and host in LOCAL_HOSTS:
        return
    raise KnowledgeSetError(f"{url}: refused; expected an https URL (plain http only to "
                            "127.0.0.1 or localhost)")


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to a URL the same rule allows."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: Any, newurl: str) -> urllib.request.Request | None:
        check_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def download(url: str, target: Path, *, deadline: float = DOWNLOAD_DEADLINE_SECONDS,
             max_bytes: int = MAX_ARCHIVE_BYTES) -> None:
    """Fetch ``url`` into ``target``, refusing more than ``max_bytes`` or ``deadline`` seconds."""
    check_url(url)
    started = time.monotonic()
    opener = urllib.request.build_opener(_CheckedRedirects())
    # check_url allowed only https (or http to this machine); redirects are checked the same way.
    request = urllib.request.Request(url, headers={"User-Agent": f"stackrift/{__version__}"})  # noqa: S310
    received = 0
    try:
        with opener.open(request, timeout=min(30.0, deadline)) as response, \
                target.open("wb") as out:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise KnowledgeSetError(f"{url}: {int(declared):,} bytes; at most {max_bytes:,}")
            while block := response.read(1 << 16):
                received += len(block)
                if received > max_bytes:
                    raise KnowledgeSetError(f"{url}: more than {max_bytes:,} bytes")
                if time.monotonic() - started > deadline:
                    raise KnowledgeSetError(f"{url}: download took longer than {deadline:g} s")
                out.write(block)
    except urllib.error.HTTPError as exc:
        raise KnowledgeSetError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise KnowledgeSetError(f"{url}: cannot download ({reason})") from exc


def _activate(name: str) -> None:
    """Point ``active`` at the set ``name``: written aside, then swapped in by one rename."""
    home = knowledge_home()
    fd, temporary = tempfile.mkstemp(prefix=".active-", dir=home)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    Path(temporary).replace(home / ACTIVE_POINTER)


def _prune(sets: Path, keep: set[str]) -> None:
    """Remove installed sets other than the active and the previous one (kept to go back)."""
    for entry in sets.iterdir():
        if entry.name not in keep and not entry.name.startswith(".") and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
