"""Python lock files and installed environments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackrift.bom.base import read_bom
from stackrift.bom.environment import read_environment
from stackrift.errors import InvalidInputError

SHA_A = "a" * 64
SHA_B = "b" * 64

PYLOCK = f"""
lock-version = "1.0"
created-by = "pip"
requires-python = ">=3.11"

[[packages]]
name = "Requests"
version = "2.32.3"
marker = "python_version >= '3.8'"
dependencies = [{{name = "urllib3"}}]
sdist = {{ url = "https://files/requests.tar.gz", hashes = {{ sha256 = "{SHA_A}" }} }}
wheels = [{{ name = "requests-2.32.3-py3-none-any.whl", hashes = {{ sha256 = "{SHA_B}" }} }}]

[[packages]]
name = "urllib3"
version = "2.2.2"
"""

POETRY = f"""
[[package]]
name = "torch"
version = "2.3.1"
description = "Tensors and Dynamic neural networks"
optional = false
python-versions = ">=3.8"
files = [
    {{file = "torch-2.3.1-cp311-none-macosx_11_0_arm64.whl", hash = "sha256:{SHA_A}"}},
]

[package.dependencies]
numpy = "*"

[[package]]
name = "numpy"
version = "1.26.4"
description = ""
optional = false
python-versions = ">=3.9"
files = []

[metadata]
lock-version = "2.0"
python-versions = "^3.11"
content-hash = "abc"
"""

UV = f"""
version = 1
requires-python = ">=3.11"

[[package]]
name = "app"
version = "0.1.0"
source = {{ editable = "." }}
dependencies = [{{ name = "transformers" }}]

[[package]]
name = "transformers"
version = "4.44.0"
source = {{ registry = "https://pypi.org/simple" }}
sdist = {{ url = "https://files/t.tar.gz", hash = "sha256:{SHA_A}", size = 1 }}
wheels = [{{ url = "https://files/t.whl", hash = "sha256:{SHA_B}", size = 2 }}]
"""

PIPFILE = {"_meta": {"hash": {"sha256": "x"}, "pipfile-spec": 6, "requires": {},
                     "sources": []},
           "default": {"safetensors": {"hashes": [f"sha256:{SHA_A}"], "version": "==0.4.3",
                                       "markers": "python_version >= '3.7'"}},
           "develop": {"pytest": {"hashes": [], "version": "==8.2.0"}}}


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_pylock(tmp_path: Path) -> None:
    document = read_bom(_write(tmp_path, "pylock.toml", PYLOCK))
    assert document.format == "pylock"
    requests, urllib3 = document.components
    assert (requests.name, requests.version, requests.purl) == (
        "requests", "2.32.3", "pkg:pypi/requests@2.32.3")
    assert [h.value for h in requests.hashes] == [SHA_A, SHA_B]
    assert document.dependencies[0].depends_on == (urllib3.id,)
    assert document.metadata["markers"][requests.id] == "python_version >= '3.8'"


def test_poetry_lock(tmp_path: Path) -> None:
    document = read_bom(_write(tmp_path, "poetry.lock", POETRY))
    assert document.format == "poetry-lock"
    assert [(c.name, c.version) for c in document.components] == [("torch", "2.3.1"),
                                                                   ("numpy", "1.26.4")]
    assert document.components[0].hashes[0].alg == "SHA-256"
    assert document.dependencies[0].depends_on == ("pypi:numpy@1.26.4",)
    assert document.spec_version == "2.0"


def test_uv_lock(tmp_path: Path) -> None:
    document = read_bom(_write(tmp_path, "uv.lock", UV))
    app, transformers = document.components
    assert app.description == "local project"
    assert len(transformers.hashes) == 2
    assert document.dependencies[0].ref == app.id


def test_pipfile_lock(tmp_path: Path) -> None:
    document = read_bom(_write(tmp_path, "Pipfile.lock", json.dumps(PIPFILE)))
    assert [(c.name, c.version) for c in document.components] == [("safetensors", "0.4.3"),
                                                                   ("pytest", "8.2.0")]
    assert document.metadata["groups"]["pypi:pytest@8.2.0"] == "develop"


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("poetry.lock", "[[package]\nname = 'x'\n", r"poetry.lock:1:\d+: malformed TOML"),
    ("uv.lock", "version = 1\n[[package]]\nversion = '1'\n", r"package\[0\]: has no package name"),
    ("pylock.toml", "lock-version = '2.0'\n", r"lock-version: '2.0' is not supported"),
    ("pylock.toml", "lock-version = '1.0'\n[[packages]]\nname = 'a'\nsdist = {hashes = 3}\n",
     r"packages\[0\].sdist: hashes is not a table"),
    ("Pipfile.lock", '{"_meta": {}, "default": {"a": {"hashes": ["nope"]}}}',
     r"malformed hash 'nope'"),
    ("Pipfile.lock", '{"_meta": {}, "default": [}', r"Pipfile.lock:1:\d+: malformed JSON"),
])
def test_bad_lock_files(tmp_path: Path, name: str, text: str, expected: str) -> None:
    with pytest.raises(InvalidInputError, match=expected):
        read_bom(_write(tmp_path, name, text))


def test_live_environment_lists_this_project_dependencies() -> None:
    document = read_environment()
    names = {c.name for c in document.components}
    assert {"pydantic", "packaging", "orjson"} <= names
    pydantic = next(c for c in document.components if c.name == "pydantic")
    assert pydantic.version and pydantic.purl == f"pkg:pypi/pydantic@{pydantic.version}"


def test_site_packages_folder(tmp_path: Path) -> None:
    dist = tmp_path / "demo_pkg-1.2.3.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.2.3\n"
                                   "License-Expression: MIT\nRequires-Dist: six\n"
                                   "Requires-Dist: rich; extra == 'cli'\n")
    document = read_bom(tmp_path)
    assert document.format == "environment"
    (component,) = document.components
    assert (component.name, component.version, component.license) == ("demo-pkg", "1.2.3", "MIT")
