"""Root fields for meetings and notes: setup on the web (R9), the app channel (R10),
exactly-once writes (R16) and versioned notes (R17)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from permissions.enums import Channel, Permission
from permissions.guards import HasPermission, OnChannel, ScopedBy
from resolvers import meetings as resolve
from salescoord.context import Info
from schema.enums import MeetingStatus, ScopeBasis
from schema.guards import guard, scoped
from schema.keys import Key
from schema.pagination import Connection
from schema.types.meetings import Meeting, Note
from schema.types.people import PAGE, User

MANAGES = [guard(HasPermission(Permission.MANAGE_MEETINGS), ScopedBy(ScopeBasis.MEETING))]
HOST_IN_APP = [guard(OnChannel(Channel.APP, host_only=True), ScopedBy(ScopeBasis.MEETING))]
WRITES_NOTES = MANAGES


@strawberry.type
class MeetingsQuery:
    @strawberry.field(
        extensions=[scoped(ScopeBasis.MEETING)],
        description="Meetings you may see (past ones with `to`), filtered by host, buyer, dates, status.",
    )
    async def meetings(
        self,
        info: Info,
        first: int = PAGE,
        after: str | None = None,
        host_id: strawberry.ID | None = None,
        buyer_id: strawberry.ID | None = None,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        status: MeetingStatus | None = None,
    ) -> Connection[Meeting]:
        return await resolve.meetings(info, first, after, host_id, buyer_id, from_, to, status)

    @strawberry.field(
        extensions=[guard(HasPermission(Permission.MANAGE_MEETINGS), ScopedBy(ScopeBasis.ACCOUNT_MANAGER))],
        description="The buyers a meeting of this host may have: exactly those associated "
        "with the host AM (R1, R9), searchable by name or email.",
    )
    async def offered_buyers(
        self,
        info: Info,
        host_id: strawberry.ID,
        search: str | None = None,
        first: int = PAGE,
        after: str | None = None,
    ) -> Connection[User]:
        return await resolve.offered_buyers(info, host_id, search, first, after)


@strawberry.type
class MeetingsMutation:
    @strawberry.mutation(
        extensions=MANAGES,
        description="For yourself, or (an SC) for an AM assigned to you, who is then the host (R9).",
    )
    async def create_meeting(
        self,
        info: Info,
        host_id: strawberry.ID,
        title: str,
        starts_at: datetime,
        attendee_ids: list[strawberry.ID] | None = None,
        client_mutation_id: Key = None,
    ) -> Meeting | None:
        return await resolve.create_meeting(info, host_id, title, starts_at, attendee_ids, client_mutation_id)

    @strawberry.mutation(extensions=MANAGES, description="A new host keeps only buyers associated with them.")
    async def update_meeting(
        self,
        info: Info,
        id: strawberry.ID,
        title: str | None = None,
        starts_at: datetime | None = None,
        host_id: strawberry.ID | None = None,
        client_mutation_id: Key = None,
    ) -> Meeting | None:
        return await resolve.update_meeting(info, id, title, starts_at, host_id, client_mutation_id)

    @strawberry.mutation(
        extensions=MANAGES, description="Only buyers associated with the host; any other is FORBIDDEN (R9)."
    )
    async def add_attendees(
        self,
        info: Info,
        meeting_id: strawberry.ID,
        buyer_ids: list[strawberry.ID],
        client_mutation_id: Key = None,
    ) -> Meeting | None:
        return await resolve.change_attendees(info, meeting_id, buyer_ids, True, client_mutation_id)

    @strawberry.mutation(extensions=MANAGES)
    async def remove_attendees(
        self,
        info: Info,
        meeting_id: strawberry.ID,
        buyer_ids: list[strawberry.ID],
        client_mutation_id: Key = None,
    ) -> Meeting | None:
        return await resolve.change_attendees(info, meeting_id, buyer_ids, False, client_mutation_id)

    @strawberry.mutation(extensions=MANAGES, description="A list you may open, used in the meeting (R11).")
    async def attach_list(
        self,
        info: Info,
        meeting_id: strawberry.ID,
        list_id: strawberry.ID,
        client_mutation_id: Key = None,
    ) -> Meeting | None:
        return await resolve.change_list(info, meeting_id, list_id, True, client_mutation_id)

    @strawberry.mutation(extensions=MANAGES)
    async def detach_list(
        self,
        info: Info,
        meeting_id: strawberry.ID,
        list_id: strawberry.ID,
        client_mutation_id: Key = None,
    ) -> Meeting | None:
        return await resolve.change_list(info, meeting_id, list_id, False, client_mutation_id)

    @strawberry.mutation(extensions=HOST_IN_APP, description="The host, through the app (R10).")
    async def start_meeting(
        self, info: Info, id: strawberry.ID, client_mutation_id: Key = None
    ) -> Meeting | None:
        return await resolve.move_status(
            info, id, MeetingStatus.SCHEDULED, MeetingStatus.IN_PROGRESS, client_mutation_id
        )

    @strawberry.mutation(extensions=HOST_IN_APP, description="The host, through the app (R10).")
    async def end_meeting(
        self, info: Info, id: strawberry.ID, client_mutation_id: Key = None
    ) -> Meeting | None:
        return await resolve.move_status(
            info, id, MeetingStatus.IN_PROGRESS, MeetingStatus.ENDED, client_mutation_id
        )

    @strawberry.mutation(
        extensions=WRITES_NOTES,
        description="Before the meeting: its host or an SC managing it (R9); once started: the host "
        "only (R10). Internal unless `shared: true`: only then does it reach the attending buyers "
        "(R37). `clientId` is the app's UUID for the note and serves as the key.",
    )
    async def create_note(
        self,
        info: Info,
        meeting_id: strawberry.ID,
        text: str,
        shared: bool = False,
        client_id: str | None = None,
        client_mutation_id: Key = None,
    ) -> Note | None:
        return await resolve.create_note(info, meeting_id, text, shared, client_id, client_mutation_id)

    @strawberry.mutation(
        extensions=WRITES_NOTES,
        description="Name the version you read; a stale one is a CONFLICT carrying the current note (R17). "
        "`shared: true` is its writer's to give (R37); whoever may edit the note may make it internal.",
    )
    async def update_note(
        self,
        info: Info,
        id: strawberry.ID,
        version: int,
        text: str | None = None,
        shared: bool | None = None,
        client_mutation_id: Key = None,
    ) -> Note | None:
        return await resolve.update_note(info, id, version, text, shared, client_mutation_id)

    @strawberry.mutation(
        extensions=WRITES_NOTES, description="Returns the deleted note's id; a stale version is a CONFLICT."
    )
    async def delete_note(
        self, info: Info, id: strawberry.ID, version: int, client_mutation_id: Key = None
    ) -> strawberry.ID:
        return await resolve.delete_note(info, id, version, client_mutation_id)

    @strawberry.mutation(
        extensions=MANAGES,
        description="Email the summary (attendees, notes, list items with notes) to the chosen "
        "attendees, all by default, each as they may see the meeting: only the notes shared with "
        "them (R37), only the lists shared with them (R13). Through the app: the host (R10); on "
        "the web: whoever manages the meeting, also again (R9). Each send is a new outbox entry "
        "and audit event (R21).",
    )
    async def send_meeting_summary(
        self,
        info: Info,
        meeting_id: strawberry.ID,
        buyer_ids: list[strawberry.ID] | None = None,
        client_mutation_id: Key = None,
    ) -> Meeting | None:
        return await resolve.send_summary(info, meeting_id, buyer_ids, client_mutation_id)
