"""Meetings, their attendees, attached lists and notes (R9, R10, R13, R17).

Reads apply `Scope.meetings()` / `Scope.notes()`; who may *change* a meeting is
`Scope.managed_meetings()` (web: own and one's AMs'; app: host only). Writes take the
open transaction and the actor, and leave an audit event (R25). The change log is
written by database triggers, so nothing here has to remember it (R18).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from salescoord.db.models.base import utcnow
from salescoord.db.models.meetings import MeetingStatus, NotePhase, meeting_end
from salescoord.db.queries.activity import ActivityKind, record_activity
from salescoord.db.queries.audit import record
from salescoord.db.queries.lists import LIST_ORDER
from salescoord.db.queries.pages import Relation
from salescoord.db.queries.people import USER_COLUMNS, USER_ORDER
from salescoord.db.queries.search import contains
from salescoord.db.tables import (
    am_coordinators,
    lists,
    meeting_attendees,
    meeting_lists,
    meetings,
    notes,
    users,
)
from salescoord.permissions.enums import RoleName
from salescoord.permissions.scope import Scope, associations
from salescoord.permissions.viewer import Viewer
from sqlalchemy.ext.asyncio import AsyncConnection

MEETING = meetings.c
NOTE = notes.c
USER = users.c
MEETING_ORDER = (MEETING.id,)
NOTE_ORDER = (NOTE.id,)


def meetings_statement(scope: Scope) -> sa.Select:
    return sa.select(*meetings.c).where(scope.meetings())


def managed_meeting(scope: Scope, meeting_id: int) -> sa.Select:
    """The meeting if the viewer may change it (R9 on the web, R10 through the app)."""
    return sa.select(*meetings.c).where(MEETING.id == meeting_id, scope.managed_meetings())


def notes_statement(scope: Scope) -> sa.Select:
    return sa.select(*notes.c).where(scope.notes())


def meeting_row(meeting_id: int) -> sa.Select:
    """A meeting as stored, whoever may see it: read inside a write to report a CONFLICT."""
    return sa.select(*meetings.c).where(MEETING.id == meeting_id)


def note_row(note_id: int) -> sa.Select:
    """A note as stored, whoever may see it: read inside a write to report a CONFLICT."""
    return sa.select(*notes.c).where(NOTE.id == note_id)


def search_meetings(
    scope: Scope,
    *,
    host_id: int | None = None,
    buyer_id: int | None = None,
    starts_from: datetime | None = None,
    starts_to: datetime | None = None,
    status: MeetingStatus | None = None,
) -> sa.Select:
    """Visible meetings with the filters of the past-meetings view (R9)."""
    statement = meetings_statement(scope)
    if host_id is not None:
        statement = statement.where(MEETING.host_id == host_id)
    if buyer_id is not None:
        attended = sa.select(meeting_attendees.c.meeting_id).where(meeting_attendees.c.buyer_id == buyer_id)
        statement = statement.where(MEETING.id.in_(attended))
    if starts_from is not None:
        statement = statement.where(MEETING.starts_at >= starts_from)
    if starts_to is not None:
        statement = statement.where(MEETING.starts_at < starts_to)
    if status is not None:
        statement = statement.where(MEETING.status == status)
    return statement


def host_account_managers(host_id: int) -> sa.Select:
    """The AMs whose buyers a meeting of `host_id` may have (R9): the host AM itself, or for
    an SC hosting a meeting themselves, the AMs assigned to that SC (R2)."""
    host = users.alias("meeting_host")
    itself = sa.select(host.c.id).where(host.c.id == host_id, host.c.role == RoleName.ACCOUNT_MANAGER)
    assigned = sa.select(am_coordinators.c.am_id).where(am_coordinators.c.sc_id == host_id)
    union = sa.union(itself, assigned).subquery("host_ams")
    return sa.select(union.c.id)


def offered_buyers(scope: Scope, host_id: int, *, search: str | None = None) -> sa.Select:
    """Exactly the buyers associated with the host AM (R1, R9), as far as the viewer sees."""
    pairs = associations(host_account_managers(host_id), "offered")
    statement = (
        sa.select(*USER_COLUMNS)
        .where(USER.id.in_(sa.select(pairs.c.buyer_id)), scope.users())
        .where(USER.role == RoleName.BUYER)
    )
    if search:
        statement = statement.where(contains(search, USER.name, USER.email))
    return statement


def accepted_buyers(host_id: int, buyer_ids: Sequence[int]) -> sa.Select:
    """Which of `buyer_ids` are associated with the host AM; adding any other is FORBIDDEN."""
    pairs = associations(host_account_managers(host_id), "accepted")
    accepted = sa.select(pairs.c.buyer_id)
    return sa.select(USER.id).where(
        USER.id.in_(buyer_ids), USER.role == RoleName.BUYER, USER.id.in_(accepted)
    )


def attendee_ids(meeting_id: int) -> sa.Select:
    return sa.select(meeting_attendees.c.buyer_id).where(meeting_attendees.c.meeting_id == meeting_id)


def attached(meeting_id: int, list_id: int) -> sa.Select:
    return sa.select(meeting_lists.c.list_id).where(
        meeting_lists.c.meeting_id == meeting_id, meeting_lists.c.list_id == list_id
    )


def attachable(scope: Scope, host_id: int, list_id: int) -> sa.Select:
    """The list if the viewer may attach it to a meeting of `host_id` (R37)."""
    return sa.select(lists.c.id).where(lists.c.id == list_id, scope.attachable_lists(host_id))


def allowed_host(scope: Scope, host_id: int) -> sa.Select:
    """The host if the viewer may set up meetings for them (`Scope.allowed_hosts`, R9, R10)."""
    return sa.select(USER.id).where(USER.id == host_id, scope.allowed_hosts())


def overlapping(
    scope: Scope, host_id: int, starts_at: datetime, ends_at: datetime, meeting_id: int | None
) -> sa.Select:
    """Another meeting of the host, not cancelled, that overlaps [starts_at, ends_at) (R33):
    its id, and whether the viewer may see it (only then may an error name it)."""
    return (
        sa.select(MEETING.id, sa.case((scope.meetings(), sa.true()), else_=sa.false()).label("visible"))
        .where(
            MEETING.host_id == host_id,
            MEETING.status != MeetingStatus.CANCELLED,
            MEETING.starts_at < ends_at,
            MEETING.ends_at > starts_at,
            MEETING.id != (meeting_id if meeting_id is not None else 0),
        )
        .order_by(MEETING.starts_at, MEETING.id)
        .limit(1)
    )


def host_lock(host_id: int) -> sa.Select:
    """The host's row, locked until the transaction ends (PostgreSQL; SQLite's write
    transactions take the database's one write lock already): two bookings of one host check
    for overlaps one after the other, so both cannot pass (R33)."""
    return sa.select(USER.id).where(USER.id == host_id).with_for_update()


# -- relations for nested connections -----------------------------------------------------
def _notes_of_meeting(scope: Scope) -> tuple[sa.Select, Any]:
    return notes_statement(scope), NOTE.meeting_id


def _attendees_of_meeting(scope: Scope) -> tuple[sa.Select, Any]:
    statement = (
        sa.select(*USER_COLUMNS)
        .join(meeting_attendees, meeting_attendees.c.buyer_id == USER.id)
        .where(scope.users())
    )
    return statement, meeting_attendees.c.meeting_id


def _lists_of_meeting(scope: Scope) -> tuple[sa.Select, Any]:
    """The lists used in a meeting, as far as the viewer may open them: the R11 meeting path
    for whoever manages it, only the shared ones for an attending buyer."""
    statement = sa.select(*lists.c).join(meeting_lists, meeting_lists.c.list_id == lists.c.id)
    return statement.where(scope.lists()), meeting_lists.c.meeting_id


def _meetings_of_host(scope: Scope) -> tuple[sa.Select, Any]:
    return meetings_statement(scope), MEETING.host_id


NOTES_BY_MEETING = Relation("notes_by_meeting", _notes_of_meeting, NOTE_ORDER)
ATTENDEES_BY_MEETING = Relation("attendees_by_meeting", _attendees_of_meeting, USER_ORDER)
LISTS_BY_MEETING = Relation("lists_by_meeting", _lists_of_meeting, LIST_ORDER)
MEETINGS_BY_HOST = Relation("meetings_by_host", _meetings_of_host, MEETING_ORDER)


# -- writes -------------------------------------------------------------------------------
def _on_behalf(actor: Viewer, host_id: int) -> int | None:
    return host_id if host_id != actor.id else None


async def create_meeting(
    connection: AsyncConnection,
    actor: Viewer,
    host_id: int,
    title: str,
    starts_at: datetime,
    client_id: str | None = None,
    *,
    duration_minutes: int,
    time_zone: str,
) -> int:
    now = utcnow()
    meeting_id = (
        await connection.execute(
            meetings.insert()
            .values(
                host_id=host_id,
                created_by_id=actor.id,
                title=title,
                starts_at=starts_at,
                ends_at=meeting_end(starts_at, duration_minutes),
                duration_minutes=duration_minutes,
                time_zone=time_zone,
                status=MeetingStatus.SCHEDULED,
                version=1,
                client_id=client_id,
                created_at=now,
                updated_at=now,
            )
            .returning(MEETING.id)
        )
    ).scalar_one()
    await record(
        connection,
        actor,
        "meeting.create",
        "Meeting",
        meeting_id,
        on_behalf_of=_on_behalf(actor, host_id),
        diff={
            "host_id": host_id,
            "title": title,
            "starts_at": starts_at,
            "duration_minutes": duration_minutes,
            "time_zone": time_zone,
        },
    )
    return meeting_id


async def _changed(
    connection: AsyncConnection,
    actor: Viewer,
    meeting_id: int,
    host_id: int,
    still: sa.ColumnElement[bool],
    values: dict[str, Any],
    action: str,
    diff: dict[str, Any],
) -> bool:
    """Write `values` (the version moves on) while the meeting is `still` as the caller found
    it, audited as `action`; False, and nothing written, once it is not (R33)."""
    result = await connection.execute(
        meetings.update()
        .where(MEETING.id == meeting_id, still)
        .values(**values, version=MEETING.version + 1, updated_at=utcnow())
    )
    if result.rowcount != 1:
        return False
    await record(
        connection, actor, action, "Meeting", meeting_id, on_behalf_of=_on_behalf(actor, host_id), diff=diff
    )
    return True


async def update_meeting(
    connection: AsyncConnection, actor: Viewer, meeting_id: int, host_id: int, values: dict[str, Any]
) -> bool:
    """False: the meeting was cancelled meanwhile, and a cancelled meeting is not edited (R33)."""
    not_cancelled = MEETING.status != MeetingStatus.CANCELLED
    return await _changed(
        connection, actor, meeting_id, host_id, not_cancelled, values, "meeting.update", values
    )


async def cancel_meeting(connection: AsyncConnection, actor: Viewer, meeting: Any, reason: str) -> bool:
    """SCHEDULED -> CANCELLED, once (R33). False: the meeting is not SCHEDULED any more."""
    values = {"status": MeetingStatus.CANCELLED, "cancelled_at": utcnow(), "cancel_reason": reason}
    scheduled = MEETING.status == MeetingStatus.SCHEDULED
    diff = {"reason": reason}
    return await _changed(
        connection, actor, meeting.id, meeting.host_id, scheduled, values, "meeting.cancel", diff
    )


async def reschedule_meeting(
    connection: AsyncConnection,
    actor: Viewer,
    meeting: Any,
    *,
    starts_at: datetime,
    duration_minutes: int,
    time_zone: str,
) -> bool:
    """A SCHEDULED meeting's new time (R33). False: it is not SCHEDULED any more."""
    values = {
        "starts_at": starts_at,
        "ends_at": meeting_end(starts_at, duration_minutes),
        "duration_minutes": duration_minutes,
        "time_zone": time_zone,
    }
    was = {"starts_at": meeting.starts_at, "time_zone": meeting.time_zone}
    scheduled = MEETING.status == MeetingStatus.SCHEDULED
    diff = {**values, "was": was}
    return await _changed(
        connection, actor, meeting.id, meeting.host_id, scheduled, values, "meeting.reschedule", diff
    )


