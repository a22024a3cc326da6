"""Meeting lifecycle (R33): a meeting has a duration, an end, a time zone, and may be cancelled
with a reason.

`ends_at` is `starts_at + duration_minutes`, kept as a column so that a host's overlapping
meetings are found by one comparison on both databases. Existing meetings last the default
60 minutes in UTC. SQLite cannot add a NOT NULL column without a constant default short of
rebuilding the table, and a rebuild would drop the change-log triggers of `meetings` and,
with foreign keys on, cascade into notes; so `ends_at` is added with a placeholder default,
filled in, and (on PostgreSQL) the default dropped. Every insert names `ends_at`, so the
placeholder is never stored. Filling it in passes through the change-log triggers: each
existing meeting appears once in the change feed, which is right, since each now has
fields the app has not seen (R18).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from salescoord.db.models.base import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

PLACEHOLDER = "1970-01-01 00:00:00.000000"
END = {
    # a time's text is "YYYY-MM-DD HH:MM:SS.ffffff": whole minutes leave the fraction as it is;
    # past the calendar's end strftime answers NULL, and the end stays at the calendar's end
    "sqlite": "COALESCE(strftime('%Y-%m-%d %H:%M:%S', starts_at, '+60 minutes') || substr(starts_at, 20), "
    "'9999-12-31 23:59:59.999999')",
    "postgresql": "LEAST(starts_at + interval '60 minutes', TIMESTAMPTZ '9999-12-31 23:59:59.999999+00')",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column(
        "meetings",
        sa.Column("ends_at", UTCDateTime(timezone=True), nullable=False, server_default=PLACEHOLDER),
    )
    op.add_column(
        "meetings", sa.Column("duration_minutes", sa.Integer(), nullable=False, server_default="60")
    )
    op.add_column(
        "meetings", sa.Column("time_zone", sa.String(length=64), nullable=False, server_default="UTC")
    )
    op.add_column("meetings", sa.Column("cancelled_at", UTCDateTime(timezone=True), nullable=True))
    op.add_column("meetings", sa.Column("cancel_reason", sa.String(length=2000), nullable=True))
    op.execute(f"UPDATE meetings SET ends_at = {END[dialect]}")
    if dialect == "postgresql":
        op.alter_column("meetings", "ends_at", server_default=None)


def downgrade() -> None:
    # the earlier schema knows no CANCELLED: a cancelled meeting goes back as one that is over
    op.execute("UPDATE meetings SET status = 'ENDED' WHERE status = 'CANCELLED'")
    # in place on both databases (SQLite 3.35+): no rebuild, so the triggers stay
    for column in ("cancel_reason", "cancelled_at", "time_zone", "duration_minutes", "ends_at"):
        op.execute(f"ALTER TABLE meetings DROP COLUMN {column}")
