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
    from stackrift.estate.loader import LoadedEstate

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


def _estate_of(upload: Upload) -> LoadedEstate:
    from stackrift.estate.loader import validate_document
    from stackrift.estate.yamlsource import load_located

    _require(upload, UploadKind.ESTATE)
    return validate_document(load_located(Path(upload.name),
                                          text=upload.content.decode("utf-8-sig")))


def _newest(db: Session, project_id: int, kind: UploadKind) -> list[Upload]:
    from stackrift.server.services.uploads import latest_uploads

    ids = [i for (k, _), i in latest_uploads(db, project_id).items() if k == kind.value]
    return list(db.scalars(select(Upload).where(Upload.id.in_(ids)).order_by(Upload.id)))


def obligations_of_upload(db: Session, actor: Principal, upload_id: int, as_of: date
                          ) -> dict[str, Any]:
    """``stackrift compliance obligations --format json`` on an estate upload, with the
    project's newest controls file (its status tables) when there is one."""
    from stackrift.compliance.views import (
        DISCLAIMER,
        caveat_table,
        obligation_rows_table,
        obligation_table,
        reuse_table,
        run_compliance,
        status_table,
    )

    upload = upload_row(db, actor, upload_id)
    loaded = _estate_of(upload)
    controls = _newest(db, upload.project_id, UploadKind.CONTROLS)[-1:]
    with tempfile.TemporaryDirectory(prefix="stackrift-controls-") as scratch:
        path = None
        if controls:
            path = Path(scratch) / PurePosixPath(controls[0].name).name
            path.write_bytes(controls[0].content)
        outcome = run_compliance(loaded.estate, as_of, controls=path, with_plan=False)
    tables = [obligation_table(outcome.verdicts), obligation_rows_table(outcome.verdicts)]
    if outcome.statuses is not None:
        tables += [status_table(outcome.statuses), reuse_table(outcome.statuses)]
    if outcome.caveats:
        tables.append(caveat_table(outcome.caveats))
    return {"estate": upload.name, "controls": controls[0].name if controls else None,
            "disclaimer": DISCLAIMER, "caveats": list(outcome.caveats),
            "tables": [t.to_json() for t in tables]}


def transfers_of_upload(db: Session, actor: Principal, upload_id: int, as_of: date
                        ) -> dict[str, Any]:
    """``stackrift transfers --format json`` on an estate upload, with the project's newest
    rule pack uploads added to the packaged packs."""
    from stackrift.estate.implied import with_implied_flows
    from stackrift.rules.engine import load_rule_set
    from stackrift.rules.views import evaluate_all, transfers_json

    upload = upload_row(db, actor, upload_id)
    loaded = _estate_of(upload)
    packs = _newest(db, upload.project_id, UploadKind.RULES)
    with tempfile.TemporaryDirectory(prefix="stackrift-rules-") as scratch:
        folder = Path(scratch)
        for number, pack in enumerate(packs):
            (folder / f"{number:04d}-{PurePosixPath(pack.name).name}").write_bytes(pack.content)
        rules = load_rule_set((folder,) if packs else ())
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
