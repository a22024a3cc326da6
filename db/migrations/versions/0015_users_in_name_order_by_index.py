"""Users in the order every list of them is read (name, then id), straight from an index.

Lists of users are ordered by (name, id); the index was on (role, name), so PostgreSQL read
it in name order and sorted each run of rows by id (an incremental sort), which collects at
least 32 rows before it hands one on. A page of an AM's ten associated buyers, walked in name
order among every buyer, therefore walked until 33 of them passed instead of 11: at scale
100 of the benchmark, 30,648 buyers read per AM instead of 7,659, and the SC dashboard's
statement took 113 ms instead of 55 (bench/README.md). With `id` in the index the walk stops
at the page's end.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 16:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_users_role_name_id", "users", ["role", "name", "id"], unique=False)
    op.drop_index("ix_users_role_name", table_name="users")


def downgrade() -> None:
    op.create_index("ix_users_role_name", "users", ["role", "name"], unique=False)
    op.drop_index("ix_users_role_name_id", table_name="users")
