"""Meetings: setup on the web (R9), the app's in-meeting work (R10), notes with versions (R17),
cancelling, rescheduling and double booking (R33).

Seeing a meeting is `Scope.meetings()`; changing it is `Scope.managed_meetings()`: on the
web an SC manages the meetings of the AMs assigned to them and their own, through the app
only the host does. A meeting out of sight is NOT_FOUND; one in sight that the viewer may
not change (a buyer's) is FORBIDDEN. Every write is keyed (`resolvers.keyed`, R16): each
body checks for a replay, checks its input, then writes in one transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from salescoord.db.models.meetings import (
    CANCEL_REASON_LENGTH,
    DEFAULT_DURATION_MINUTES,
    MEETING_TITLE_LENGTH,
    NOTE_TEXT_LENGTH,
    NotePhase,
    meeting_end,
)
from salescoord.db.queries import meetings as queries
from salescoord.db.queries.people import USER_ORDER
from salescoord.resolvers import inputs, node_types
from salescoord.resolvers.keyed import ClientId, Key, Number, keyed_call
from salescoord.resolvers.lookups import made_before, visible_row, visible_rows
from salescoord.resolvers.pagination import nested_connection, top_connection
from salescoord.resolvers.related import one
from salescoord.schema import types
from salescoord.schema.enums import MeetingStatus
from salescoord.schema.ids import checked_client_id, encode_id
from salescoord.schema.pagination import Connection

from salescoord.context import Info
from salescoord.errors import BadUserInput, Conflict, Forbidden
from salescoord.outbox import meeting_notices, summaries

if TYPE_CHECKING:
    from salescoord.schema.types.meetings import Meeting, Note
    from salescoord.schema.types.people import User
    from sqlalchemy.ext.asyncio import AsyncConnection


AllowDoubleBooking = Annotated[
    bool,
    strawberry.argument(
        description="Book the time even though the host has another meeting then; otherwise "
        "that is a CONFLICT naming the other meeting (R33)."
    ),
]
TimeZone = Annotated[
    str,
    strawberry.argument(
        description="The IANA zone the meeting is held in (e.g. `Europe/Paris`): `startsAt` stays "
        "UTC, emails show the time on this zone's clock (R33)."
    ),
]


# -- reads --------------------------------------------------------------------------------
async def meetings(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    host_id: strawberry.ID | None = None,
    buyer_id: strawberry.ID | None = None,
    from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
    to: datetime | None = None,
    status: MeetingStatus | None = None,
) -> Connection[Meeting]:
    statement = queries.search_meetings(
        info.context.scope,
        host_id=(await visible_row(info, host_id, types.people.User, "hostId")).id
        if host_id is not None
        else None,
        buyer_id=(await visible_row(info, buyer_id, types.people.User, "buyerId")).id
        if buyer_id is not None
        else None,
        starts_from=from_,
        starts_to=to,
        status=status,
    )
    return await top_connection(
        info, statement, queries.MEETING_ORDER, first, after, last, before, types.meetings.Meeting.from_row
    )


async def offered_buyers(
    info: Info,
    host_id: strawberry.ID,
    search: str | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[User]:
    search = inputs.search(search)
    host = await _allowed_host(info, host_id)
    statement = queries.offered_buyers(info.context.scope, host, search=search)
    return await top_connection(
        info, statement, USER_ORDER, first, after, last, before, types.people.User.from_row
    )


# -- helpers ------------------------------------------------------------------------------
async def _allowed_host(info: Info, host_id: str, field: str = "hostId") -> int:
    """A host the viewer may set up meetings for (R9): someone out of sight is NOT_FOUND like
    nobody at all; someone in sight who may not host for the viewer is FORBIDDEN."""
    pk = (await visible_row(info, host_id, types.people.User, field)).id
    scope = info.context.scope
    if await info.context.db.fetch_one(queries.allowed_host(scope, pk)) is None:
        if scope.acts_as_host_only and not scope.hosts(pk):
            raise Forbidden("Through the app you set up only meetings you host (R10).", field=field)
        raise Forbidden("You may not set up meetings for this host.", field=field)
    return pk


async def _buyers(info: Info, buyer_ids: list[str], field: str) -> list[int]:
    return [
        row.id for row in await visible_rows(info, inputs.unique(buyer_ids, field), types.people.User, field)
    ]


async def _accepted(info: Info, host: int, buyer_ids: list[str], field: str) -> list[int]:
    """Buyers associated with the host AM (R1, R9); naming any other buyer in sight is FORBIDDEN."""
    pks = await _buyers(info, buyer_ids, field)
    accepted = set(await _scalars(info, queries.accepted_buyers(host, pks)))
    if set(pks) - accepted:
        raise Forbidden("Only buyers associated with the host may attend.", field=field)
    return pks


async def _scalars(info: Info, statement: Any) -> list[Any]:
    return [row[0] for row in await info.context.db.fetch(statement)]


async def _managed(info: Info, meeting_id: str, field: str) -> Any:
    """The meeting, if the viewer may change it: NOT_FOUND out of sight, FORBIDDEN in sight."""
    row = await visible_row(info, meeting_id, types.meetings.Meeting, field)
    managed = await info.context.db.fetch_one(queries.managed_meeting(info.context.scope, row.id))
    if managed is None:
        raise Forbidden("You may not change this meeting.", field=field)
    return managed


def _open(meeting: Any, field: str) -> None:
    """A cancelled meeting is closed: not edited, rescheduled, started or attended (R33)."""
    if meeting.status == MeetingStatus.CANCELLED:
        raise Conflict("The meeting is cancelled.", field=field, status=meeting.status)


def _scheduled(meeting: Any, done: str) -> None:
    """Only a SCHEDULED meeting is cancelled or rescheduled (R33): CONFLICT with its status."""
    if meeting.status != MeetingStatus.SCHEDULED:
        raise Conflict(
            f"Only a SCHEDULED meeting is {done}; this one is {meeting.status}.",
            field="meetingId",
            status=meeting.status,
        )


async def _current(connection: AsyncConnection, meeting_id: int) -> Any:
    """The meeting as stored now, read inside the write that found it changed."""
    return (await connection.execute(queries.meeting_row(meeting_id))).one()


async def _free(
    info: Info,
    connection: AsyncConnection,
    host: int,
    starts_at: datetime,
    ends_at: datetime,
    *,
    meeting_id: int | None = None,
    field: str = "startsAt",
) -> None:
    """The host has no other meeting (not cancelled) overlapping [starts_at, ends_at), or
    CONFLICT naming it, if the viewer may see it (R33). Read in the writing transaction, the
    host's row locked, so concurrent bookings of one host are checked one after the other."""
    await connection.execute(queries.host_lock(host))
    statement = queries.overlapping(info.context.scope, host, starts_at, ends_at, meeting_id)
    other = (await connection.execute(statement)).first()
    if other is None:
        return
    hint = "Pass allowDoubleBooking: true to book it anyway."
    if not other.visible:
        raise Conflict(f"The host has another meeting at that time. {hint}", field=field)
    other_id = encode_id("Meeting", other.id)
    raise Conflict(
        f"The host has another meeting at that time: {other_id}. {hint}", field=field, meetingId=other_id
    )


