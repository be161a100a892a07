"""The server's database: tables, engine and sessions, migrations."""
