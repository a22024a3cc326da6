"""Notices to a meeting's attendees when it is cancelled or moves (R33), written to the
outbox in the transaction of the change (R20), worded in `salescoord.outbox.wording`.

Each active attendee gets their own email; the time is shown on the meeting's clock, its
zone named. The meeting is read inside the transaction, as the change left it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from salescoord.db.tables import meeting_attendees, meetings, users
from salescoord.outbox import wording
from salescoord.outbox.queue import enqueue_notice


async def _notify(
    connection: AsyncConnection, meeting_id: int, word: Callable[[Any, str], wording.Notice]
) -> list[int]:
    meeting = (await connection.execute(sa.select(*meetings.c).where(meetings.c.id == meeting_id))).one()
    attendees = await connection.execute(
        sa.select(users.c.name, users.c.email)
        .join(meeting_attendees, meeting_attendees.c.buyer_id == users.c.id)
        .where(meeting_attendees.c.meeting_id == meeting_id, users.c.active.is_(True))
        .order_by(users.c.id)
    )
    return [await enqueue_notice(connection, word(meeting, a.name), a.email) for a in attendees.all()]


async def cancelled(connection: AsyncConnection, meeting_id: int) -> list[int]:
    """Tell each attendee the meeting is cancelled, and why."""
    return await _notify(connection, meeting_id, wording.meeting_cancelled)


async def rescheduled(connection: AsyncConnection, meeting_id: int, was: Any) -> list[int]:
    """Tell each attendee the meeting's new time; `was` is the meeting as it stood before."""
    return await _notify(
        connection, meeting_id, lambda meeting, name: wording.meeting_rescheduled(meeting, was, name)
    )
