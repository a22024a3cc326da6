"""Custom roles (R34): roles get a stable id, a kind and a built-in flag, and a user may hold
a custom role.

Every change is an added column or index, so no table is rebuilt (SQLite rebuilds a table to
change its constraints, and rebuilding `users` would cascade into the tables that refer to it).

- `roles.id`: the role's stable identity (the built-in roles get 1-4), unique.
- `roles.kind`: which scope the holders get (ADMIN, ACCOUNT_MANAGER, SALES_COORDINATOR, BUYER);
  a built-in role's kind is its name.
- `roles.built_in`: true for the four rows there are so far; they are never renamed or deleted.
- `users.role_id`: the custom role a user holds, or null for the built-in role named by
  `users.role`, which stays the kind every scope reads. Existing users keep null.

Downgrade: users of custom roles fall back to the built-in role of their role's kind (which
`users.role` already names), custom roles are deleted, and the columns go.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BUILT_IN_ROLE_IDS = {"ADMIN": 1, "ACCOUNT_MANAGER": 2, "SALES_COORDINATOR": 3, "BUYER": 4}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    # SQLite adds a NOT NULL column only with a default; the values are set just below
    op.add_column("roles", sa.Column("id", sa.Integer(), server_default="0", nullable=False))
    op.add_column(
        "roles",
        sa.Column(
            "kind", sqlmodel.sql.sqltypes.AutoString(length=40), server_default="BUYER", nullable=False
        ),
    )
    op.add_column("roles", sa.Column("built_in", sa.Boolean(), server_default=sa.false(), nullable=False))
    ids = " ".join(f"WHEN '{name}' THEN {pk}" for name, pk in BUILT_IN_ROLE_IDS.items())
    op.execute(f"UPDATE roles SET id = CASE name {ids} END, kind = name, built_in = TRUE")
    op.create_index("ix_roles_id", "roles", ["id"], unique=True)
    if dialect == "postgresql":
        for column in ("id", "kind", "built_in"):
            op.alter_column("roles", column, server_default=None)
        op.add_column("users", sa.Column("role_id", sa.Integer(), sa.ForeignKey("roles.id"), nullable=True))
    else:
        # SQLite adds a column with its reference in place (no rebuild)
        op.execute("ALTER TABLE users ADD COLUMN role_id INTEGER REFERENCES roles (id)")
    op.create_index("ix_users_role_id", "users", ["role_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_users_role_id", table_name="users")
    # SQLite (3.35 and up) drops a column in place; alembic's own drop would rebuild `users`
    op.execute("ALTER TABLE users DROP COLUMN role_id")
    op.execute("DELETE FROM roles WHERE NOT built_in")
    op.drop_index("ix_roles_id", table_name="roles")
    for column in ("built_in", "kind", "id"):
        op.execute(f"ALTER TABLE roles DROP COLUMN {column}")
