"""Reading input files with a size limit that holds for every kind of file.

``stat().st_size`` is 0 for character devices (``/dev/zero``), FIFOs and process substitutions,
so a size check before ``read_bytes()`` does not bound them: a reader given ``/dev/zero`` would
read until memory runs out. Every input is therefore read through :func:`read_bounded`, which
refuses a regular file larger than its limit before reading anything and stops reading any
other file one byte past the limit.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from stackrift.errors import InvalidInputError


def size_text(count: int) -> str:
    """``33,554,432 bytes (32 MiB)``: exact, and readable at a glance."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale and count % scale == 0:
            return f"{count:,} bytes ({count // scale} {unit})"
    return f"{count:,} bytes"


def too_large(path: str | Path, what: str, limit: int) -> InvalidInputError:
    """The error for an input over its limit, naming the limit."""
    return InvalidInputError.single(path, f"{what}, more than the limit of {size_text(limit)}",
                                    f"a file of at most {size_text(limit)}")


def read_bounded(path: Path, limit: int) -> bytes:
    """The file's bytes; more than ``limit`` bytes (of any kind of file) is an error naming it."""
    try:
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                data = handle.read(limit + 1)
            elif info.st_size > limit:
                raise too_large(path, f"file is {info.st_size:,} bytes", limit)
            else:
                # a read asks for what the file holds: read(n) allocates n bytes up front,
                # which for a small file costs more than reading it; one more byte (and the
                # rest, up to the limit) in case the file grew since it was measured
                data = handle.read(info.st_size + 1)
                if len(data) > info.st_size:
                    data += handle.read(limit - len(data) + 1)
    except OSError as exc:
        raise InvalidInputError.single(path, f"cannot read file ({exc.strerror or exc})",
                                       "an existing, readable file") from exc
    if len(data) > limit:
        kind = "file" if stat.S_ISREG(info.st_mode) else "device or pipe"
        raise too_large(path, f"{kind} holds more data (reading stopped there)", limit)
    return data


def read_prefix(path: Path, limit: int) -> bytes:
    """At most the first ``limit`` bytes of the file (for inputs where only a head is used)."""
    try:
        with path.open("rb") as handle:
            return handle.read(limit)
    except OSError as exc:
        raise InvalidInputError.single(path, f"cannot read file ({exc.strerror or exc})",
                                       "an existing, readable file") from exc