async def _meeting(info: Info, meeting_id: int | None) -> Meeting | None:
    info.context.refresh()
    return await node_types.load(info, types.meetings.Meeting, meeting_id)


async def _note(info: Info, note_id: int | None) -> Note | None:
    info.context.refresh()
    return await node_types.load(info, types.meetings.Note, note_id)


# -- setup on the web (R9) ----------------------------------------------------------------
async def create_meeting(
    info: Info,
    host_id: strawberry.ID,
    title: str,
    starts_at: datetime,
    attendee_ids: list[strawberry.ID] | None = None,
    duration_minutes: int = DEFAULT_DURATION_MINUTES,
    time_zone: TimeZone = "UTC",
    allow_double_booking: AllowDoubleBooking = False,
    client_id: ClientId = None,
    client_mutation_id: Key = None,
    mutation_number: Number = None,
) -> Meeting | None:
    call = keyed_call(info)
    if call.replayed is not None:
        return await _meeting(info, call.replayed.id)
    client_id = checked_client_id(client_id)
    if (made := await made_before(info, types.meetings.Meeting, client_id)) is not None:
        return await _meeting(info, made)
    title = inputs.text(title, "title", MEETING_TITLE_LENGTH)
    duration_minutes = inputs.duration(duration_minutes)
    time_zone = inputs.time_zone(time_zone)
    host = await _allowed_host(info, host_id)
    buyers = await _accepted(info, host, attendee_ids, "attendeeIds") if attendee_ids else []
    viewer = info.context.viewer
    async with call.transaction() as connection:
        if not allow_double_booking:
            await _free(info, connection, host, starts_at, meeting_end(starts_at, duration_minutes))
        meeting_id = await queries.create_meeting(
            connection,
            viewer,
            host,
            title,
            starts_at,
            duration_minutes=duration_minutes,
            time_zone=time_zone,
            client_id=client_id,
        )
        if buyers:
            await queries.set_attendees(connection, viewer, meeting_id, host, buyers, add=True)
        call.settle("Meeting", meeting_id)
    return await _meeting(info, meeting_id)


