"""Safe YAML reading with locations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

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


def _by_nodes(text: str) -> tuple[Any, ...]:
    node = yamlsource._compose(text)
    if node is None:
        return ("empty",)
    builder = yamlsource._Builder("f")
    data = builder.build(node, ())
    return _outcome(data, builder)


def _by_events(text: str) -> tuple[Any, ...] | None:
    builder = yamlsource._Builder("f")
    try:
        found, data = yamlsource._EventBuilder(builder).run(text)
    except yamlsource._UnusualDocumentError:
        return None
    return _outcome(data, builder) if found else ("empty",)


def _outcome(data: Any, builder: Any) -> tuple[Any, ...]:
    return (data, [str(p) for p in builder.problems],
            sorted((k, m.line, m.column) for k, m in builder.values.items()),
            sorted((k, m.line, m.column) for k, m in builder.keys.items()))


TRICKY = ["a: 1\na: 2\n", "1: x\n2.5: y\ntrue: z\n~: n\n", "d: 2026-13-01\n",
          "a: [1, {b: 2, b: 3}]\n", "x:\n  - a\n  - [b, c]\n  - {d: e}\n",
          "'q': \"r\"\nplain: yes\nn: null\ne: ''\n", "---\n", "", "# only a comment\n",
          "[1, 2, {a: b}]\n", "scalar\n", "k: ! 12\n", "a: {x: 1}\na: {y: 2}\n",
          "t: 2026-01-01\nf: 1.5\ni: 0x10\n0x10: hex\n", "a: 1\n---\nb: 2\n", "k: !!str 12\n",
          "? [a, b]\n: c\n", "a: b: c\n"]


def test_values_from_events_equal_values_from_nodes() -> None:
    """Estates, packs and fixtures are read straight from libyaml's events; every value,
    location, key location and problem must be what the node path gives (documents the event
    path leaves to the node path are skipped here and read there)."""
    root = Path(__file__).parents[2]
    files = [p for folder in ("src", "tests", "docs") for p in (root / folder).rglob("*.y*ml")]
    compared = 0
    for text in [*TRICKY, *(p.read_text(encoding="utf-8-sig") for p in files)]:
        try:
            expected = _by_nodes(text)
        except yaml.YAMLError:
            assert _by_events(text) is None
            continue
        got = _by_events(text)
        if got is not None:
            assert got == expected, text[:200]
            compared += 1
    assert compared > 50


PLAIN_TRICKY = [*TRICKY, "a: 1\nb: 2.5\nc: true\nd: ~\ne: 2021-01-01\nf: 2021-01-01T10:00:00Z\n",
                "- a\n- b: c\n  d: [1, 2, {e: f}]\n", "<<: {a: 1}\n", "= : x\n",
                "a: &x 1\nb: *x\n", "a: !tag x\n", "[1, 2", "a: \"\\u00e9\"\n", "x: [[[[deep]]]]\n",
                "a: 0o17\nb: .inf\nc: 1_000\nd: 190:20:30\ne: on\n", "a: |\n  block\nb: >\n  f\n",
                "'key': !!binary aGVsbG8=\n", "k: [a, {b: [c, {d: e}]}]\n"]


def _loaded(load: Any, text: str) -> tuple[str, str]:
    try:
        return ("value", repr(load(text, "f")))
    except InvalidInputError as exc:
        return ("error", repr([str(p) for p in exc.problems]))


def test_plain_loader_equals_load_yaml_data(shared_data: Path) -> None:
    """OSV YAML records are read straight from libyaml's events when plain; values and errors
    must be what load_yaml_data gives, on every YAML file of the repository and of the PyPA
    advisory corpus and on tricky documents (anything unusual takes load_yaml_data itself)."""
    root = Path(__file__).parents[2]
    files = [p for folder in ("src", "tests", "docs") for p in (root / folder).rglob("*.y*ml")]
    files += sorted((shared_data / "osv-pypa").rglob("*.yaml"))
    built = 0
    for text in [*PLAIN_TRICKY, *(p.read_text(encoding="utf-8-sig") for p in files)]:
        expected = _loaded(yamlsource.load_yaml_data, text)
        assert _loaded(yamlsource.load_plain_yaml_data, text) == expected, text[:200]
        try:
            yamlsource._plain_from_events(text)
            built += 1
        except yamlsource._UnusualDocumentError:
            pass
    assert built > 2000


def _located(text: str, load: Any) -> tuple[Any, ...]:
    try:
        doc = load("f", text)
    except InvalidInputError as exc:
        return ("error", [str(p) for p in exc.problems])
    return (repr(doc.data), sorted((k, str(v)) for k, v in doc.value_locations.items()),
            sorted((k, str(v)) for k, v in doc.key_locations.items()))


def test_values_read_before_their_marks_equal_the_located_builders(shared_data: Path) -> None:
    """A document is read without marks and located again only when a location is asked for;
    its values, every location and every problem must be what building it with its marks
    gives, on every YAML file of the repository and of the PyPA corpus and on tricky
    documents (documents with a problem or anything unusual are built with their marks)."""
    root = Path(__file__).parents[2]
    files = [p for folder in ("src", "tests", "docs") for p in (root / folder).rglob("*.y*ml")]
    files += sorted((shared_data / "osv-pypa").rglob("*.yaml"))[:600]
    deferred = 0
    for text in [*PLAIN_TRICKY, *(p.read_text(encoding="utf-8-sig") for p in files)]:
        expected = _located(text, yamlsource._load_located_now)
        assert _located(text, lambda name, t: load_located(Path(name), text=t)) == expected, (
            text[:200])
        deferred += yamlsource._located_later("f", text) is not None
    assert deferred > 500
    assert yamlsource._located_later("f", "a: 1\na: 2\n") is None  # reported with its place


def test_marks_are_found_once_and_only_when_asked_for(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text("a:\n  - b: 1\n", encoding="utf-8")
    calls: list[str] = []
    located_now = yamlsource._load_located_now

    def counted(name: str, text: str) -> Any:
        calls.append(name)
        return located_now(name, text)
    monkeypatch.setattr(yamlsource, "_load_located_now", counted)
    doc = load_located(path)
    assert doc.data == {"a": [{"b": 1}]} and calls == []
    assert str(doc.locate(("a", 0, "b"))) == f"{path}:2:8"
    assert str(doc.locate(("a", 0, "b"), key=True)) == f"{path}:2:5"
    assert len(calls) == 1


def test_an_estate_read_without_its_marks_locates_as_one_read_with_them(
        demo_estate: Path) -> None:
    from stackrift.estate.loader import load_estate

    now, later = load_estate(demo_estate), load_estate(demo_estate, locate_now=False)
    assert now.estate == later.estate
    for collection in ("entities", "sites", "components", "systems", "data_flows"):
        for record in now.document.data.get(collection, []):
            assert (now.locate(collection, record["id"], "id")
                    == later.locate(collection, record["id"], "id"))
