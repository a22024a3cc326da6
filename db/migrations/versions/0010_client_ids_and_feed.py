"""Client ids for what the app creates (R16, R31) and a fuller, quieter change feed (R18).

Client ids: `meetings`, `lists` and `list_items` get `client_id`, the UUID the creator's app
gave the object; `list_items` also records who added it (`created_by_id`). A client id is
unique per creator and table: `notes.client_id`, unique over every writer until now, becomes
unique per writer like the others, so one user's UUID can never collide with (and so reveal)
another's.

The change log: every row now says what the write did to the row it is about (`op`:
INSERT, UPDATE, DELETE), so the feed can tell an object created after a cursor (the device
cannot have had it) from one it may hold; for a list attached to or detached from a meeting,
`op` is the attachment's. Attendees get rows of their own (ATTENDEE: the
buyer, and the meeting in `meeting_id`) besides the meeting's, and the catalogue (`contents`)
is tracked (CONTENT). Every trigger is dropped first and made again, on both databases, so
the table changes above put nothing in the feed.

Downgrade: the reverse, ending with the triggers of revision 0008.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

OPERATIONS = {"INSERT": ("NEW", "NEW"), "UPDATE": ("NEW", "OLD"), "DELETE": ("OLD", "OLD")}
BEFORE_COLUMNS = (
    "entity",
    "entity_id",
    "meeting_id",
    "list_id",
    "owner_id",
    "buyer_id",
    "host_only",
    "is_global",
)
COLUMNS = (*BEFORE_COLUMNS, "op")
DEFAULTS = {"host_only": "FALSE", "is_global": "FALSE", "op": "'{op}'"}
INTERNAL = "(NOT ({o}.shared OR {r}.shared))"  # revision 0008's: internal before and after
# For each table, the change_log rows one write adds: {r} is the row the change is about
# (NEW, or OLD on DELETE), {o} the row before it (OLD, or NEW on INSERT), {op} the operation.
BEFORE: dict[str, list[dict[str, str]]] = {  # revisions 0003 and 0008
    "meetings": [{"entity": "'MEETING'", "entity_id": "{r}.id", "owner_id": "{o}.host_id"}],
    "meeting_attendees": [{"entity": "'MEETING'", "entity_id": "{r}.meeting_id", "buyer_id": "{r}.buyer_id"}],
    "meeting_lists": [{"entity": "'LIST'", "entity_id": "{r}.list_id", "meeting_id": "{r}.meeting_id"}],
    "notes": [
        {"entity": "'NOTE'", "entity_id": "{r}.id", "meeting_id": "{r}.meeting_id", "host_only": INTERNAL}
    ],
    "lists": [
        {
            "entity": "'LIST'",
            "entity_id": "{r}.id",
            "owner_id": "{r}.owner_id",
            "buyer_id": "{r}.buyer_id",
            "is_global": "({r}.kind = 'GLOBAL')",
        }
    ],
    "list_items": [{"entity": "'LIST_ITEM'", "entity_id": "{r}.id", "list_id": "{r}.list_id"}],
    "account_manager_coordinators": [
        {"entity": "'COVERAGE'", "entity_id": "{r}.am_id", "owner_id": "{r}.sc_id"}
    ],
}
NOW: dict[str, list[dict[str, str]]] = {
    **BEFORE,
    "meeting_attendees": [
        {**BEFORE["meeting_attendees"][0], "op": "'UPDATE'"},  # the meeting changed
        {
            "entity": "'ATTENDEE'",
            "entity_id": "{r}.buyer_id",
            "meeting_id": "{r}.meeting_id",
            "buyer_id": "{r}.buyer_id",
        },
    ],
    # a list attached or detached: `op` is the attachment's (its row has the meeting's id)
    "meeting_lists": BEFORE["meeting_lists"],
    "contents": [{"entity": "'CONTENT'", "entity_id": "{r}.id"}],
}
CLIENT_ID_INDEXES = {
    "meetings": ("uq_meetings_creator_client_id", ["created_by_id", "client_id"]),
    "lists": ("uq_lists_owner_client_id", ["owner_id", "client_id"]),
    "list_items": ("uq_list_items_creator_client_id", ["created_by_id", "client_id"]),
    "notes": ("uq_notes_author_client_id", ["author_id", "client_id"]),
}
SQLITE_UNIQUE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _insert(spec: dict[str, str], columns: tuple[str, ...], operation: str, xid: str, now: str) -> str:
    row, before = OPERATIONS[operation]
    values = [
        spec.get(column, DEFAULTS.get(column, "NULL")).format(r=row, o=before, op=operation)
        for column in columns
    ]
    return (
        f"INSERT INTO change_log (xid, {', '.join(columns)}, at) VALUES ({xid}, {', '.join(values)}, {now})"
    )


def _create_triggers(
    dialect: str, tracked: dict[str, list[dict[str, str]]], columns: tuple[str, ...]
) -> None:
    postgresql = dialect == "postgresql"
    xid, now = ("pg_current_xact_id()::text::bigint", "now()") if postgresql else ("0", "datetime('now')")
    for table, specs in tracked.items():
        for operation in OPERATIONS:
            name = f"change_log_{table}_{operation.lower()}"
            body = " ".join(f"{_insert(spec, columns, operation, xid, now)};" for spec in specs)
            if postgresql:
                op.execute(
                    f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    f"BEGIN {body} RETURN NULL; END $$"
                )
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {operation} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"
                )
            else:
                op.execute(f"CREATE TRIGGER {name} AFTER {operation} ON {table} BEGIN {body} END")


def _drop_triggers(dialect: str, tables: list[str]) -> None:
    for table in tables:
        for operation in OPERATIONS:
            name = f"change_log_{table}_{operation.lower()}"
            if dialect == "postgresql":
                op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                op.execute(f"DROP FUNCTION IF EXISTS {name}()")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS {name}")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_triggers(dialect, list(BEFORE))
    op.add_column("change_log", sa.Column("op", sa.String(length=6), server_default="UPDATE", nullable=False))
    # plain ADD COLUMN on both databases: meetings and lists are not rebuilt (SQLite would
    # cascade the rebuild's DROP TABLE into their notes, attendees and items)
    op.add_column("meetings", sa.Column("client_id", sa.String(length=36), nullable=True))
    op.add_column("lists", sa.Column("client_id", sa.String(length=36), nullable=True))
    with op.batch_alter_table("list_items", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("client_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key("fk_list_items_created_by_id_users", "users", ["created_by_id"], ["id"])
    if dialect == "postgresql":
        op.drop_constraint("notes_client_id_key", "notes", type_="unique")
    else:  # an unnamed constraint: named by convention to be dropped (the table is rebuilt)
        with op.batch_alter_table(
            "notes", naming_convention=SQLITE_UNIQUE_NAMES, table_kwargs={"sqlite_autoincrement": True}
        ) as batch_op:
            batch_op.drop_constraint("uq_notes_client_id", type_="unique")
    for table, (name, columns) in CLIENT_ID_INDEXES.items():
        op.create_index(name, table, columns, unique=True)
    _create_triggers(dialect, NOW, COLUMNS)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_triggers(dialect, list(NOW))
    for table, (name, _columns) in CLIENT_ID_INDEXES.items():
        op.drop_index(name, table_name=table)
    if dialect == "postgresql":
        op.create_unique_constraint("notes_client_id_key", "notes", ["client_id"])
    else:
        with op.batch_alter_table("notes", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
            batch_op.create_unique_constraint("uq_notes_client_id", ["client_id"])
    with op.batch_alter_table("list_items", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_constraint("fk_list_items_created_by_id_users", type_="foreignkey")
        batch_op.drop_column("client_id")
        batch_op.drop_column("created_by_id")
    op.drop_column("lists", "client_id")  # SQLite 3.35+: ALTER TABLE DROP COLUMN, no rebuild
    op.drop_column("meetings", "client_id")
    op.drop_column("change_log", "op")
    _create_triggers(dialect, BEFORE, BEFORE_COLUMNS)
