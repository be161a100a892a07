"""Supply-chain test fixtures: a small catalogue and estate, independent of the packaged data."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackrift.catalog.catalogue import Catalogue, load_catalogue
from stackrift.estate.loader import LoadedEstate, load_estate

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def small_catalogue() -> Catalogue:
    return load_catalogue(HERE / "catalogue")


@pytest.fixture(scope="session")
def small_estate() -> LoadedEstate:
    return load_estate(HERE / "estate_small.yaml")
