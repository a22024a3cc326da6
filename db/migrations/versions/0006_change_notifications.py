"""Live updates across server processes (R19): the change log notifies its listeners.

On PostgreSQL a trigger on `change_log` sends `NOTIFY salescoord_changes` with the id of the
meeting a row is about (a meeting's own row, or a note's or list link's meeting), or `*` for a
change of an SC's AMs (COVERAGE), which may take any meeting out of sight. Rows about lists
and items alone concern no meeting's subscription and send nothing. PostgreSQL delivers a
notification at commit, once per distinct payload of a transaction, to every listening process
(`db.listen.ChangeListener`). SQLite has one host and keeps polling: nothing to do there.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NOTIFY_FUNCTION = """
CREATE FUNCTION change_log_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.entity = 'MEETING' THEN
    PERFORM pg_notify('salescoord_changes', NEW.entity_id::text);
  ELSIF NEW.meeting_id IS NOT NULL THEN
    PERFORM pg_notify('salescoord_changes', NEW.meeting_id::text);
  ELSIF NEW.entity = 'COVERAGE' THEN
    PERFORM pg_notify('salescoord_changes', '*');
  END IF;
  RETURN NULL;
END $$
"""
NOTIFY_TRIGGER = (
    "CREATE TRIGGER change_log_notify AFTER INSERT ON change_log "
    "FOR EACH ROW EXECUTE FUNCTION change_log_notify()"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(NOTIFY_FUNCTION)
        op.execute(NOTIFY_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS change_log_notify ON change_log")
        op.execute("DROP FUNCTION IF EXISTS change_log_notify()")
