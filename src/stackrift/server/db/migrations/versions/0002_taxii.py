"""TAXII 2.1: collections, per-user collection grants, stored object versions, add statuses.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _collections() -> None:
    op.create_table(
        "taxii_collections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("taxii_id", sa.String(36), nullable=False, unique=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("org_units.id"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("alias", sa.String(100), nullable=True, unique=True),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False))
    op.create_table(
        "taxii_grants",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("collection_id", sa.Integer(),
                  sa.ForeignKey("taxii_collections.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("can_read", sa.Boolean(), nullable=False),
        sa.Column("can_write", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("collection_id", "user_id"))


def _contents() -> None:
    op.create_table(
        "taxii_objects",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("collection_id", sa.Integer(),
                  sa.ForeignKey("taxii_collections.id", ondelete="CASCADE"), nullable=False),
        sa.Column("stix_id", sa.String(300), nullable=False),
        sa.Column("stix_type", sa.String(250), nullable=False),
        sa.Column("spec_version", sa.String(10), nullable=False),
        sa.Column("version", sa.String(30), nullable=False),
        sa.Column("date_added", sa.DateTime(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.UniqueConstraint("collection_id", "stix_id", "version"))
    op.create_index("ix_taxii_objects_added", "taxii_objects",
                    ["collection_id", "date_added", "id"])
    op.create_index("ix_taxii_objects_stix_id", "taxii_objects", ["collection_id", "stix_id"])
    op.create_table(
        "taxii_statuses",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("collection_id", sa.Integer(),
                  sa.ForeignKey("taxii_collections.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("request_timestamp", sa.DateTime(), nullable=False),
        sa.Column("total_count", sa.Integer(), nullable=False),
        sa.Column("success_count", sa.Integer(), nullable=False),
        sa.Column("failure_count", sa.Integer(), nullable=False),
        sa.Column("successes", sa.JSON(), nullable=False),
        sa.Column("failures", sa.JSON(), nullable=False))


def upgrade() -> None:
    _collections()
    _contents()


def downgrade() -> None:
    for table in ("taxii_statuses", "taxii_objects", "taxii_grants", "taxii_collections"):
        op.drop_table(table)
