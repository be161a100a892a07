"""Settings: flags over STACKRIFT_SERVER_* over a TOML or YAML file."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackrift.errors import InvalidInputError, UsageError
from stackrift.server.config import load_settings


def test_flags_override_the_environment_which_overrides_the_file(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text('[server]\nport = 9000\nhost = "0.0.0.0"\npoll_seconds = 5\n'
                      'database_url = "sqlite:///from-file.sqlite"\n')
    env = {"STACKRIFT_SERVER_PORT": "9100", "STACKRIFT_SERVER_POLL_SECONDS": "2",
           "STACKRIFT_SERVER_WORKER": "off"}
    settings = load_settings({"port": 9200, "host": None}, config_file=config, env=env)
    assert settings.port == 9200  # flag
    assert settings.poll_seconds == 2.0 and settings.worker is False  # environment
    assert settings.host == "0.0.0.0"  # file, the flag being unset
    assert settings.resolved_database_url() == "sqlite:///from-file.sqlite"


def test_a_yaml_file_named_by_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "server.yaml"
    config.write_text("port: 8181\ndata_dir: " + str(tmp_path / "data") + "\n")
    settings = load_settings({}, env={"STACKRIFT_SERVER_CONFIG": str(config)})
    assert settings.port == 8181
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path / 'data' / 'server.sqlite'}"


def test_bad_settings_name_their_origin(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text("prot = 1\n")
    with pytest.raises(InvalidInputError, match="unknown setting prot"):
        load_settings({}, config_file=config, env={})
    with pytest.raises(UsageError, match=r"\$STACKRIFT_SERVER_PORT"):
        load_settings({}, env={"STACKRIFT_SERVER_PORT": "eighty"})
    with pytest.raises(UsageError, match="log_format 'xml'"):
        load_settings({"log_format": "xml"}, env={})


def test_the_advisory_source_is_one_setting() -> None:
    from stackrift.advisories.sources import StoreAtPath

    default = load_settings({}, env={})
    assert isinstance(default.advisory_source(), StoreAtPath)
    lent = StoreAtPath(Path("elsewhere.sqlite"))
    assert load_settings({}, env={}, advisory_source=lambda: lent).advisory_source() is lent
