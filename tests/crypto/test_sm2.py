"""SM3 against the GB/T 32905-2016 examples; SM2 verification against bad input."""

from __future__ import annotations

import pytest

from stackrift.crypto import sm2


def test_sm3_standard_examples() -> None:
    assert sm2.sm3(b"abc").hex() == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
    assert sm2.sm3(b"abcd" * 16).hex() == (
        "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732")


def test_generator_is_on_the_curve_and_junk_keys_are_refused() -> None:
    assert sm2.on_curve(sm2.GX, sm2.GY)
    with pytest.raises(ValueError, match="65 bytes"):
        sm2.public_point(b"\x04" + b"\x00" * 10)
    with pytest.raises(ValueError, match="not a point"):
        sm2.public_point(b"\x04" + b"\x01" * 64)


def test_out_of_range_signatures_are_rejected() -> None:
    key = b"\x04" + sm2.GX.to_bytes(32, "big") + sm2.GY.to_bytes(32, "big")
    assert not sm2.verify(key, b"m", 0, 1)
    assert not sm2.verify(key, b"m", 1, sm2.N)
    assert not sm2.verify(key, b"m", 1, sm2.N - 1)  # r + s = n