async def update_meeting(
    info: Info,
    id: strawberry.ID,
    title: str | None = None,
    starts_at: datetime | None = None,
    host_id: strawberry.ID | None = None,
    allow_double_booking: AllowDoubleBooking = False,
    client_mutation_id: Key = None,
    mutation_number: Number = None,
) -> Meeting | None:
    """A new time or host is checked against the host's other meetings (R33); the attendees
    are told of a new time only through `rescheduleMeeting`."""
    call = keyed_call(info)
    if call.replayed is not None:
        return await _meeting(info, call.replayed.id)
    meeting = await _managed(info, id, "id")
    _open(meeting, "id")
    values: dict[str, Any] = {}
    if title is not None:
        values["title"] = inputs.text(title, "title", MEETING_TITLE_LENGTH)
    if starts_at is not None:
        values["starts_at"] = starts_at
        values["ends_at"] = meeting_end(starts_at, meeting.duration_minutes)
    host = meeting.host_id
    if host_id is not None:
        host = await _allowed_host(info, host_id)
        attending = await _scalars(info, queries.attendee_ids(meeting.id))
        accepted = await _scalars(info, queries.accepted_buyers(host, attending)) if attending else []
        if set(attending) - set(accepted):
            raise Forbidden("The attendees are not all associated with that host.", field="hostId")
        values["host_id"] = host
    moved = starts_at is not None or host != meeting.host_id
    async with call.transaction() as connection:
        if moved and not allow_double_booking:
            start = values.get("starts_at", meeting.starts_at)
            end = values.get("ends_at", meeting.ends_at)
            field = "startsAt" if starts_at is not None else "hostId"
            await _free(info, connection, host, start, end, meeting_id=meeting.id, field=field)
        if not await queries.update_meeting(connection, info.context.viewer, meeting.id, host, values):
            raise Conflict("The meeting is cancelled.", field="id", status=MeetingStatus.CANCELLED)
        call.settle("Meeting", meeting.id)
    return await _meeting(info, meeting.id)


async def cancel_meeting(
    info: Info,
    meeting_id: strawberry.ID,
    reason: str,
    client_mutation_id: Key = None,
    mutation_number: Number = None,
) -> Meeting | None:
    """Whoever may change the meeting cancels it, once, while it is SCHEDULED; each attendee
    is emailed the reason (R33)."""
    call = keyed_call(info)
    if call.replayed is not None:
        return await _meeting(info, call.replayed.id)
    reason = inputs.text(reason, "reason", CANCEL_REASON_LENGTH)
    meeting = await _managed(info, meeting_id, "meetingId")
    _scheduled(meeting, "cancelled")
    async with call.transaction() as connection:
        if not await queries.cancel_meeting(connection, info.context.viewer, meeting, reason):
            _scheduled(await _current(connection, meeting.id), "cancelled")
            raise Conflict("The meeting changed meanwhile; read it again.", field="meetingId")
        await meeting_notices.cancelled(connection, meeting.id)
        call.settle("Meeting", meeting.id)
    return await _meeting(info, meeting.id)


