"""Safe YAML reading with locations."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackrift.errors import InvalidInputError
from stackrift.estate import yamlsource
from stackrift.estate.yamlsource import load_located


def test_locations_of_values_and_keys(tmp_path: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text("a:\n  b: [1, two]\n  c: {d: true}\n", encoding="utf-8")
    doc = load_located(path)
    assert doc.data == {"a": {"b": [1, "two"], "c": {"d": True}}}
    assert str(doc.locate(("a", "b", 1))) == f"{path}:2:10"
    assert str(doc.locate(("a", "c"), key=True)) == f"{path}:3:3"
    # An absent path falls back to the nearest enclosing value.
    assert str(doc.locate(("a", "c", "missing"))) == f"{path}:3:6"


def test_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlsource, "MAX_FILE_BYTES", 10)
    path = tmp_path / "big.yaml"
    path.write_text("a: 0123456789\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"file is 14 bytes, more than the limit of 10"):
        load_located(path)


def test_non_string_key_rejected(tmp_path: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text("? [1, 2]\n: x\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="mapping key \\[1, 2\\] is not a string"):
        load_located(path)


def test_byte_order_mark_accepted(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}')
    assert load_located(path).data == {"a": 1}


def test_remembered_tags_and_direct_text_match_the_safe_loader(tmp_path: Path) -> None:
    """Tags remembered per plain text, and text and nulls taken without the constructor's
    dispatch, give exactly what PyYAML's own safe loader gives, quoted or not, repeated or not."""
    import yaml

    scalars = ["yes", "'yes'", "no", "1", "'1'", "0x1f", "1_000", "1.5", ".inf", "null", "~",
               "''", "2026-11-29", "'2026-11-29'", "2026-11-29T10:00:00Z", "CN", '"CN"', "True",
               "on", "-", "0o17", "1e3"]
    text = "items:\n" + "".join(f"  - {s}\n  - {s}\n" for s in scalars) + "keys:\n" + "".join(
        f"  {s}: {n}\n" for n, s in enumerate(["a", "'b'", "c d", "'1x'"]))
    path = tmp_path / "doc.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_located(path).data == yaml.load(text, Loader=yaml.SafeLoader)
    assert yamlsource.load_yaml_data(text, "doc") == yaml.load(text, Loader=yaml.SafeLoader)
