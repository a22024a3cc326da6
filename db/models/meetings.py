"""Meetings that an AM (or an SC hosting it) holds with buyers, and the notes taken (R9, R10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from salescoord.db.models.base import NEVER_REUSE_IDS, UTCDateTime, created_at_field, moment_field
from sqlmodel import Field, SQLModel

# What each text field holds at most: the column's length, and what the API accepts (R23).
MEETING_TITLE_LENGTH = 200
NOTE_TEXT_LENGTH = 20_000
CLIENT_ID_LENGTH = 36  # a UUID in its canonical form: the id the app gives what it creates (R31)
CANCEL_REASON_LENGTH = 2_000
TIME_ZONE_LENGTH = 64  # an IANA name: the longest in the tz database has 32 characters
DURATION_MINUTES = (5, 1_440)  # a meeting lasts five minutes to a day
DEFAULT_DURATION_MINUTES = 60


LAST_MOMENT = datetime.max.replace(tzinfo=UTC)


def meeting_end(starts_at: datetime, duration_minutes: int) -> datetime:
    """When a meeting starting at `starts_at` ends; at the calendar's end for one that would
    end past it (every time with a UTC instant is a valid start)."""
    try:
        return starts_at + timedelta(minutes=duration_minutes)
    except OverflowError:
        return LAST_MOMENT


class MeetingStatus(StrEnum):
    """SCHEDULED -> IN_PROGRESS -> ENDED, each step once, by the host through the app (R10);
    or SCHEDULED -> CANCELLED, by whoever manages the meeting, for good (R33)."""

    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    ENDED = "ENDED"
    CANCELLED = "CANCELLED"


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
    # always starts_at + duration_minutes, kept so that a host's overlapping meetings are one
    # comparison on both databases (R33)
    ends_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    duration_minutes: int = Field(
        default=DEFAULT_DURATION_MINUTES, sa_column_kwargs={"server_default": str(DEFAULT_DURATION_MINUTES)}
    )
    # the IANA zone the meeting is held in: starts_at stays UTC, emails show local time (R33)
    time_zone: str = Field(
        default="UTC", max_length=TIME_ZONE_LENGTH, sa_column_kwargs={"server_default": "UTC"}
    )
    status: str = Field(default=MeetingStatus.SCHEDULED, max_length=20)
    started_at: datetime | None = moment_field()
    ended_at: datetime | None = moment_field()
    cancelled_at: datetime | None = moment_field()
    cancel_reason: str | None = Field(default=None, max_length=CANCEL_REASON_LENGTH)
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
