"""Meetings and their notes (R9, R10, R13, R17)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from salescoord.resolvers import meetings as resolve
from salescoord.resolvers.lookups import own_client_id
from salescoord.resolvers.related import ToOne
from salescoord.schema.enums import MeetingStatus, NotePhase, ScopeBasis
from salescoord.schema.guards import scoped
from salescoord.schema.ids import encode_id
from salescoord.schema.node import Node
from salescoord.schema.pagination import Connection
from salescoord.schema.types.people import User
from salescoord.schema.types.visibility import Visibility, explained

if TYPE_CHECKING:
    from salescoord.schema.types.lists import List

ListType = Annotated["List", strawberry.lazy("salescoord.schema.types.lists")]
HOST = ToOne("host_id")
CREATED_BY = ToOne("created_by_id")
MEETING = ToOne("meeting_id")
AUTHOR = ToOne("author_id")


@strawberry.type(description="A meeting of a host (an AM, or an SC hosting it) with buyers.")
class Meeting(Node):
    id: strawberry.ID
    title: str
    starts_at: datetime = strawberry.field(description="In UTC; `timeZone` is the meeting's own clock.")
    ends_at: datetime = strawberry.field(description="`startsAt` + `durationMinutes` (R33).")
    duration_minutes: int
    time_zone: str = strawberry.field(
        description="The IANA zone the meeting is held in; emails show local time in it (R33)."
    )
    status: MeetingStatus
    started_at: datetime | None
    ended_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None = strawberry.field(
        description="Why it was cancelled, as the attendees were told (R33)."
    )
    version: int
    updated_at: datetime
    pk: strawberry.Private[int]
    host_id: strawberry.Private[int]
    created_by_id: strawberry.Private[int]
    creator_id: strawberry.Private[int]
    stored_client_id: strawberry.Private[str | None]
    client_id: strawberry.ID | None = strawberry.field(
        resolver=own_client_id,
        description="The UUID your app gave it when it made it (R31); null when someone else made it.",
    )
    host: User | None = strawberry.field(
        resolver=resolve.host,
        extensions=[scoped(), HOST],
        description="The AM (or SC) who holds the meeting.",
    )
    created_by: User | None = strawberry.field(
        resolver=resolve.created_by,
        extensions=[scoped(), CREATED_BY],
        description="Who set the meeting up (an SC, on the host's behalf).",
    )
    attendees: Connection[User] = strawberry.field(
        resolver=resolve.attendees,
        extensions=[scoped()],
        description="The buyers attending, as far as you may see them.",
    )
    notes: Connection[Note] = strawberry.field(
        resolver=resolve.notes,
        extensions=[scoped(ScopeBasis.MEETING)],
        description="Pre-meeting and in-meeting notes; buyers never see host-only notes (R13).",
    )
    lists: Connection[ListType] = strawberry.field(
        resolver=resolve.lists,
        extensions=[scoped(ScopeBasis.LIST_ACCESS)],
        description="Lists used in the meeting: how an SC managing it reaches an AM's BUYER list (R11).",
    )
    visibility: Visibility | None = explained("meeting")

    @classmethod
    def from_row(cls, row: Any) -> Meeting:
        return cls(
            id=encode_id("Meeting", row.id),
            title=row.title,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            duration_minutes=row.duration_minutes,
            time_zone=row.time_zone,
            status=MeetingStatus(row.status),
            started_at=row.started_at,
            ended_at=row.ended_at,
            cancelled_at=row.cancelled_at,
            cancel_reason=row.cancel_reason,
            version=row.version,
            updated_at=row.updated_at,
            pk=row.id,
            host_id=row.host_id,
            created_by_id=row.created_by_id,
            creator_id=row.created_by_id,
            stored_client_id=row.client_id,
        )


@strawberry.type(description="Text written before a meeting (host or SC) or in it (host); versioned (R17).")
class Note(Node):
    id: strawberry.ID
    text: str
    phase: NotePhase
    shared: bool = strawberry.field(
        description="Whether the writer shared the note with the attending buyers; otherwise it is "
        "internal: the host and those who manage the meeting (R37)."
    )
    version: int
    created_at: datetime
    updated_at: datetime
    pk: strawberry.Private[int]
    meeting_id: strawberry.Private[int]
    author_id: strawberry.Private[int]
    creator_id: strawberry.Private[int]
    stored_client_id: strawberry.Private[str | None]
    client_id: strawberry.ID | None = strawberry.field(
        resolver=own_client_id,
        description="The UUID your app gave it when it made it (R31); null when someone else made it.",
    )
    host_only: bool = strawberry.field(
        resolver=resolve.host_only,
        deprecation_reason="Read `shared`: a note is internal unless shared (R37).",
    )
    meeting: Meeting | None = strawberry.field(
        resolver=resolve.note_meeting, extensions=[scoped(ScopeBasis.MEETING), MEETING]
    )
    author: User | None = strawberry.field(resolver=resolve.author, extensions=[scoped(), AUTHOR])

    @classmethod
    def from_row(cls, row: Any) -> Note:
        return cls(
            id=encode_id("Note", row.id),
            text=row.text,
            phase=NotePhase(row.phase),
            shared=row.shared,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            pk=row.id,
            meeting_id=row.meeting_id,
            author_id=row.author_id,
            creator_id=row.author_id,
            stored_client_id=row.client_id,
        )

    def snapshot(self) -> dict[str, Any]:
        """The note as a CONFLICT carries it (R17)."""
        return {"id": self.id, "version": self.version, "text": self.text, "shared": self.shared}
