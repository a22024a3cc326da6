"""Meeting summaries (R21): attendees, notes and list items with their notes, in plain text
and HTML, written to the outbox with the audit event in one transaction.

Each attendee's summary is composed through that attendee's own scope, as if they read the
meeting on the web (R13): only the notes their writers shared (R37), and of the lists used in the meeting only
those shared with them, so a BUYER list made for another attendee stays with its buyer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from salescoord.db.queries.activity import ActivityKind, record_activity
from salescoord.db.queries.audit import record
from salescoord.db.queries.people import viewer_from_row, viewers_by_id
from salescoord.db.tables import contents, list_items, lists, meeting_attendees, meeting_lists, notes, users
from salescoord.outbox import wording
from salescoord.outbox.queue import enqueue_notice
from salescoord.permissions.enums import Channel
from salescoord.permissions.scope import Scope
from salescoord.permissions.viewer import Viewer


async def _rows(connection: AsyncConnection, statement: sa.Select) -> Sequence[Any]:
    return (await connection.execute(statement)).all()


async def compose(connection: AsyncConnection, meeting: Any, reader: Scope) -> wording.Notice:
    """A meeting's summary as `reader` may see it, from its current state."""
    attendees = await _rows(
        connection,
        sa.select(users.c.name, users.c.email)
        .join(meeting_attendees, meeting_attendees.c.buyer_id == users.c.id)
        .where(meeting_attendees.c.meeting_id == meeting.id)
        .order_by(users.c.name, users.c.id),
    )
    shared_notes = await _rows(
        connection,
        sa.select(notes.c.text).where(notes.c.meeting_id == meeting.id, reader.notes()).order_by(notes.c.id),
    )
    items = await _rows(
        connection,
        sa.select(lists.c.name.label("list_name"), contents.c.title, contents.c.reference, list_items.c.note)
        .join(meeting_lists, meeting_lists.c.list_id == lists.c.id)
        .join(list_items, list_items.c.list_id == lists.c.id)
        .join(contents, contents.c.id == list_items.c.content_id)
        .where(meeting_lists.c.meeting_id == meeting.id, reader.lists())
        .order_by(lists.c.name, lists.c.id, list_items.c.position),
    )
    return wording.meeting_summary(meeting, attendees, shared_notes, items)


async def send_summary(
    connection: AsyncConnection, actor: Viewer, meeting: Any, recipients: Sequence[Any]
) -> list[int]:
    """One outbox row per recipient, each as that recipient may see the meeting; every
    (re-)send leaves an audit event (R21, R25)."""
    readers = {
        row.id: viewer_from_row(row, Channel.WEB)
        for row in await connection.execute(viewers_by_id([r.id for r in recipients]))
    }
    recipients = [r for r in recipients if r.id in readers]  # deactivated meanwhile: no email
    sent = []
    for recipient in recipients:
        summary = await compose(connection, meeting, Scope.of(readers[recipient.id]))
        sent.append(await enqueue_notice(connection, summary, recipient.email))
    await record_activity(connection, user_id=actor.id, kind=ActivityKind.SUMMARY_SENT, meeting_id=meeting.id)
    await record(
        connection,
        actor,
        "meeting.summary.send",
        "Meeting",
        meeting.id,
        on_behalf_of=meeting.host_id if meeting.host_id != actor.id else None,
        diff={"to": [r.email for r in recipients], "emails": sent},
    )
    return sent


def attendees_named(meeting_id: int, buyer_ids: Sequence[int] | None) -> sa.Select:
    """The meeting's active attendees (of `buyer_ids`): who a summary may go to."""
    statement = (
        sa.select(users.c.id, users.c.email)
        .join(meeting_attendees, meeting_attendees.c.buyer_id == users.c.id)
        .where(meeting_attendees.c.meeting_id == meeting_id, users.c.active.is_(True))
    )
    return statement.where(users.c.id.in_(buyer_ids)) if buyer_ids is not None else statement