async def reschedule_meeting(
    info: Info,
    meeting_id: strawberry.ID,
    starts_at: datetime,
    duration_minutes: int | None = None,
    time_zone: Annotated[
        str | None,
        strawberry.argument(description="The meeting's IANA zone; omitted: it keeps its own (R33)."),
    ] = None,
    allow_double_booking: AllowDoubleBooking = False,
    client_mutation_id: Key = None,
    mutation_number: Number = None,
) -> Meeting | None:
    """A SCHEDULED meeting's new time, checked against the host's other meetings; each
    attendee is emailed the new time on the meeting's clock (R33)."""
    call = keyed_call(info)
    if call.replayed is not None:
        return await _meeting(info, call.replayed.id)
    if duration_minutes is not None:
        duration_minutes = inputs.duration(duration_minutes)
    if time_zone is not None:
        time_zone = inputs.time_zone(time_zone)
    meeting = await _managed(info, meeting_id, "meetingId")
    _scheduled(meeting, "rescheduled")
    duration_minutes = duration_minutes or meeting.duration_minutes
    time_zone = time_zone or meeting.time_zone
    async with call.transaction() as connection:
        if not allow_double_booking:
            end = meeting_end(starts_at, duration_minutes)
            await _free(info, connection, meeting.host_id, starts_at, end, meeting_id=meeting.id)
        viewer = info.context.viewer
        moved = await queries.reschedule_meeting(
            connection,
            viewer,
            meeting,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            time_zone=time_zone,
        )
        if not moved:
            _scheduled(await _current(connection, meeting.id), "rescheduled")
            raise Conflict("The meeting changed meanwhile; read it again.", field="meetingId")
        await meeting_notices.rescheduled(connection, meeting.id, meeting)
        call.settle("Meeting", meeting.id)
    return await _meeting(info, meeting.id)


async def add_attendees(
    info: Info,
    meeting_id: strawberry.ID,
    buyer_ids: list[strawberry.ID],
    client_mutation_id: Key = None,
    mutation_number: Number = None,
) -> Meeting | None:
    return await _change_attendees(info, meeting_id, buyer_ids, add=True)


async def remove_attendees(
    info: Info,
    meeting_id: strawberry.ID,
    buyer_ids: list[strawberry.ID],
    client_mutation_id: Key = None,
    mutation_number: Number = None,
) -> Meeting | None:
    return await _change_attendees(info, meeting_id, buyer_ids, add=False)


async def _change_attendees(
    info: Info, meeting_id: str, buyer_ids: list[str], *, add: bool
) -> Meeting | None:
    call = keyed_call(info)
    if call.replayed is not None:
        return await _meeting(info, call.replayed.id)
    meeting = await _managed(info, meeting_id, "meetingId")
    _open(meeting, "meetingId")
    if add:
        buyers = await _accepted(info, meeting.host_id, buyer_ids, "buyerIds")
    else:
        buyers = await _buyers(info, buyer_ids, "buyerIds")
    async with call.transaction() as connection:
        await queries.set_attendees(
            connection, info.context.viewer, meeting.id, meeting.host_id, buyers, add=add
        )
        call.settle("Meeting", meeting.id)
    return await _meeting(info, meeting.id)


async def attach_list(
    info: Info,
    meeting_id: strawberry.ID,
    list_id: strawberry.ID,
    client_mutation_id: Key = None,
    mutation_number: Number = None,
) -> Meeting | None:
    """A list the viewer may open, shown to the meeting's managers only if it shows them
    nothing new (R11, R37)."""
    return await _change_list(info, meeting_id, list_id, attach=True)


async def detach_list(
    info: Info,
    meeting_id: strawberry.ID,
    list_id: strawberry.ID,
    client_mutation_id: Key = None,
    mutation_number: Number = None,
) -> Meeting | None:
    """Detaching never shows anything to anyone."""
    return await _change_list(info, meeting_id, list_id, attach=False)


