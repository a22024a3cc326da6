"""One pending registration per email: a partial unique index, so two sign-ups with the same
email arriving at once cannot both wait in the queue (R6, R7).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 13:04:29.180247
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'PENDING'")


def upgrade() -> None:
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.create_index(
            "ux_registrations_pending_email",
            ["email"],
            unique=True,
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        )


def downgrade() -> None:
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_index("ux_registrations_pending_email")
