"""Whether a ``--db`` value is a database URL: a string test, kept out of
:mod:`stackrift.advisories.sqlstore` so that opening a SQLite file does not import SQLAlchemy."""

from __future__ import annotations

URL_SCHEMES = ("sqlite", "postgresql")


def is_store_url(location: object) -> bool:
    """Whether a ``--db`` value names a database by SQLAlchemy URL rather than a SQLite file."""
    if not isinstance(location, str) or "://" not in location:
        return False
    scheme = location.split("://", 1)[0].split("+", 1)[0].lower()
    return scheme in URL_SCHEMES
