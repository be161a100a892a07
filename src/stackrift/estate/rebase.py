"""File references of an estate, rebased for an estate written to another folder.

The estate names SBOMs, CBOMs, certificates and probe results relative to the estate file. An
estate derived from another (a planned layout, say) and written elsewhere must still find them,
or its assessment would not look at them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from stackrift.crypto.model import CryptoBlock, CryptoProfile
from stackrift.estate.model import System

# the fields that hold file paths, by the record that has them
_FILE_FIELDS: tuple[tuple[type[BaseModel], tuple[str, ...]], ...] = (
    (System, ("sboms",)),
    (CryptoBlock, ("probes",)),
    (CryptoProfile, ("cboms", "certificates")),
)

Model = TypeVar("Model", bound=BaseModel)


def _moved(name: str, source_dir: Path, target_dir: Path) -> str:
    """``name`` (relative to ``source_dir``) as seen from ``target_dir``: relative when both
    folders share a root, absolute otherwise; an absolute name is kept."""
    if Path(name).is_absolute():
        return name
    where = (source_dir / name).resolve()
    try:
        return Path(os.path.relpath(where, target_dir.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return str(where)


def _walk(value: Any, source_dir: Path, target_dir: Path) -> Any:
    if isinstance(value, BaseModel):
        return rebase_files(value, source_dir, target_dir)
    if isinstance(value, tuple):
        return tuple(_walk(v, source_dir, target_dir) for v in value)
    if isinstance(value, list):
        return [_walk(v, source_dir, target_dir) for v in value]
    if isinstance(value, dict):
        return {k: _walk(v, source_dir, target_dir) for k, v in value.items()}
    return value


def rebase_files(record: Model, source_dir: Path, target_dir: Path) -> Model:
    """``record`` (an estate or any part of it) with every file reference that is relative to
    ``source_dir`` rewritten to resolve from ``target_dir``."""
    if source_dir.resolve() == target_dir.resolve():
        return record
    paths = {name for kind, names in _FILE_FIELDS if isinstance(record, kind) for name in names}
    update: dict[str, Any] = {}
    for name in type(record).model_fields:
        value = getattr(record, name)
        if name in paths:
            new = tuple(_moved(str(v), source_dir, target_dir) for v in value)
        else:
            new = _walk(value, source_dir, target_dir)
        if new != value:
            update[name] = new
    return record.model_copy(update=update) if update else record
