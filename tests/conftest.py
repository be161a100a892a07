"""Shared fixtures. Real third-party corpora live in ../shared/data beside the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stackrift.catalog.catalogue import Catalogue, load_catalogue

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("STACKRIFT_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
DEMO_ESTATE = REPO_ROOT / "src" / "stackrift" / "demo" / "estate.yaml"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real-data folder; tests that need it skip with a reason when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real corpora not found at {SHARED_DATA} (set STACKRIFT_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_estate() -> Path:
    return DEMO_ESTATE


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    """The packaged provenance catalogue (read once per session)."""
    return load_catalogue()


@pytest.fixture(scope="session", autouse=True)
def _advisory_store_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the default advisory store (filled with the starter pack on first use) out of the
    user's data directory during tests."""
    os.environ["STACKRIFT_DB"] = str(tmp_path_factory.mktemp("store") / "advisories.sqlite")


@pytest.fixture(scope="session", autouse=True)
def _packaged_knowledge(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests read the packaged knowledge set, never one installed in the user's data folder."""
    os.environ["STACKRIFT_KNOWLEDGE_HOME"] = str(tmp_path_factory.mktemp("knowledge-home"))
    os.environ.pop("STACKRIFT_KNOWLEDGE", None)
