"""Uploads: every file is checked by the library's own reader before anything is stored, then
kept as an immutable, hashed version (a new upload of the same kind and name is the next one)."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path, PurePosixPath

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stackrift.errors import InputError, InvalidInputError, Location, Problem
from stackrift.server.db.tables import Project, Upload, get_row
from stackrift.server.errors import NotFoundError
from stackrift.server.services.audit import record
from stackrift.server.services.projects import project_row
from stackrift.server.services.views import UploadView
from stackrift.server.tenancy import Principal, Role


class UploadKind(StrEnum):
    ESTATE = "estate"
    SBOM = "sbom"
    CONTROLS = "controls"
    RULES = "rules"
    VEX = "vex"
    WAIVERS = "waivers"
    CRYPTO = "crypto"  # a CBOM, certificates (PEM/DER) or a probe result a crypto block names


_NAME_LIMIT = 200


def check_name(name: str) -> str:
    """A relative POSIX path without ``..`` (it is where the file lands for an assessment,
    relative to the estate, as the estate's ``sboms`` entries name it)."""
    problem = None
    path = PurePosixPath(name)
    if not name or len(name) > _NAME_LIMIT or "\\" in name or "\x00" in name:
        problem = f"must be 1 to {_NAME_LIMIT} characters, without backslashes"
    elif path.is_absolute() or any(part in {"..", "."} for part in path.parts):
        problem = "must be a relative path without '.' or '..' parts"
    elif any(ord(c) < 32 for c in name):
        problem = "must not contain control characters"
    if problem:
        raise InvalidInputError.single("upload", f"file name {name!r} {problem}",
                                       "a name such as estate.yaml or sboms/app.cdx.json")
    return str(path)


def _decoded(name: str, content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError.single(name, f"not valid UTF-8 at byte {exc.start}",
                                       "a UTF-8 encoded YAML or JSON file") from exc


def _check_estate(name: str, content: bytes, _folder: Path) -> None:
    from stackrift.estate.loader import validate_document
    from stackrift.estate.yamlsource import load_located

    validate_document(load_located(Path(name), text=_decoded(name, content)))


def _check_rules(name: str, content: bytes, folder: Path) -> None:
    """The pack alone, then with the packaged packs (ids must not clash)."""
    from stackrift.rules.engine import load_rule_set
    from stackrift.rules.loader import load_pack

    load_pack(Path(name), text=_decoded(name, content))
    _written(folder, PurePosixPath(name).name, content)
    load_rule_set((folder,))


def _check_controls(name: str, content: bytes, _folder: Path) -> None:
    from stackrift.compliance.loader import load_controls, load_library

    load_controls(Path(name), load_library(()), text=_decoded(name, content))


def _check_sbom(name: str, content: bytes, folder: Path) -> None:
    from stackrift.bom.base import read_bom

    read_bom(_written(folder, name, content))


def _check_vex(name: str, content: bytes, folder: Path) -> None:
    from stackrift.advisories.vex import load_vex

    load_vex(_written(folder, name, content))


def _check_waivers(name: str, content: bytes, folder: Path) -> None:
    from stackrift.advisories.vex import load_waivers

    load_waivers(_written(folder, name, content))


def _check_crypto(name: str, content: bytes, folder: Path) -> None:
    """Read as the crypto analysis will: a probe result (JSON with a ``profile``), a CBOM
    (other JSON) or certificates."""
    import orjson

    from stackrift.crypto.endpoints import load_probed_profile
    from stackrift.crypto.loader import load_registry
    from stackrift.crypto.readers.cbom import read_cbom
    from stackrift.crypto.readers.x509 import read_certificates

    path = _written(folder, name, content)
    if not content.lstrip().startswith(b"{"):
        read_certificates(path, load_registry())
        return
    try:
        probe = isinstance(document := orjson.loads(content), dict) and "profile" in document
    except orjson.JSONDecodeError:
        probe = False  # the CBOM reader names the problem
    if probe:
        load_probed_profile(path)
    else:
        read_cbom(path, load_registry())


def _written(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


_CHECKS: dict[UploadKind, Callable[[str, bytes, Path], None]] = {
    UploadKind.ESTATE: _check_estate, UploadKind.SBOM: _check_sbom,
    UploadKind.CONTROLS: _check_controls, UploadKind.RULES: _check_rules,
    UploadKind.VEX: _check_vex, UploadKind.WAIVERS: _check_waivers,
    UploadKind.CRYPTO: _check_crypto}


def _named(exc: InputError, folder: Path) -> InputError:
    """The error with the scratch folder taken out of file names (the user knows the name)."""
    prefix = str(folder) + "/"
    if isinstance(exc, InvalidInputError):
        return InvalidInputError([Problem(Location(p.location.file.removeprefix(prefix),
                                                   p.location.line, p.location.column),
                                          p.message, p.expected) for p in exc.problems])
    return type(exc)(str(exc).replace(prefix, ""))


_YAML_KINDS = frozenset({UploadKind.ESTATE, UploadKind.RULES, UploadKind.CONTROLS,
                         UploadKind.WAIVERS})


def check_upload(kind: UploadKind, name: str, content: bytes) -> None:
    """Read the file with the library's reader for its kind; raises its located errors."""
    from stackrift.estate.yamlsource import MAX_FILE_BYTES

    if kind in _YAML_KINDS and len(content) > MAX_FILE_BYTES:
        raise InvalidInputError.single(name, f"larger than {MAX_FILE_BYTES} bytes",
                                       "a YAML or JSON file within the library's limit")
    with tempfile.TemporaryDirectory(prefix="stackrift-upload-") as scratch:
        folder = Path(scratch)
        try:
            _CHECKS[kind](name, content, folder)
        except InputError as exc:
            raise _named(exc, folder) from None


def add_upload(db: Session, actor: Principal, project_id: int, kind: UploadKind, name: str,
               content: bytes) -> UploadView:
    """Check and store one file as the next version of (kind, name) in the project."""
    project = project_row(db, actor, project_id, Role.ANALYST)
    name = check_name(name)
    check_upload(kind, name, content)
    latest = db.scalar(select(func.max(Upload.version)).where(
        Upload.project_id == project_id, Upload.kind == kind.value, Upload.name == name))
    digest = hashlib.sha256(content).hexdigest()
    upload = Upload(project_id=project_id, kind=kind.value, name=name,
                    version=(latest or 0) + 1, sha256=digest, size=len(content),
                    content=content, created_by=actor.user_id)
    db.add(upload)
    db.flush()
    record(db, actor, "upload", "upload", upload.id, project.unit_id, project=project_id,
           kind=kind.value, name=name, version=upload.version, sha256=digest)
    if kind is UploadKind.RULES:
        _reassess(db, project)
    return UploadView.model_validate(upload)


def _reassess(db: Session, project: Project) -> None:
    """A new rule pack can change any finding: re-assess the newest estate of a project that
    has been assessed before."""
    from stackrift.server.db.tables import Assessment
    from stackrift.server.services.assessments import reassess_project

    if db.scalar(select(Assessment.id).where(Assessment.project_id == project.id).limit(1)):
        reassess_project(db, project, "rule-pack-uploaded")


def upload_row(db: Session, actor: Principal, upload_id: int) -> Upload:
    upload = get_row(db, Upload, upload_id)
    if upload is None:
        raise NotFoundError("upload")
    project_row(db, actor, upload.project_id)
    return upload


def get_upload(db: Session, actor: Principal, upload_id: int) -> UploadView:
    return UploadView.model_validate(upload_row(db, actor, upload_id))


def upload_content(db: Session, actor: Principal, upload_id: int) -> tuple[UploadView, bytes]:
    upload = upload_row(db, actor, upload_id)
    return UploadView.model_validate(upload), upload.content


def list_uploads(db: Session, actor: Principal, project_id: int,
                 kind: UploadKind | None = None) -> list[UploadView]:
    project_row(db, actor, project_id)
    query = select(Upload).where(Upload.project_id == project_id)
    if kind is not None:
        query = query.where(Upload.kind == kind.value)
    query = query.order_by(Upload.kind, Upload.name, Upload.version)
    return [UploadView.model_validate(u) for u in db.scalars(query)]


def latest_uploads(db: Session, project_id: int) -> dict[tuple[str, str], int]:
    """The id of the newest version of every (kind, name) in a project (no tenancy check:
    callers have made it)."""
    latest: dict[tuple[str, str], int] = {}
    rows = db.execute(select(Upload.id, Upload.kind, Upload.name)
                      .where(Upload.project_id == project_id).order_by(Upload.version))
    for upload_id, kind, name in rows:
        latest[(kind, name)] = upload_id
    return latest
