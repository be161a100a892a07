"""Server settings: flags over environment (``STACKRIFT_SERVER_*``) over a TOML or YAML file.

The advisory source assessments use is one injectable setting (``advisory_source``, a callable
returning an :class:`~stackrift.advisories.sources.AdvisorySource`), so a deployment can lend
another store without touching the job code.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stackrift.errors import InvalidInputError, UsageError

if TYPE_CHECKING:
    from stackrift.advisories.sources import AdvisorySource

ENV_PREFIX = "STACKRIFT_SERVER_"
CONFIG_ENV = "STACKRIFT_SERVER_CONFIG"
_CONFIG_LIMIT = 1 << 20
LOG_FORMATS = ("json", "terminal")


def default_data_dir() -> Path:
    """The user data directory the advisory store also lives in."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("stackrift"))


def default_advisory_source() -> AdvisorySource:
    """The library's default store (``$STACKRIFT_DB`` or the user data directory), opened fail
    closed as the command line opens it."""
    from stackrift.advisories.sources import StoreAtPath

    return StoreAtPath()


@dataclass(frozen=True, kw_only=True)
class ServerSettings:
    """Everything ``create_app`` and the job worker need; frozen, built by :func:`load_settings`."""

    database_url: str = ""
    """SQLAlchemy URL; empty: a SQLite file ``server.sqlite`` in ``data_dir``."""
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = field(default_factory=default_data_dir)
    worker: bool = True
    """Run the in-process job worker (off for read-only front ends sharing a database)."""
    poll_seconds: float = 1.0
    job_lease_seconds: float = 30.0
    """A running job whose heartbeat is older than this is taken to be orphaned and re-queued."""
    max_attempts: int = 3
    recheck_seconds: float = 300.0
    """How often the worker checks whether the knowledge set or advisory store changed."""
    shutdown_grace_seconds: float = 20.0
    max_upload_bytes: int = 64 << 20
    session_hours: float = 12.0
    secure_cookies: bool = False
    log_format: str = "json"
    advisory_db: str = ""
    """The advisory store for assessments and the OSV API: a SQLite file or a SQLAlchemy URL (it
    may be the server's own database); empty: the library's default store (``$STACKRIFT_DB``
    or the data folder), as ``stackrift db`` and ``stackrift scan`` use it."""
    advisory_source: Callable[[], AdvisorySource] = default_advisory_source
    """Where assessments get advisories: the one place to switch to another store."""

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'server.sqlite'}"


_FIELDS = {f.name: f for f in dataclasses.fields(ServerSettings) if f.name != "advisory_source"}


def _convert(name: str, value: Any, origin: str) -> Any:
    kind = type(getattr(ServerSettings(data_dir=Path()), name))
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError(value)
            return text in {"1", "true", "yes", "on"}
        if issubclass(kind, Path):
            return Path(str(value)).expanduser()
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{origin}: {name} = {value!r} is not a valid "
                         f"{kind.__name__}") from exc


def read_config_file(path: Path) -> dict[str, Any]:
    """Settings from a TOML (``.toml``) or YAML file; a ``[server]`` table is used if present."""
    from stackrift.boundedio import read_bounded
    from stackrift.estate.yamlsource import load_yaml_data

    raw = read_bounded(path, _CONFIG_LIMIT)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError.single(path, f"not valid UTF-8 at byte {exc.start}",
                                       "a UTF-8 TOML or YAML file") from exc
    if path.suffix.lower() == ".toml":
        try:
            data: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInputError.single(path, f"not valid TOML ({exc})") from exc
    else:
        data = load_yaml_data(text, str(path)) or {}
    if isinstance(data, dict) and isinstance(data.get("server"), dict):
        data = data["server"]
    if not isinstance(data, dict):
        raise InvalidInputError.single(path, "settings must be a mapping",
                                       "keys such as database_url, host, port")
    unknown = sorted(set(data) - set(_FIELDS))
    if unknown:
        raise InvalidInputError.single(path, f"unknown setting {', '.join(unknown)}",
                                       f"one of {', '.join(sorted(_FIELDS))}")
    return {k: _convert(k, v, str(path)) for k, v in data.items()}


def settings_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    found = {}
    for name in _FIELDS:
        key = ENV_PREFIX + name.upper()
        if key in env:
            found[name] = _convert(name, env[key], f"${key}")
    return found


def load_settings(flags: Mapping[str, Any] | None = None, *, config_file: Path | None = None,
                  env: Mapping[str, str] | None = None,
                  advisory_source: Callable[[], AdvisorySource] | None = None
                  ) -> ServerSettings:
    """Settings with flags (``None`` values ignored) over environment over the file."""
    env = os.environ if env is None else env
    config_file = config_file or (Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else None)
    values: dict[str, Any] = read_config_file(config_file) if config_file else {}
    values.update(settings_from_env(env))
    for name, value in (flags or {}).items():
        if name not in _FIELDS:
            raise UsageError(f"unknown server setting {name}")
        if value is not None:
            values[name] = _convert(name, value, f"--{name.replace('_', '-')}")
    if advisory_source is None and values.get("advisory_db"):
        from functools import partial

        from stackrift.advisories.sources import StoreAtPath

        advisory_source = partial(StoreAtPath, values["advisory_db"])
    if advisory_source is not None:
        values["advisory_source"] = advisory_source
    if values.get("log_format", "json") not in LOG_FORMATS:
        raise UsageError(f"log_format {values['log_format']!r}: expected one of "
                         f"{', '.join(LOG_FORMATS)}")
    return ServerSettings(**values)