async def _touch(connection: AsyncConnection, meeting_id: int) -> None:
    await connection.execute(
        meetings.update()
        .where(MEETING.id == meeting_id)
        .values(version=MEETING.version + 1, updated_at=utcnow())
    )


async def set_attendees(
    connection: AsyncConnection,
    actor: Viewer,
    meeting_id: int,
    host_id: int,
    buyer_ids: Sequence[int],
    add: bool,
) -> None:
    existing = set((await connection.execute(attendee_ids(meeting_id))).scalars())
    if add:
        new = [b for b in buyer_ids if b not in existing]
        if new:
            await connection.execute(
                meeting_attendees.insert(), [{"meeting_id": meeting_id, "buyer_id": b} for b in new]
            )
    else:
        await connection.execute(
            meeting_attendees.delete().where(
                meeting_attendees.c.meeting_id == meeting_id, meeting_attendees.c.buyer_id.in_(buyer_ids)
            )
        )
    await _touch(connection, meeting_id)
    await record(
        connection,
        actor,
        "meeting.attendees.add" if add else "meeting.attendees.remove",
        "Meeting",
        meeting_id,
        on_behalf_of=_on_behalf(actor, host_id),
        diff={"buyers": list(buyer_ids)},
    )


async def set_list(
    connection: AsyncConnection, actor: Viewer, meeting_id: int, host_id: int, list_id: int, attach: bool
) -> None:
    linked = (await connection.execute(attached(meeting_id, list_id))).first() is not None
    if attach and not linked:
        await connection.execute(meeting_lists.insert().values(meeting_id=meeting_id, list_id=list_id))
    elif not attach and linked:
        await connection.execute(
            meeting_lists.delete().where(
                meeting_lists.c.meeting_id == meeting_id, meeting_lists.c.list_id == list_id
            )
        )
    await _touch(connection, meeting_id)
    await record(
        connection,
        actor,
        "meeting.list.attach" if attach else "meeting.list.detach",
        "Meeting",
        meeting_id,
        on_behalf_of=_on_behalf(actor, host_id),
        diff={"list_id": list_id},
    )


