"""Devices of the app (R30): a row per sign-in on the app, the hashes of its refresh tokens,
and the outcomes of its numbered mutations (R31).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 08:00:00.000000
"""

from __future__ import annotations

import salescoord.db.models.base
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TEXT = sqlmodel.sql.sqltypes.AutoString
MOMENT = salescoord.db.models.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", TEXT(length=100), nullable=False),
        sa.Column("app_version", TEXT(length=40), nullable=True),
        sa.Column("created_at", MOMENT(timezone=True), nullable=False),
        sa.Column("last_seen_at", MOMENT(timezone=True), nullable=False),
        sa.Column("revoked_at", MOMENT(timezone=True), nullable=True),
        sa.Column("revoked_reason", TEXT(length=40), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("used_generation", sa.Integer(), nullable=False),
        sa.Column("last_mutation_number", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.create_index("ix_devices_user_id", ["user_id"], unique=False)
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", TEXT(length=64), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("created_at", MOMENT(timezone=True), nullable=False),
        sa.Column("expires_at", MOMENT(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_refresh_tokens_device_id", ["device_id"], unique=False)
    op.create_table(
        "device_outcomes",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("mutation_number", sa.BigInteger(), nullable=False),
        sa.Column("operation", TEXT(length=60), nullable=False),
        sa.Column("request_hash", TEXT(length=64), nullable=False),
        sa.Column("result_type", TEXT(length=40), nullable=True),
        sa.Column("result_id", sa.Integer(), nullable=True),
        sa.Column("created_at", MOMENT(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("device_id", "mutation_number"),
    )


def downgrade() -> None:
    op.drop_table("device_outcomes")
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_refresh_tokens_device_id")
    op.drop_table("refresh_tokens")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index("ix_devices_user_id")
    op.drop_table("devices")
