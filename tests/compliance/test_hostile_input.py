"""Hostile or malformed files give input errors, never tracebacks."""

from __future__ import annotations

import contextlib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackrift.compliance.loader import load_controls, load_crosswalk, load_framework
from stackrift.compliance.oscal import read_catalog
from stackrift.errors import InputError

from .helpers import DATA, packaged

FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=60,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

SEEDS = [(DATA / "user-frameworks" / "acme-policy.yaml").read_text(encoding="utf-8"),
         (DATA / "user-frameworks" / "acme-crosswalk.yaml").read_text(encoding="utf-8"),
         (DATA / "controls.yaml").read_text(encoding="utf-8")]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    if not text:
        return text
    at = draw(st.integers(0, len(text) - 1))
    junk = draw(st.text(alphabet=st.sampled_from(list(":{}[]-&*!|>'\"#\n\t ,?%@`x1")),
                        max_size=6))
    cut = draw(st.integers(0, 5))
    return text[:at] + junk + text[at + cut:]


@FUZZ
@given(text=mutated())
def test_mutated_files_raise_only_input_errors(tmp_path: Path, text: str) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    for load in (lambda: load_framework(path), lambda: load_crosswalk(path),
                 lambda: load_controls(path, packaged())):
        with contextlib.suppress(InputError):
            load()


@FUZZ
@given(data=st.binary(max_size=200))
def test_random_bytes_as_oscal_raise_only_input_errors(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "c.json"
    path.write_bytes(data)
    with contextlib.suppress(InputError):
        read_catalog(path)


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        load_framework(path)
    except InputError as exc:
        assert "bomb.yaml" in str(exc)
    else:
        raise AssertionError("an alias bomb was accepted")


COMPONENT = {"component-definition": {"uuid": "a7ba800c-a432-44cd-9075-0862cd66da6b",
                                      "components": [{
    "title": "GRC", "props": [{"name": "implementation-status", "value": "partial"}],
    "control-implementations": [{
        "source": "#r1", "props": [{"name": "framework", "ns": "urn:stackrift:oscal",
                                    "value": "eu-ai-act"}],
        "implemented-requirements": [{"control-id": "art9"}, {"control-id": "art12"}]}]}],
    "back-matter": {"resources": [{"uuid": "r1", "rlinks": [{"href": "sp800-53.json"}]}]}}}
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["components", "control-implementations", "implemented-requirements",
                         "control-id", "props", "name", "value", "ns", "source", "uuid",
                         "back-matter", "resources", "rlinks", "title"]), inner, max_size=3),
    max_leaves=8)


def _paths(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found += _paths(child, (*path, i))
    return found


@FUZZ
@given(data=st.data())
def test_mutated_component_definitions_raise_only_input_errors(tmp_path: Path,
                                                               data: st.DataObject) -> None:
    import copy
    import json

    from stackrift.compliance.oscal_import import load_control_file

    document = copy.deepcopy(COMPONENT)
    at = data.draw(st.sampled_from(_paths(document)[1:]))
    parent: object = document
    for key in at[:-1]:
        parent = parent[key]  # type: ignore[index]
    parent[at[-1]] = data.draw(JSON_VALUES)  # type: ignore[index]
    path = tmp_path / "component.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with contextlib.suppress(InputError):
        load_control_file(path, packaged())
