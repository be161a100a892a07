"""The JSON copy of the catalogue gives exactly the catalogue the YAML gives, and is rebuilt
whenever it cannot be trusted to."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stackrift.catalog import cache
from stackrift.catalog.catalogue import _validated, load_catalogue
from stackrift.catalog.model import CatalogueData
from stackrift.errors import InvalidInputError
from stackrift.knowledge.sets import knowledge_path


@pytest.fixture
def catalogue_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "catalogue"
    shutil.copytree(knowledge_path("catalog/data"), folder)
    return folder


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_CACHE, str(folder))
    return folder


def _fresh(directory: Path) -> CatalogueData:
    return _validated(directory, sorted(directory.glob("*.yaml")))


def test_cached_catalogue_equals_the_freshly_validated_one(catalogue_dir: Path,
                                                           cache_dir: Path) -> None:
    first = load_catalogue(catalogue_dir, keep_copy=True)
    written = list(cache_dir.glob("catalogue-*.json"))
    assert len(written) == 1
    second = load_catalogue(catalogue_dir, keep_copy=True)  # read from the copy
    assert second.data == first.data == _fresh(catalogue_dir)
    assert second.vendors == first.vendors and second.products == first.products
    assert list(cache_dir.glob("catalogue-*.json")) == written


def test_the_copy_is_really_read(catalogue_dir: Path, cache_dir: Path) -> None:
    """A valid copy is what the loader returns (so the equality above is about the copy)."""
    load_catalogue(catalogue_dir, keep_copy=True)
    (copy,) = cache_dir.glob("catalogue-*.json")
    text = copy.read_text(encoding="utf-8")
    assert '"version":"' in text
    data = _fresh(catalogue_dir)
    changed = text.replace(f'"version":"{data.version}"', '"version":"from-the-copy"', 1)
    copy.write_text(changed, encoding="utf-8")
    assert load_catalogue(catalogue_dir, keep_copy=True).version == "from-the-copy"


def test_a_changed_file_makes_a_new_copy(catalogue_dir: Path, cache_dir: Path) -> None:
    load_catalogue(catalogue_dir, keep_copy=True)
    header = catalogue_dir / "catalogue.yaml"
    header.write_text(header.read_text(encoding="utf-8").replace(
        "version:", "# edited\nversion:", 1), encoding="utf-8")
    again = load_catalogue(catalogue_dir, keep_copy=True)
    assert len(list(cache_dir.glob("catalogue-*.json"))) == 2
    assert again.data == _fresh(catalogue_dir)


def test_a_broken_file_is_reported_not_served_from_the_copy(catalogue_dir: Path,
                                                            cache_dir: Path) -> None:
    load_catalogue(catalogue_dir, keep_copy=True)
    (catalogue_dir / "models.yaml").write_text("products: [{id: 1}\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"models\.yaml"):
        load_catalogue(catalogue_dir, keep_copy=True)


@pytest.mark.parametrize("damage", ["{not json", '{"version": "x"}', ""])
def test_a_damaged_copy_is_ignored_and_rebuilt(catalogue_dir: Path, cache_dir: Path,
                                               damage: str) -> None:
    load_catalogue(catalogue_dir, keep_copy=True)
    (copy,) = cache_dir.glob("catalogue-*.json")
    copy.write_text(damage, encoding="utf-8")
    assert load_catalogue(catalogue_dir, keep_copy=True).data == _fresh(catalogue_dir)
    # and the copy was rewritten whole
    assert load_catalogue(catalogue_dir, keep_copy=True).data == _fresh(catalogue_dir)


def test_an_inconsistent_copy_is_refused(catalogue_dir: Path, cache_dir: Path) -> None:
    """The copy passes the same integrity check as the YAML (a product of an unknown
    vendor is an error, whichever way it came)."""
    load_catalogue(catalogue_dir, keep_copy=True)
    (copy,) = cache_dir.glob("catalogue-*.json")
    data = _fresh(catalogue_dir)
    product = data.products[0]
    copy.write_text(copy.read_text(encoding="utf-8").replace(
        f'"vendor":"{product.vendor}"', '"vendor":"no-such-vendor"', 1), encoding="utf-8")
    with pytest.raises(InvalidInputError, match="unknown vendor 'no-such-vendor'"):
        load_catalogue(catalogue_dir, keep_copy=True)


def test_only_the_active_catalogue_is_copied_unless_asked(catalogue_dir: Path,
                                                          cache_dir: Path) -> None:
    """A folder named on the command line (or by a test) leaves no copy behind."""
    assert load_catalogue(catalogue_dir).data == _fresh(catalogue_dir)
    assert not cache_dir.exists()


def test_no_copy_when_turned_off_or_unwritable(catalogue_dir: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.ENV_CACHE, "")
    assert load_catalogue(catalogue_dir, keep_copy=True).data == _fresh(catalogue_dir)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(cache.ENV_CACHE, str(blocker / "cache"))
    assert load_catalogue(catalogue_dir, keep_copy=True).data == _fresh(catalogue_dir)
    assert not list(tmp_path.rglob("catalogue-*.json"))
