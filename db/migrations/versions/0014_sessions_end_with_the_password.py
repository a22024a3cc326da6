"""A new password ends the web sign-ins made before it (R29, R32): `users.sessions_valid_from`.

A web token is signed and lives its 12 hours; nothing about it is stored. A password reset
or an admin's new password writes the moment here, and a web token issued before it is
refused from then on, on every request and every socket operation. Existing users keep
null: their tokens stand until they expire, as before.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 16:00:00.000000
"""

from __future__ import annotations

import salescoord.db.models.base
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("sessions_valid_from", salescoord.db.models.base.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    # SQLite (3.35 and up) drops a column in place; alembic's own drop would rebuild `users`
    op.execute("ALTER TABLE users DROP COLUMN sessions_valid_from")