async def move_status(
    connection: AsyncConnection, actor: Viewer, meeting_id: int, source: MeetingStatus, target: MeetingStatus
) -> bool:
    """SCHEDULED -> IN_PROGRESS -> ENDED, each once (R10). False: not in `source` any more."""
    moment = {MeetingStatus.IN_PROGRESS: "started_at", MeetingStatus.ENDED: "ended_at"}[target]
    result = await connection.execute(
        meetings.update()
        .where(MEETING.id == meeting_id, MEETING.status == source)
        .values(status=target, version=MEETING.version + 1, updated_at=utcnow(), **{moment: utcnow()})
    )
    if result.rowcount != 1:
        return False
    if target is MeetingStatus.ENDED:
        await record_activity(
            connection, user_id=actor.id, kind=ActivityKind.MEETING_HELD, meeting_id=meeting_id
        )
    await record(connection, actor, f"meeting.{target.lower()}", "Meeting", meeting_id)
    return True


async def create_note(
    connection: AsyncConnection,
    actor: Viewer,
    meeting: Any,
    *,
    phase: NotePhase,
    shared: bool,
    text: str,
    client_id: str | None,
) -> int:
    now = utcnow()
    note_id = (
        await connection.execute(
            notes.insert()
            .values(
                meeting_id=meeting.id,
                author_id=actor.id,
                phase=phase,
                shared=shared,
                text=text,
                client_id=client_id,
                version=1,
                created_at=now,
                updated_at=now,
            )
            .returning(NOTE.id)
        )
    ).scalar_one()
    await record_activity(
        connection, user_id=actor.id, kind=ActivityKind.NOTE_WRITTEN, meeting_id=meeting.id, at=now
    )
    await record(
        connection,
        actor,
        "note.create",
        "Note",
        note_id,
        on_behalf_of=_on_behalf(actor, meeting.host_id),
        diff={"meeting_id": meeting.id, "phase": phase, "shared": shared},
    )
    return note_id


async def update_note(
    connection: AsyncConnection, actor: Viewer, note_id: int, version: int, values: dict[str, Any]
) -> bool:
    """Write over the version the client read (R17). False: the note moved on (or is gone)."""
    result = await connection.execute(
        notes.update()
        .where(NOTE.id == note_id, NOTE.version == version)
        .values(**values, version=NOTE.version + 1, updated_at=utcnow())
    )
    if result.rowcount != 1:
        return False
    await record(connection, actor, "note.update", "Note", note_id, diff=values)
    return True


async def delete_note(connection: AsyncConnection, actor: Viewer, note_id: int, version: int) -> bool:
    result = await connection.execute(notes.delete().where(NOTE.id == note_id, NOTE.version == version))
    if result.rowcount != 1:
        return False
    await record(connection, actor, "note.delete", "Note", note_id)
    return True
