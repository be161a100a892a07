"""The packaged rule packs' validated JSON copy gives exactly the packs their YAML gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stackrift import validatedcopy
from stackrift.knowledge.sets import knowledge_path
from stackrift.rules import loader


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "cache"
    monkeypatch.setenv(validatedcopy.ENV_CACHE, str(folder))
    loader._knowledge_packs.cache_clear()
    yield folder
    loader._knowledge_packs.cache_clear()


def _packs() -> tuple[loader.LoadedPack, ...]:
    loader._knowledge_packs.cache_clear()
    return loader._knowledge_packs(knowledge_path("rules/packs"), "stackrift/rules/packs")


def test_packs_from_the_copy_equal_the_packs_from_yaml(cache_dir: Path) -> None:
    fresh = _packs()
    (copy,) = cache_dir.glob("rule-packs-*.json")
    again = _packs()
    assert [p.pack for p in again] == [p.pack for p in fresh]
    assert [p.path for p in again] == [p.path for p in fresh]
    assert list(cache_dir.glob("rule-packs-*.json")) == [copy]
    # the files are parsed with locations only when a location is asked for, and give the same
    assert not any("document" in vars(p) for p in again)
    for before, after in zip(fresh, again, strict=True):
        ids = [r.id for r in before.pack.rules] + [c.id for c in before.pack.conflicts]
        for item in ids:
            assert after.locate_rule(item) == before.locate_rule(item)


def test_the_copy_is_really_read_and_a_damaged_one_is_rebuilt(cache_dir: Path) -> None:
    fresh = _packs()
    (copy,) = cache_dir.glob("rule-packs-*.json")
    first = fresh[0].pack
    renamed = first.rules[0].model_copy(update={"title": "from the copy"})
    edited = copy.read_text().replace(first.rules[0].title, renamed.title, 1)
    copy.write_text(edited)
    assert _packs()[0].pack.rules[0].title == "from the copy"
    copy.write_text("{not json")
    assert [p.pack for p in _packs()] == [p.pack for p in fresh]


def test_a_copy_whose_references_do_not_hold_is_not_used(cache_dir: Path) -> None:
    fresh = _packs()
    (copy,) = cache_dir.glob("rule-packs-*.json")
    named = next(p for p in fresh if p.pack.conditions)
    condition = sorted(named.pack.conditions)[0]
    # a rule whose condition names a condition no pack defines fails the pack check
    broken = copy.read_text().replace(f'"ref":"{condition}"', '"ref":"no-such-condition"')
    assert broken != copy.read_text()
    copy.write_text(broken)
    assert [p.pack for p in _packs()] == [p.pack for p in fresh]


def test_no_copy_when_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(validatedcopy.ENV_CACHE, "")
    monkeypatch.setattr(validatedcopy, "cache_folder", lambda: None)
    assert _packs()
    loader._knowledge_packs.cache_clear()
