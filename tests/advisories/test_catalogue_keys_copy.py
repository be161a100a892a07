"""Scan's kept copy of the catalogue's product keys gives the keys the loaded catalogue gives, and
is ignored (the catalogue loaded again) whenever it cannot be trusted."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackrift import validatedcopy
from stackrift.advisories import scan as scan_module
from stackrift.advisories.scan import KEYS_COPY, active_catalogue_keys, catalogue_keys
from stackrift.catalog.catalogue import load_catalogue


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(validatedcopy.ENV_CACHE, str(folder))
    return folder


def _copy(cache_dir: Path) -> Path:
    (copy,) = cache_dir.glob(f"{KEYS_COPY}-*.json")
    return copy


def test_the_copy_gives_the_catalogues_keys(cache_dir: Path) -> None:
    expected = catalogue_keys(load_catalogue())
    assert expected, "the packaged catalogue names products by purl"
    assert active_catalogue_keys() == expected  # worked out, then kept
    copy = _copy(cache_dir)
    assert active_catalogue_keys() == expected  # read from the copy
    assert _copy(cache_dir) == copy


def test_the_copy_is_really_read(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    active_catalogue_keys()
    _copy(cache_dir).write_bytes(b'[["PyPI", "from-the-copy", ["key"]]]')

    def refused() -> None:
        raise AssertionError("the catalogue was loaded although a valid copy exists")

    monkeypatch.setattr("stackrift.catalog.catalogue.load_catalogue", refused)
    assert active_catalogue_keys() == {("PyPI", "from-the-copy"): {"key"}}


@pytest.mark.parametrize("payload", [b"not json", b"{}", b'[["PyPI", "x"]]',
                                     b'[["PyPI", "x", "key"]]', b'[["PyPI", 1, ["key"]]]',
                                     b'[["PyPI", "x", [1]]]'])
def test_a_copy_of_another_shape_is_ignored(cache_dir: Path, payload: bytes) -> None:
    expected = active_catalogue_keys()
    _copy(cache_dir).write_bytes(payload)
    assert active_catalogue_keys() == expected
    assert _copy(cache_dir).read_bytes() != payload  # written again


def test_no_cache_folder_still_gives_the_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(validatedcopy.ENV_CACHE, "")
    assert active_catalogue_keys() == catalogue_keys(load_catalogue())


def test_the_key_covers_the_code_that_works_the_keys_out() -> None:
    assert {"stackrift.advisories.scan", "stackrift.advisories.products",
            "stackrift.advisories.matching", "stackrift.catalog.model"} <= set(
        scan_module._KEYS_MODULES)
