"""`db` commands: -f terminal|json|md on every table, the import summary on standard error,
the feed format under --feed-format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.advisories.conftest import osv_doc, write_json
from tests.cli.conftest import Cli


@pytest.fixture
def store(cli: Cli, tmp_path: Path) -> Path:
    feed = write_json(tmp_path / "GHSA-test.json",
                      osv_doc("GHSA-aaaa-bbbb-cccc", aliases=("CVE-2021-99999",)))
    db = tmp_path / "store.sqlite"
    result = cli("db", "import", str(feed), "--db", str(db), "--feed-format", "osv")
    assert result.code == 0, result.err
    assert result.out == ""  # the import summary is on standard error
    assert "imported into" in result.err
    return db


@pytest.mark.parametrize("command", [["stats"], ["coverage"], ["show", "CVE-2021-99999"]])
def test_tables_in_three_formats(cli: Cli, store: Path, command: list[str]) -> None:
    as_json = json.loads(cli("db", *command, "--db", str(store), "-f", "json").out)
    assert as_json
    text = cli("db", *command, "--db", str(store)).out
    markdown = cli("db", *command, "--db", str(store), "-f", "md").out
    assert "|---|" in markdown and "┃" not in markdown
    assert "┃" in text or "│" in text
    if command[0] == "show":
        for ident in ("GHSA-aaaa-bbbb-cccc", "CVE-2021-99999"):
            assert ident in text and ident in markdown


def test_import_json_summary(cli: Cli, tmp_path: Path) -> None:
    feed = write_json(tmp_path / "GHSA-x.json", osv_doc("GHSA-xxxx-yyyy-zzzz"))
    result = cli("db", "import", str(feed), "--db", str(tmp_path / "s.sqlite"), "-f", "json")
    assert json.loads(result.out)["sources"]["osv"]["new"] == 1


def test_old_format_flag_of_import_is_now_the_output_format(cli: Cli, tmp_path: Path) -> None:
    feed = write_json(tmp_path / "GHSA-x.json", osv_doc("GHSA-xxxx-yyyy-zzzz"))
    result = cli("db", "import", str(feed), "--db", str(tmp_path / "s.sqlite"), "--format", "osv")
    assert result.code == 2
    assert "osv" in result.err
