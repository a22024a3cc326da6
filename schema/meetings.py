"""Root fields for meetings and notes: setup on the web (R9), the app channel (R10),
exactly-once writes (R16) and versioned notes (R17)."""

from __future__ import annotations

import strawberry
from salescoord.permissions.enums import Channel, Permission
from salescoord.permissions.guards import HasPermission, OnChannel, ScopedBy
from salescoord.resolvers import meetings as resolve
from salescoord.resolvers.keyed import keyed
from salescoord.schema.enums import ScopeBasis
from salescoord.schema.guards import guard, scoped
from salescoord.schema.pagination import Connection
from salescoord.schema.types.meetings import Meeting, Note
from salescoord.schema.types.people import User

MANAGES = [guard(HasPermission(Permission.MANAGE_MEETINGS), ScopedBy(ScopeBasis.MEETING))]
HOST_IN_APP = [guard(OnChannel(Channel.APP, host_only=True), ScopedBy(ScopeBasis.MEETING))]
WRITES_NOTES = MANAGES


@strawberry.type
class MeetingsQuery:
    meetings: Connection[Meeting] = strawberry.field(
        resolver=resolve.meetings,
        extensions=[scoped(ScopeBasis.MEETING)],
        description="Meetings you may see (past ones with `to`), filtered by host, buyer, dates, status.",
    )
    offered_buyers: Connection[User] = strawberry.field(
        resolver=resolve.offered_buyers,
        extensions=[guard(HasPermission(Permission.MANAGE_MEETINGS), ScopedBy(ScopeBasis.ACCOUNT_MANAGER))],
        description="The buyers a meeting of this host may have: exactly those associated "
        "with the host AM (R1, R9), searchable by name or email.",
    )


@strawberry.type
class MeetingsMutation:
    create_meeting: Meeting | None = strawberry.mutation(
        resolver=resolve.create_meeting,
        extensions=keyed(
            MANAGES,
            also_keyed_by="client_id",
            added_later=("duration_minutes", "time_zone", "allow_double_booking", "client_id"),
        ),
        description="For yourself, or (an SC) for an AM assigned to you, who is then the host (R9). "
        "A time the host has another meeting at is a CONFLICT naming it, unless "
        "`allowDoubleBooking: true` (R33).",
    )
    update_meeting: Meeting | None = strawberry.mutation(
        resolver=resolve.update_meeting,
        extensions=keyed(MANAGES, added_later=("allow_double_booking",)),
        description="A new host keeps only buyers associated with them. A new time or host is "
        "checked for double booking like `createMeeting`; the attendees are not told: "
        "`rescheduleMeeting` tells them (R33). A cancelled meeting is a CONFLICT.",
    )
    cancel_meeting: Meeting | None = strawberry.mutation(
        resolver=resolve.cancel_meeting,
        extensions=keyed(MANAGES),
        description="Cancel a SCHEDULED meeting, for good, with a reason emailed to each attendee "
        "(R33). Who may change the meeting may cancel it: on the web its host and the SCs of the "
        "host AM (R9), through the app its host (R10). Any other status is a CONFLICT.",
    )
    reschedule_meeting: Meeting | None = strawberry.mutation(
        resolver=resolve.reschedule_meeting,
        extensions=keyed(MANAGES),
        description="Move a SCHEDULED meeting: a new start, and optionally a new duration and "
        "time zone; each attendee is emailed the new time on the meeting's clock. A time the host "
        "has another meeting at is a CONFLICT naming it, unless `allowDoubleBooking: true` (R33).",
    )
    add_attendees: Meeting | None = strawberry.mutation(
        resolver=resolve.add_attendees,
        extensions=keyed(MANAGES),
        description="Only buyers associated with the host; any other is FORBIDDEN (R9).",
    )
    remove_attendees: Meeting | None = strawberry.mutation(
        resolver=resolve.remove_attendees, extensions=keyed(MANAGES)
    )
    attach_list: Meeting | None = strawberry.mutation(
        resolver=resolve.attach_list,
        extensions=keyed(MANAGES),
        description="A list you may open, used in the meeting (R11).",
    )
    detach_list: Meeting | None = strawberry.mutation(resolver=resolve.detach_list, extensions=keyed(MANAGES))
    start_meeting: Meeting | None = strawberry.mutation(
        resolver=resolve.start_meeting,
        extensions=keyed(HOST_IN_APP),
        description="The host, through the app (R10).",
    )
    end_meeting: Meeting | None = strawberry.mutation(
        resolver=resolve.end_meeting,
        extensions=keyed(HOST_IN_APP),
        description="The host, through the app (R10).",
    )
    create_note: Note | None = strawberry.mutation(
        resolver=resolve.create_note,
        extensions=keyed(WRITES_NOTES, also_keyed_by="client_id"),
        description="Before the meeting: its host or an SC managing it (R9); once started: the host "
        "only (R10). Internal unless `shared: true`: only then does it reach the attending buyers "
        "(R37). `clientId` is the app's UUID for the note and serves as the key.",
    )
    update_note: Note | None = strawberry.mutation(
        resolver=resolve.update_note,
        extensions=keyed(WRITES_NOTES),
        description="Name the version you read; a stale one is a CONFLICT carrying the current note (R17). "
        "`shared: true` is its writer's to give (R37); whoever may edit the note may make it internal.",
    )
    delete_note: strawberry.ID = strawberry.mutation(
        resolver=resolve.delete_note,
        extensions=keyed(WRITES_NOTES),
        description="Returns the deleted note's id; a stale version is a CONFLICT.",
    )
    send_meeting_summary: Meeting | None = strawberry.mutation(
        resolver=resolve.send_meeting_summary,
        extensions=keyed(MANAGES),
        description="Email the summary (attendees, notes, list items with notes) to the chosen "
        "attendees, all by default, each as they may see the meeting: only the notes shared with "
        "them (R37), only the lists shared with them (R13). Through the app: the host (R10); on "
        "the web: whoever manages the meeting, also again (R9). Each send is a new outbox entry "
        "and audit event (R21).",
    )
