"""Index users by (direct_am_id, role): the scope finds an AM's direct buyers (R1 a) through
it instead of walking every buyer by role; it also serves lookups by direct_am_id alone,
so it replaces that index.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 18:20:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_users_direct_am_id_role", "users", ["direct_am_id", "role"], unique=False)
    op.drop_index("ix_users_direct_am_id", table_name="users")


def downgrade() -> None:
    op.create_index("ix_users_direct_am_id", "users", ["direct_am_id"], unique=False)
    op.drop_index("ix_users_direct_am_id_role", table_name="users")