async def _change_list(info: Info, meeting_id: str, list_id: str, *, attach: bool) -> Meeting | None:
    call = keyed_call(info)
    if call.replayed is not None:
        return await _meeting(info, call.replayed.id)
    meeting = await _managed(info, meeting_id, "meetingId")
    target = await visible_row(info, list_id, types.lists.List, "listId")
    attachable = queries.attachable(info.context.scope, meeting.host_id, target.id)
    if attach and await info.context.db.fetch_one(attachable) is None:
        raise Forbidden(
            "Only your own lists, GLOBAL lists and lists already used in this host's meetings "
            "may be attached: attaching would show this list to people who cannot see it (R37).",
            field="listId",
        )
    async with call.transaction() as connection:
        await queries.set_list(
            connection, info.context.viewer, meeting.id, meeting.host_id, target.id, attach
        )
        call.settle("Meeting", meeting.id)
    return await _meeting(info, meeting.id)


# -- in the meeting (R10) -----------------------------------------------------------------
async def start_meeting(
    info: Info, id: strawberry.ID, client_mutation_id: Key = None, mutation_number: Number = None
) -> Meeting | None:
    return await _move_status(info, id, MeetingStatus.SCHEDULED, MeetingStatus.IN_PROGRESS)


async def end_meeting(
    info: Info, id: strawberry.ID, client_mutation_id: Key = None, mutation_number: Number = None
) -> Meeting | None:
    return await _move_status(info, id, MeetingStatus.IN_PROGRESS, MeetingStatus.ENDED)


async def _move_status(info: Info, id: str, source: MeetingStatus, target: MeetingStatus) -> Meeting | None:
    """Start or end a meeting: the host, through the app (the guard and the app scope)."""
    call = keyed_call(info)
    if call.replayed is not None:
        return await _meeting(info, call.replayed.id)
    viewer = info.context.viewer
    meeting = await _managed(info, id, "id")  # through the app, one the viewer hosts (the guard)
    async with call.transaction() as connection:
        if not await queries.move_status(connection, viewer, meeting.id, source, target):
            raise Conflict(f"The meeting is not {source.value}.", field="id", status=meeting.status)
        call.settle("Meeting", meeting.id)
    return await _meeting(info, meeting.id)


# -- notes (R9, R10, R17) -----------------------------------------------------------------
def _may_write(info: Info, meeting: Any, phase: NotePhase) -> None:
    if not info.context.scope.may_write_note(phase, meeting.host_id):
        raise Forbidden("Only the host writes in-meeting notes (R10).")


async def create_note(
    info: Info,
    meeting_id: strawberry.ID,
    text: str,
    shared: bool = False,
    client_id: ClientId = None,
    client_mutation_id: Key = None,
    mutation_number: Number = None,
) -> Note | None:
    """Internal unless `shared` (R37): a note reaches the attending buyers only when its writer
    says so. `client_id`, the app's UUID for the note, serves as its key too."""
    call = keyed_call(info)
    if call.replayed is not None:
        return await _note(info, call.replayed.id)
    client_id = checked_client_id(client_id)
    if (made := await made_before(info, types.meetings.Note, client_id)) is not None:
        return await _note(info, made)
    text = inputs.text(text, "text", NOTE_TEXT_LENGTH)
    viewer = info.context.viewer
    meeting = await _managed(info, meeting_id, "meetingId")
    phase = NotePhase.PRE_MEETING if meeting.status == MeetingStatus.SCHEDULED else NotePhase.IN_MEETING
    _may_write(info, meeting, phase)
    async with call.transaction() as connection:
        note_id = await queries.create_note(
            connection, viewer, meeting, phase=phase, shared=shared, text=text, client_id=client_id
        )
        call.settle("Note", note_id)
    return await _note(info, note_id)


async def _writable_note(info: Info, id: str) -> Any:
    note = await visible_row(info, id, types.meetings.Note, "id")
    meeting = await _managed(info, encode_id("Meeting", note.meeting_id), "id")
    _may_write(info, meeting, NotePhase(note.phase))
    return note


def _stale(current: Any) -> Conflict:
    snapshot = types.meetings.Note.from_row(current).snapshot() if current is not None else None
    return Conflict("The note changed since you read it.", field="version", current=snapshot)


