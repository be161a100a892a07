"""Validated copies of knowledge files (catalogue, rule packs), kept as JSON in the user's cache
folder so that a command does not parse the same YAML again.

Reading YAML with locations (for error messages) and validating it costs a command tens of
milliseconds per knowledge section; validating the same data from JSON costs a few. A copy is
keyed by a SHA-256 over the files' names and bytes and over the source of the modules that
validate and check them, so any change to either makes a new key. It is only ever written from
data this program validated and checked, and it is validated again in full when read (JSON
through the pydantic models, never pickle); a copy that is missing, unreadable, corrupt or
invalid is ignored and rebuilt from the YAML. ``STACKRIFT_CACHE_DIR`` names another folder; set
to the empty string it turns the copies off.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from stackrift.boundedio import read_bounded
from stackrift.errors import InvalidInputError

if TYPE_CHECKING:
    from pydantic import BaseModel

ENV_CACHE = "STACKRIFT_CACHE_DIR"
MAX_COPY_BYTES = 64 * 1024 * 1024

ModelT = TypeVar("ModelT", bound="BaseModel")


def cache_folder() -> Path | None:
    """``$STACKRIFT_CACHE_DIR`` (empty: no copies), else the user's cache folder."""
    configured = os.environ.get(ENV_CACHE)
    if configured is not None:
        return Path(configured) if configured else None
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("stackrift"))


def copy_key(form: bytes, modules: Iterable[str], files: Iterable[tuple[str, bytes]]
             ) -> str | None:
    """SHA-256 over ``form`` (the copy's format), the named modules' source and each
    (name, bytes) file; ``None`` when a module's source cannot be read."""
    digest = hashlib.sha256(form)
    try:
        for name in modules:
            source = _source_file(name)
            if source is None:
                return None
            digest.update(Path(source).read_bytes())
    except (OSError, ImportError, ValueError):
        return None
    for name, data in files:
        digest.update(f"\0{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def _source_file(module: str) -> str | None:
    """The file a module is (or would be) loaded from, without importing it."""
    loaded = sys.modules.get(module)
    if loaded is not None:
        return getattr(loaded, "__file__", None)
    from importlib.util import find_spec

    spec = find_spec(module)
    return spec.origin if spec is not None and spec.has_location else None


def _path(kind: str, key: str) -> Path | None:
    folder = cache_folder()
    return None if folder is None else folder / f"{kind}-{key}.json"


def read_copy(kind: str, key: str, model: type[ModelT]) -> ModelT | None:
    """The copy of ``kind`` under ``key``, validated; ``None`` when there is no usable copy."""
    from pydantic import ValidationError

    payload = read_copy_bytes(kind, key)
    if payload is None:
        return None
    try:
        return model.model_validate_json(payload)
    except (ValidationError, ValueError):
        return None


def read_copy_bytes(kind: str, key: str) -> bytes | None:
    """The bytes of the copy of ``kind`` under ``key``, for a caller that validates them in
    full itself; ``None`` when there is no readable copy."""
    path = _path(kind, key)
    if path is None or not path.is_file():
        return None
    try:
        return read_bounded(path, MAX_COPY_BYTES)
    except InvalidInputError:
        return None


def write_copy(kind: str, key: str, payload: bytes) -> None:
    """Keep ``payload`` (JSON of data the caller validated and checked) under ``key``; a folder
    that cannot be written only means no copy."""
    path = _path(kind, key)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under another name, then renamed: a reader never sees half a file.
        handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{kind}-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(payload)
            Path(scratch).replace(path)
        except BaseException:
            Path(scratch).unlink(missing_ok=True)
            raise
    except OSError:
        return
