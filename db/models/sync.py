"""What the iPad sync contract keeps (R16, R18): mutation outcomes and the change log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from salescoord.db.models.base import NEVER_REUSE_IDS, created_at_field
from sqlmodel import Field, SQLModel


class MutationOutcome(SQLModel, table=True):
    """One row per client-generated mutation id of a user (R16): inserted first in the
    transaction that performs the mutation, so a replay (also a concurrent one, in another
    process) meets the unique key and reads the stored outcome instead of acting twice.
    Rows older than the retention period are purged lazily."""

    __tablename__ = "mutation_outcomes"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "client_mutation_id", name="uq_mutation_outcomes_user_key"),
        sa.Index("ix_mutation_outcomes_created_at", "created_at"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    client_mutation_id: str = Field(max_length=64)
    operation: str = Field(max_length=60)
    request_hash: str = Field(max_length=64)
    result_type: str | None = Field(default=None, max_length=40)
    result_id: int | None = None
    created_at: datetime = created_at_field()


class ChangeKind(StrEnum):
    """What a change-feed entry tells the app to do with its copy (R18)."""

    UPSERT = "UPSERT"
    """Created or changed, and visible: store `node` (fetch a new meeting's notes and lists)."""
    DELETED = "DELETED"
    """Deleted for good: drop it (a meeting's notes, a list's items with it)."""
    REMOVED_FROM_VIEW = "REMOVED_FROM_VIEW"
    """Still exists, but you may no longer see it: drop it the same way."""


class ChangeEntity(StrEnum):
    """What a change-log row is about, as the triggers of migration 0003 write it: an object the
    feed hands out, or COVERAGE (an AM-SC link, which changes what an SC sees)."""

    MEETING = "MEETING"
    NOTE = "NOTE"
    LIST = "LIST"
    LIST_ITEM = "LIST_ITEM"
    COVERAGE = "COVERAGE"
    ATTENDEE = "ATTENDEE"
    """A buyer added to or removed from a meeting: `entity_id` the buyer, `meeting_id` the meeting."""
    CONTENT = "CONTENT"
    """An item of the catalogue created, changed or deleted."""


class ChangeOp(StrEnum):
    """What the write did to the row a change-log row is about (migration 0013). INSERT marks
    an object's creation (or a buyer's attendance, a list's attachment to a meeting, an AM-SC
    link), so the feed knows what did not exist yet at a cursor's time. An attendee's row
    about its meeting counts as an UPDATE of the meeting."""

    INSERT = "INSERT"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


class ChangeLogEntry(SQLModel, table=True):
    """One row per write to a meeting, attendee, note, list, list item, meeting-list link or
    AM-SC link, written by database triggers (so no code path can forget it) (R18).

    Rows name the changed object and the context needed to decide, at read time and for
    each viewer, whether the change is an upsert, a deletion or the object leaving sight:
    `meeting_id` (a note's meeting, a list's meeting link), `list_id` (an item's list),
    `owner_id` (a list's owner, a meeting's host before the change, an SC),
    `buyer_id` (a BUYER list's buyer, a meeting's attendee added or removed), `host_only` (a
    note internal, not shared with buyers, before and after the change), `is_global` (a GLOBAL list).
    `xid` is the writing transaction's id on PostgreSQL (0 on SQLite): the feed hands out
    only rows of transactions older than every transaction still running, ordered by
    (xid, id), so a late commit is never skipped."""

    __tablename__ = "change_log"
    __table_args__ = (
        sa.Index("ix_change_log_xid_id", "xid", "id"),
        sa.Index("ix_change_log_at", "at"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    xid: int = Field(default=0, sa_type=sa.BigInteger, nullable=False)
    entity: str = Field(max_length=20)  # a ChangeEntity
    entity_id: int
    meeting_id: int | None = None
    list_id: int | None = None
    owner_id: int | None = None
    buyer_id: int | None = None
    host_only: bool = Field(default=False)
    is_global: bool = Field(default=False)
    op: str = Field(default=ChangeOp.UPDATE, max_length=6, sa_column_kwargs={"server_default": "UPDATE"})
    at: datetime = created_at_field()
