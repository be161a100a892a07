"""``knowledge_path`` names the active set's folder whichever set is active, including when it
answers for the packaged set without reading its manifest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stackrift.errors import InputError
from stackrift.knowledge.sets import active_knowledge, knowledge_path, packaged_root

from .conftest import CliRunner


def _agrees() -> Path:
    found = knowledge_path("catalog/data")
    assert found == active_knowledge().section("catalog/data")
    return found


def test_packaged_installed_and_selected_sets(cli: CliRunner, exported: Path, home: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    assert _agrees() == packaged_root() / "catalog/data"
    assert cli("knowledge", "update", "--from", str(exported)).code == 0
    assert str(home) in str(_agrees())
    monkeypatch.setenv("STACKRIFT_KNOWLEDGE", "packaged")
    assert _agrees() == packaged_root() / "catalog/data"
    monkeypatch.setenv("STACKRIFT_KNOWLEDGE", str(exported))
    assert _agrees() == exported.resolve() / "catalog/data"
    monkeypatch.setenv("STACKRIFT_KNOWLEDGE", "")
    assert str(home) in str(_agrees())
    assert cli("knowledge", "reset").code == 0
    assert _agrees() == packaged_root() / "catalog/data"


def test_a_damaged_pointer_is_still_reported(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "active").write_text("../../etc\n", encoding="utf-8")
    with pytest.raises(InputError, match="is not a knowledge set name"):
        knowledge_path("catalog/data")


def test_the_packaged_folder_is_named_without_the_manifest_models(home: Path) -> None:
    code = ("import sys; from stackrift.knowledge.sets import knowledge_path; "
            "knowledge_path('catalog/data'); print('pydantic.main' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
