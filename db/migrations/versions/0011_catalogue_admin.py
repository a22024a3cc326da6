"""Archived content (R34): `contents.archived_at` is set while an item is archived. Archived
content stays on the lists and meetings that use it and is no longer offered.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 08:00:00.000000
"""

from __future__ import annotations

import salescoord.db.models.base
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("archived_at", salescoord.db.models.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    # SQLite copies the table to drop a column: the copy keeps ids never reused
    with op.batch_alter_table(
        "contents", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_column("archived_at")
