"""Bounded reads: a regular file is read whole whatever its reported size, never past the limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackrift.boundedio import read_bounded
from stackrift.errors import InvalidInputError

PROC_FILE = Path("/proc/self/maps")  # a regular file that reports size 0 and holds more


def test_regular_file_is_read_whole(tmp_path: Path) -> None:
    for size in (0, 1, 8191, 8192, 70_000):
        path = tmp_path / f"{size}.bin"
        path.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
        assert read_bounded(path, size) == path.read_bytes()


def test_regular_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * 1001)
    with pytest.raises(InvalidInputError, match=r"file is 1,001 bytes"):
        read_bounded(path, 1000)


def test_file_holding_more_than_its_size_is_read_to_the_limit() -> None:
    """A file that grew after it was measured (here one whose reported size is 0) is read on,
    and still refused past the limit."""
    if not PROC_FILE.is_file() or PROC_FILE.stat().st_size != 0:
        pytest.skip("no /proc file that reports size 0 on this system")
    assert read_bounded(PROC_FILE, 1 << 20).startswith(PROC_FILE.read_bytes()[:20])
    with pytest.raises(InvalidInputError, match=r"file holds more data.*10 bytes"):
        read_bounded(PROC_FILE, 10)
