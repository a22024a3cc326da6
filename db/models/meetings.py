"""Meetings that an AM (or an SC hosting it) holds with buyers, and the notes taken (R9, R10)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from salescoord.db.models.base import NEVER_REUSE_IDS, UTCDateTime, created_at_field, moment_field
from sqlmodel import Field, SQLModel

# What each text field holds at most: the column's length, and what the API accepts (R23).
MEETING_TITLE_LENGTH = 200
NOTE_TEXT_LENGTH = 20_000
CLIENT_ID_LENGTH = 36  # a UUID in its canonical form: the id the app gives what it creates (R31)


class MeetingStatus(StrEnum):
    """SCHEDULED -> IN_PROGRESS -> ENDED, each step once, by the host through the app (R10)."""

    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    ENDED = "ENDED"


class NotePhase(StrEnum):
    """When a note was written: before its meeting started (host or SC, R9) or in it (host, R10)."""

    PRE_MEETING = "PRE_MEETING"
    IN_MEETING = "IN_MEETING"


class Meeting(SQLModel, table=True):
    __tablename__ = "meetings"
    __table_args__ = (
        sa.Index("uq_meetings_creator_client_id", "created_by_id", "client_id", unique=True),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    host_id: int = Field(foreign_key="users.id", index=True)
    created_by_id: int = Field(foreign_key="users.id")
    title: str = Field(max_length=MEETING_TITLE_LENGTH)
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    status: str = Field(default=MeetingStatus.SCHEDULED, max_length=20)
    started_at: datetime | None = moment_field()
    ended_at: datetime | None = moment_field()
    version: int = Field(default=1)
    client_id: str | None = Field(default=None, max_length=CLIENT_ID_LENGTH)  # its creator's UUID (R31)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class MeetingAttendee(SQLModel, table=True):
    __tablename__ = "meeting_attendees"

    meeting_id: int = Field(foreign_key="meetings.id", primary_key=True, ondelete="CASCADE")
    buyer_id: int = Field(foreign_key="users.id", primary_key=True, index=True)


class MeetingList(SQLModel, table=True):
    """A list used in a meeting: the one way an SC reaches an AM's BUYER list (R11)."""

    __tablename__ = "meeting_lists"

    meeting_id: int = Field(foreign_key="meetings.id", primary_key=True, ondelete="CASCADE")
    list_id: int = Field(foreign_key="lists.id", primary_key=True, index=True, ondelete="CASCADE")


class Note(SQLModel, table=True):
    """Text written before a meeting (host or SC) or during it (host only); versioned (R17)."""

    __tablename__ = "notes"
    __table_args__ = (
        sa.Index("uq_notes_author_client_id", "author_id", "client_id", unique=True),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meetings.id", index=True, ondelete="CASCADE")
    author_id: int = Field(foreign_key="users.id")
    phase: str = Field(max_length=20)  # a NotePhase
    # internal unless its writer shares it with the attending buyers (R37): the column's own
    # default says so, for every insert
    shared: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    text: str = Field(max_length=NOTE_TEXT_LENGTH)
    client_id: str | None = Field(default=None, max_length=64)  # its writer's UUID (R31)
    version: int = Field(default=1)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
