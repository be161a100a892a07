"""``stackrift serve``: bad settings are input errors (exit 2), named by where they came from."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Cli


def test_a_bad_settings_file_exits_2_naming_it(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text("port = 'eighty'\n")
    run = cli("serve", "--config", str(config), "--data-dir", str(tmp_path))
    assert run.code == 2
    assert "server.toml: port = 'eighty' is not a valid int" in run.err


def test_an_unknown_log_format_is_refused(cli: Cli, tmp_path: Path) -> None:
    run = cli("serve", "-f", "xml", "--data-dir", str(tmp_path))
    assert run.code == 2
