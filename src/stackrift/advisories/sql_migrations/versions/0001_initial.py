"""The SQL advisory store's first schema: the content of the SQLite store's schema 5.

Revision ID: 0001
Revises:

Written out here rather than taken from ``sqlstore_tables``: a revision must keep creating the
schema it created, whatever the current table definitions become.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: tuple[str, ...] | None = None
depends_on: tuple[str, ...] | None = None


def _key_columns() -> list[sa.Column[str]]:
    return [sa.Column("source", sa.String(16), nullable=False),
            sa.Column("record_id", sa.Text, nullable=False)]


def upgrade() -> None:
    op.create_table(
        "stackrift_adv_records",
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("group_id", sa.Text, nullable=False),
        sa.Column("modified", sa.Text), sa.Column("published", sa.Text),
        sa.Column("withdrawn", sa.Text),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("first_seen", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("source", "id", name="stackrift_adv_records_pk"))
    op.create_index("stackrift_adv_records_group", "stackrift_adv_records", ["group_id"])
    op.create_table("stackrift_adv_idents", sa.Column("ident", sa.Text, nullable=False),
                    *_key_columns())
    op.create_index("stackrift_adv_idents_ident", "stackrift_adv_idents", ["ident"])
    op.create_index("stackrift_adv_idents_record", "stackrift_adv_idents",
                    ["source", "record_id"])
    op.create_table("stackrift_adv_packages",
                    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
                    sa.Column("ecosystem", sa.Text, nullable=False),
                    sa.Column("name", sa.Text, nullable=False), *_key_columns())
    op.create_index("stackrift_adv_packages_name", "stackrift_adv_packages",
                    ["ecosystem", "name"])
    op.create_index("stackrift_adv_packages_record", "stackrift_adv_packages",
                    ["source", "record_id"])
    op.create_table("stackrift_adv_products", sa.Column("key", sa.Text, nullable=False),
                    *_key_columns())
    op.create_index("stackrift_adv_products_key", "stackrift_adv_products", ["key"])
    op.create_index("stackrift_adv_products_record", "stackrift_adv_products",
                    ["source", "record_id"])
    op.create_table(
        "stackrift_adv_product_map",
        sa.Column("key", sa.Text, nullable=False), sa.Column("ecosystem", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("support", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("ecosystem", "name", "key", name="stackrift_adv_product_map_pk"))
    op.create_table("stackrift_adv_skipped_files", sa.Column("file", sa.Text, primary_key=True),
                    sa.Column("reason", sa.Text, nullable=False))
    op.create_table(
        "stackrift_adv_rejections",
        sa.Column("file", sa.Text, nullable=False), sa.Column("record", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("file", "record", name="stackrift_adv_rejections_pk"))
    op.create_table("stackrift_adv_meta", sa.Column("key", sa.Text, primary_key=True),
                    sa.Column("value", sa.Text, nullable=False))


def downgrade() -> None:
    for table in ("stackrift_adv_meta", "stackrift_adv_rejections", "stackrift_adv_skipped_files",
                  "stackrift_adv_product_map", "stackrift_adv_products", "stackrift_adv_packages",
                  "stackrift_adv_idents", "stackrift_adv_records"):
        op.drop_table(table)
