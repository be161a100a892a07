"""``serve``: the StackRift server (see docs/server.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from stackrift.choices import SummaryFormat
from stackrift.cli.options import OutputPath, command_group
from stackrift.cli.output import note

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from stackrift.server.config import ServerSettings

app = command_group()


def _bootstrap(settings: ServerSettings, sessions: sessionmaker[Session]) -> None:
    """On an empty database: the first administrator, written to a file only its owner reads."""
    import os

    from stackrift.server.services.accounts import bootstrap_admin

    with sessions() as db:
        admin = bootstrap_admin(db)
    if admin is None:
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / "first-admin.txt"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(f"user: {admin.username}\npassword: {admin.password}\n"
                     f"API token: {admin.token}\n"
                     "Shown once: store them elsewhere and delete this file.\n")
    note(f"first administrator '{admin.username}' created; password and API token in {path}")


@app.command()
def serve(
    database: Annotated[str | None, typer.Option(
        "--database", help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db; default a "
        "SQLite file in the data folder.")] = None,
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on "
                                              "(default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default 8080).")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", help="Settings file (TOML or YAML); flags override $STACKRIFT_SERVER_* "
        "which override the file.")] = None,
    data_dir: Annotated[Path | None, typer.Option(
        "--data-dir", help="Folder for the SQLite database and the first-admin file.")] = None,
    advisory_db: Annotated[str | None, typer.Option(
        "--advisory-db", help="The advisory store: a SQLite file or a SQLAlchemy URL (may be "
        "--database); default the store `stackrift db` uses.")] = None,
    worker: Annotated[bool | None, typer.Option(
        "--worker/--no-worker", help="Run assessments in this process (default on).")] = None,
    output_format: Annotated[SummaryFormat | None, typer.Option(
        "--format", "-f", case_sensitive=False,
        help="Log format: json (one object per line, the default) or terminal (plain text).")
    ] = None,
    output: OutputPath = None,
) -> None:
    """Run the StackRift server: projects, estates, SBOMs and assessments over HTTP.

    The database is migrated at start; on an empty one a first administrator is created. Logs
    go to standard error, or to -o FILE. Stops gracefully on Ctrl-C or SIGTERM.
    """
    import uvicorn
    from sqlalchemy.engine import make_url

    from stackrift.server.app import create_app
    from stackrift.server.config import load_settings
    from stackrift.server.logs import log_config

    settings = load_settings({"database_url": database, "host": host, "port": port,
                              "data_dir": data_dir, "worker": worker,
                              "advisory_db": advisory_db,
                              "log_format": output_format.value if output_format else None},
                             config_file=config)
    logging_config = log_config(settings.log_format, output)
    import logging.config

    logging.config.dictConfig(logging_config)
    application = create_app(settings)
    _bootstrap(settings, application.state.sessions)
    shown = make_url(settings.resolved_database_url()).render_as_string(hide_password=True)
    note(f"StackRift server listening on http://{settings.host}:{settings.port} "
         f"(database {shown}; API description at /docs and /openapi.json)")
    uvicorn.run(application, host=settings.host, port=settings.port, log_config=logging_config,
                timeout_graceful_shutdown=int(settings.shutdown_grace_seconds))