async def update_note(
    info: Info,
    id: strawberry.ID,
    version: int,
    text: str | None = None,
    shared: bool | None = None,
    client_mutation_id: Key = None,
    mutation_number: Number = None,
) -> Note | None:
    """Write over the version the client read; a stale one is a CONFLICT carrying the
    current note, and nothing is overwritten (R17). Sharing a note with the buyers is its
    writer's decision (R37): anyone who may edit it may make it internal, only the writer
    may share it."""
    call = keyed_call(info)
    if call.replayed is not None:
        return await _note(info, call.replayed.id)
    viewer = info.context.viewer
    values: dict[str, Any] = {}
    if text is not None:
        values["text"] = inputs.text(text, "text", NOTE_TEXT_LENGTH)
    if shared is not None:
        values["shared"] = shared
    if not values:
        raise BadUserInput("Nothing to change.", field="text")
    note = await _writable_note(info, id)
    if shared and not note.shared and note.author_id != viewer.id:
        raise Forbidden("Only the note's writer shares it with the buyers (R37).", field="shared")
    async with call.transaction() as connection:
        if not await queries.update_note(connection, viewer, note.id, version, values):
            raise _stale((await connection.execute(queries.note_row(note.id))).first())
        call.settle("Note", note.id)
    return await _note(info, note.id)


async def delete_note(
    info: Info,
    id: strawberry.ID,
    version: int,
    client_mutation_id: Key = None,
    mutation_number: Number = None,
) -> strawberry.ID:
    """Answers with the deleted note's id, as sent; a stale version is a CONFLICT."""
    call = keyed_call(info)
    if call.replayed is None:
        note = await _writable_note(info, id)
        async with call.transaction() as connection:
            if not await queries.delete_note(connection, info.context.viewer, note.id, version):
                raise _stale((await connection.execute(queries.note_row(note.id))).first())
            call.settle("Note", note.id)
    info.context.refresh()
    return id


# -- summaries (R21) ----------------------------------------------------------------------
async def send_meeting_summary(
    info: Info,
    meeting_id: strawberry.ID,
    buyer_ids: list[strawberry.ID] | None = None,
    client_mutation_id: Key = None,
    mutation_number: Number = None,
) -> Meeting | None:
    """Email the summary to the chosen attendees (all by default): through the app the host
    (R10), on the web whoever manages the meeting, also again (R9, R21)."""
    call = keyed_call(info)
    if call.replayed is not None:
        return await _meeting(info, call.replayed.id)
    meeting = await _managed(info, meeting_id, "meetingId")
    chosen = await _buyers(info, buyer_ids, "buyerIds") if buyer_ids is not None else None
    recipients = await info.context.db.fetch(summaries.attendees_named(meeting.id, chosen))
    if chosen is not None and len(recipients) != len(chosen):
        raise BadUserInput("A summary goes only to the meeting's attendees.", field="buyerIds")
    if not recipients:
        raise BadUserInput("The meeting has no attendees to send to.", field="buyerIds")
    async with call.transaction() as connection:
        await summaries.send_summary(connection, info.context.viewer, meeting, recipients)
        call.settle("Meeting", meeting.id)
    return await _meeting(info, meeting.id)


# -- the fields of a meeting and of a note --------------------------------------------------
def host(root: Meeting, info: Info) -> User | None:
    return one(info, types.meetings.HOST, root)


def created_by(root: Meeting, info: Info) -> User | None:
    return one(info, types.meetings.CREATED_BY, root)


attendees = nested_connection(queries.ATTENDEES_BY_MEETING, lambda: types.people.User)


notes = nested_connection(queries.NOTES_BY_MEETING, lambda: types.meetings.Note)


lists = nested_connection(queries.LISTS_BY_MEETING, lambda: types.lists.List)


def host_only(root: Note) -> bool:
    return not root.shared


def note_meeting(root: Note, info: Info) -> Meeting | None:
    return one(info, types.meetings.MEETING, root)


def author(root: Note, info: Info) -> User | None:
    return one(info, types.meetings.AUTHOR, root)
