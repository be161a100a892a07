"""What the command line does with a file, done on uploaded content: validate, transfers,
scan. The library does the work; these functions only fetch the upload and check access."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackrift.server.db.tables import Upload
from stackrift.server.errors import ConflictError
from stackrift.server.services.uploads import UploadKind, check_name, check_upload, upload_row
from stackrift.server.tenancy import Principal

if TYPE_CHECKING:
    from stackrift.advisories.sources import AdvisorySource

ESTATE_PARTS = ("entities", "sites", "systems", "components", "data_flows")


def validate_content(kind: UploadKind, name: str, content: bytes) -> dict[str, Any]:
    """Check a file without storing it (raises the library's located errors)."""
    name = check_name(name)
    check_upload(kind, name, content)
    document: dict[str, Any] = {"file": name, "kind": kind.value, "valid": True}
    if kind is UploadKind.ESTATE:
        from stackrift.estate.loader import validate_document
        from stackrift.estate.yamlsource import load_located

        estate = validate_document(load_located(Path(name),
                                                text=content.decode("utf-8-sig"))).estate
        document["counts"] = {k: len(getattr(estate, k)) for k in ESTATE_PARTS}
    return document


def validate_upload(db: Session, actor: Principal, upload_id: int) -> dict[str, Any]:
    upload = upload_row(db, actor, upload_id)
    return validate_content(UploadKind(upload.kind), upload.name, upload.content)


def _require(upload: Upload, kind: UploadKind) -> None:
    if upload.kind != kind.value:
        raise ConflictError(f"upload {upload.id} is a {upload.kind} upload; this needs "
                            f"a {kind.value}")


def transfers_of_upload(db: Session, actor: Principal, upload_id: int, as_of: date
                        ) -> dict[str, Any]:
    """``stackrift transfers --format json`` on an estate upload, with the project's newest
    rule pack uploads added to the packaged packs."""
    from stackrift.estate.implied import with_implied_flows
    from stackrift.estate.loader import validate_document
    from stackrift.estate.yamlsource import load_located
    from stackrift.rules.engine import load_rule_set
    from stackrift.rules.views import evaluate_all, transfers_json
    from stackrift.server.services.uploads import latest_uploads

    upload = upload_row(db, actor, upload_id)
    _require(upload, UploadKind.ESTATE)
    loaded = validate_document(load_located(Path(upload.name),
                                            text=upload.content.decode("utf-8-sig")))
    rule_ids = [i for (kind, _), i in latest_uploads(db, upload.project_id).items()
                if kind == UploadKind.RULES.value]
    with tempfile.TemporaryDirectory(prefix="stackrift-rules-") as scratch:
        folder = Path(scratch)
        for number, pack in enumerate(db.scalars(select(Upload).where(Upload.id.in_(rule_ids)))):
            (folder / f"{number:04d}-{PurePosixPath(pack.name).name}").write_bytes(pack.content)
        rules = load_rule_set((folder,) if rule_ids else ())
        result = evaluate_all(with_implied_flows(loaded.estate), as_of, rules)
    return transfers_json(result, upload.name)


def scan_upload(db: Session, actor: Principal, upload_id: int, as_of: date,
                source: AdvisorySource) -> dict[str, Any]:
    """``stackrift scan --format json`` on an SBOM upload, against the server's advisories."""
    from stackrift.advisories.scan import scan_json
    from stackrift.analyses.vulnerabilities import run_scan
    from stackrift.bom.base import read_bom
    from stackrift.catalog.catalogue import load_catalogue

    upload = upload_row(db, actor, upload_id)
    _require(upload, UploadKind.SBOM)
    with tempfile.TemporaryDirectory(prefix="stackrift-scan-") as scratch:
        path = Path(scratch) / PurePosixPath(upload.name).name
        path.write_bytes(upload.content)
        document = read_bom(path)
    result = run_scan(document, db=None, catalogue=load_catalogue(), as_of=as_of,
                      source=source)
    answer = scan_json(result)
    answer["file"] = upload.name
    answer["store_caveats"] = list(result.store.caveats)
    return answer
