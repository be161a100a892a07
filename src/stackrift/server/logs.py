"""Structured logs: one JSON object per line (or plain text), for the server and uvicorn."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message", "color_message"}  # uvicorn repeats each message with terminal colours


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", …extra fields, "exception"}``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name,
            "message": record.getMessage()}
        entry.update({k: v for k, v in record.__dict__.items()
                      if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def log_config(log_format: str, output: Path | None = None, level: str = "INFO"
               ) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` document (uvicorn takes it as ``log_config``)."""
    formatter: dict[str, Any] = (
        {"()": "stackrift.server.logs.JsonFormatter"} if log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"})
    handler: dict[str, Any] = (
        {"class": "logging.FileHandler", "filename": str(output), "encoding": "utf-8"}
        if output else {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"})
    handler["formatter"] = "main"
    loggers = {name: {"handlers": ["main"], "level": level, "propagate": False}
               for name in ("stackrift", "uvicorn", "uvicorn.error", "uvicorn.access")}
    return {"version": 1, "disable_existing_loggers": False,
            "formatters": {"main": formatter}, "handlers": {"main": handler},
            "loggers": loggers}
