"""The knowledge-set manifest: a version, a date and the SHA-256 of every file.

A knowledge set is a folder laid out like the package's own data folders::

    manifest.json
    catalog/data/*.yaml        provenance catalogue
    rules/packs/*.yaml         transfer rule packs
    rules/data/*.yaml          the rules' provider table
    plan/scenarios/*.yaml      policy-shock scenarios
    plan/data/*.yaml           EAR Country Groups and runtime support
    crypto/packs/*.yaml        the algorithm and TLS registries
    crypto/packs/regimes/*.yaml  crypto regime packs

``manifest.json`` names every other file with its size and SHA-256; a set holding a file the
manifest does not name, or missing one it names, is refused.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path, PurePosixPath

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stackrift.errors import InvalidInputError, Location, Problem

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
SECTIONS = ("catalog/data", "rules/packs", "rules/data", "plan/scenarios", "plan/data",
            "crypto/packs", "crypto/packs/regimes")
REQUIRED_FILES = ("catalog/data/catalogue.yaml", "plan/data/country_groups.yaml",
                  "plan/data/runtime_support.yaml", "rules/data/providers.yaml")
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_FILES = 1000
MAX_MANIFEST_BYTES = 1024 * 1024
# Section, then one plain file name: no sub-folders, no "..", no hidden files.
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.(yaml|yml|json)$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class FileEntry(BaseModel):
    """One file of the set: its size in bytes and SHA-256 (lower-case hex)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sha256: str = Field(pattern=_SHA256.pattern)
    size: int = Field(ge=0, le=MAX_FILE_BYTES)


class Manifest(BaseModel):
    """What a knowledge set declares about itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: int = Field(description="Manifest format; 1 is the only one so far.")
    version: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
    date: date
    description: str | None = Field(default=None, max_length=2000)
    files: dict[str, FileEntry]

    def digest(self) -> str:
        """SHA-256 over the sorted file table: identifies exactly which data were used."""
        table = "".join(f"{name}\0{entry.sha256}\n" for name, entry in sorted(self.files.items()))
        return hashlib.sha256(table.encode()).hexdigest()

    def to_json(self) -> str:
        data = self.model_dump(mode="json", exclude_none=True)
        data["files"] = dict(sorted(data["files"].items()))
        return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"


def path_problem(name: str) -> str | None:
    """Why ``name`` may not be a file of a knowledge set; ``None`` when it may."""
    pure = PurePosixPath(name)
    if "\\" in name or pure.is_absolute() or ".." in pure.parts:
        return "path leaves the knowledge set (absolute, '..' or backslash)"
    section, _, file_name = name.rpartition("/")
    if section not in SECTIONS:
        return f"not in a knowledge section ({', '.join(SECTIONS)})"
    if not _FILE_NAME.match(file_name):
        return "file name is not a plain *.yaml, *.yml or *.json name"
    return None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def set_files(root: Path) -> Iterator[str]:
    """Every data file under ``root``'s sections, as set-relative POSIX paths, sorted."""
    found = []
    for section in SECTIONS:
        folder = root / section
        if folder.is_dir():
            found += [f"{section}/{p.name}" for p in folder.iterdir()
                      if p.is_file() and _FILE_NAME.match(p.name)]
    yield from sorted(found)


def build_manifest(root: Path, version: str, day: date, description: str | None = None
                   ) -> Manifest:
    """A manifest for the data files under ``root`` (not written anywhere)."""
    files = {name: FileEntry(sha256=sha256_file(root / name), size=(root / name).stat().st_size)
             for name in set_files(root)}
    try:
        return Manifest(format=MANIFEST_FORMAT, version=version, date=day,
                        description=description, files=files)
    except ValidationError as exc:
        raise InvalidInputError.single(root, f"cannot build a manifest: {exc.errors()[0]['msg']}",
                                       "a version like 2026.12.1 and files within limits") from exc


def read_manifest(path: Path) -> Manifest:
    """Parse and check a manifest file; every problem names the file and the entry."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidInputError.single(path, f"no knowledge manifest ({exc.strerror})",
                                       f"a {MANIFEST_NAME} naming every file of the set") from exc
    if size > MAX_MANIFEST_BYTES:
        raise InvalidInputError.single(path, f"manifest is {size:,} bytes",
                                       f"at most {MAX_MANIFEST_BYTES:,} bytes")
    try:
        raw = orjson.loads(path.read_bytes())
        manifest = Manifest.model_validate(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInputError.single(path, f"not JSON ({exc})", "a JSON manifest") from exc
    except ValidationError as exc:
        problems = [Problem(Location(str(path)), f"{'.'.join(map(str, e['loc'])) or 'manifest'}: "
                            f"{e['msg']}", "format, version, date and files (sha256, size)")
                    for e in exc.errors()]
        raise InvalidInputError(problems) from exc
    problems = manifest_problems(path, manifest)
    if problems:
        raise InvalidInputError(problems)
    return manifest


def manifest_problems(path: Path, manifest: Manifest) -> list[Problem]:
    """Format, file names, count and required files of a parsed manifest."""
    where = Location(str(path))
    problems = []
    if manifest.format != MANIFEST_FORMAT:
        problems.append(Problem(where, f"manifest format {manifest.format} is not supported",
                                f"format {MANIFEST_FORMAT}"))
    if len(manifest.files) > MAX_FILES:
        problems.append(Problem(where, f"{len(manifest.files)} files", f"at most {MAX_FILES}"))
    for name in sorted(manifest.files):
        why = path_problem(name)
        if why:
            problems.append(Problem(where, f"file '{name}': {why}",
                                    "section/name.yaml inside the set"))
    problems += [Problem(where, f"required file '{name}' is not in the manifest",
                         "every required file listed") for name in REQUIRED_FILES
                 if name not in manifest.files]
    return problems


def verify_files(root: Path, manifest: Manifest) -> list[Problem]:
    """Every file the manifest names is present with its size and SHA-256; nothing else is.

    Symbolic links are refused: a set must not reach outside its folder.
    """
    problems: list[Problem] = []
    present = _present_files(root, problems)
    for name, entry in sorted(manifest.files.items()):
        where = Location(str(root / name))
        if name not in present:
            problems.append(Problem(where, "file named in the manifest is missing",
                                    "every manifest file present"))
            continue
        size = (root / name).stat().st_size
        if size != entry.size or size > MAX_FILE_BYTES:
            problems.append(Problem(where, f"size {size:,} bytes differs from the manifest "
                                    "(changed or tampered with)",
                                    f"{entry.size:,} bytes as the manifest says"))
        elif sha256_file(root / name) != entry.sha256:
            problems.append(Problem(where, "SHA-256 differs from the manifest (changed or "
                                    "tampered with)", f"sha256 {entry.sha256}"))
    problems += [Problem(Location(str(root / name)), "file not named in the manifest",
                         "only the manifest's files") for name in sorted(present)
                 if name not in manifest.files]
    return problems


def _present_files(root: Path, problems: list[Problem]) -> set[str]:
    present: set[str] = set()
    for entry in sorted(root.rglob("*")):
        relative = entry.relative_to(root).as_posix()
        if relative == MANIFEST_NAME:
            continue
        if entry.is_symlink():
            problems.append(Problem(Location(str(entry)), "symbolic link in a knowledge set",
                                    "plain files only"))
        elif entry.is_file():
            present.add(relative)
        elif entry.is_dir() and not any(s == relative or s.startswith(relative + "/")
                                        for s in SECTIONS):
            problems.append(Problem(Location(str(entry)), "folder not part of a knowledge set",
                                    f"only {', '.join(SECTIONS)}"))
    return present
