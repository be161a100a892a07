"""The collector settings a command's process runs with."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from stackrift.gcpause import FIRST_GENERATION_THRESHOLD, paused_gc, raise_collection_threshold


@pytest.fixture
def saved_threshold() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


@pytest.mark.usefixtures("saved_threshold")
def test_the_young_generation_threshold_is_raised_and_the_others_kept() -> None:
    gc.set_threshold(700, 11, 12)
    raise_collection_threshold()
    assert gc.get_threshold() == (FIRST_GENERATION_THRESHOLD, 11, 12)


@pytest.mark.usefixtures("saved_threshold")
@pytest.mark.parametrize("first", [0, FIRST_GENERATION_THRESHOLD * 3])
def test_a_collector_turned_off_or_set_higher_is_left_as_configured(first: int) -> None:
    gc.set_threshold(first, 10, 10)
    raise_collection_threshold()
    assert gc.get_threshold() == (first, 10, 10)


def test_a_pause_restores_the_collector_and_nests() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
