"""Notes are internal unless their writer shares them (R37): `notes.host_only` becomes
`notes.shared`, false by default in the column itself.

Upgrade: every existing note keeps its visibility. A note that was host-only becomes
`shared = false` (internal: the host and those who manage the meeting), and a note that was
not becomes `shared = true` (it already reached the attending buyers, and so it still does).
Only notes written from now on without saying so are internal. The change-log triggers of
`notes` are made again to read the new column: `change_log.host_only` still means "the note
was internal before and after the change", so the feed and the subscriptions of buyers keep
their meaning. The triggers are dropped before the data is copied, so the copy itself puts
nothing in the change feed.

Downgrade: the reverse (`host_only = NOT shared`), with the triggers of revision 0003.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OPERATIONS = {"INSERT": ("NEW", "NEW"), "UPDATE": ("NEW", "OLD"), "DELETE": ("OLD", "OLD")}
INTERNAL_NOW = "(NOT ({o}.shared OR {r}.shared))"
INTERNAL_BEFORE = "({o}.host_only AND {r}.host_only)"  # revision 0003's


def _drop_triggers(dialect: str) -> None:
    for operation in OPERATIONS:
        name = f"change_log_notes_{operation.lower()}"
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON notes")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def _create_triggers(dialect: str, internal: str) -> None:
    """The notes' triggers as revision 0003 writes them, with `internal` as their host_only."""
    for operation, (row, before) in OPERATIONS.items():
        name = f"change_log_notes_{operation.lower()}"
        xid, now = (
            ("pg_current_xact_id()::text::bigint", "now()")
            if dialect == "postgresql"
            else ("0", "datetime('now')")
        )
        insert = (
            "INSERT INTO change_log (xid, entity, entity_id, meeting_id, list_id, owner_id, buyer_id, "
            f"host_only, is_global, at) VALUES ({xid}, 'NOTE', {row}.id, {row}.meeting_id, NULL, NULL, NULL, "
            f"{internal.format(o=before, r=row)}, FALSE, {now})"
        )
        if dialect == "postgresql":
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {insert}; RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {operation} ON notes FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
        else:
            op.execute(f"CREATE TRIGGER {name} AFTER {operation} ON notes BEGIN {insert}; END")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_triggers(dialect)
    # SQLite rebuilds the table: keep AUTOINCREMENT, so a deleted note's id never comes back
    with op.batch_alter_table("notes", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column("shared", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE notes SET shared = NOT host_only")
    with op.batch_alter_table("notes", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_column("host_only")
    _create_triggers(dialect, INTERNAL_NOW)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_triggers(dialect)
    with op.batch_alter_table("notes", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column("host_only", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE notes SET host_only = NOT shared")
    with op.batch_alter_table("notes", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_column("shared")
        batch_op.alter_column("host_only", server_default=None)
    _create_triggers(dialect, INTERNAL_BEFORE)
