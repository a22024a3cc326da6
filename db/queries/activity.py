"""Activity (R12): one row per countable event, written by the workflow that causes it in
the same transaction as the change, so a rolled-back change counts nothing.

    async with db.transaction() as connection:
        ...  # the change itself
        await record_activity(connection, user_id=viewer.id, kind=ActivityKind.ITEM_ADDED)

Reporting (`db.queries.reporting`) aggregates these rows in SQL; the kinds are the
enum below, the one place every workflow and the schema take them from.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from salescoord.db.models.base import utcnow
from salescoord.db.tables import activities
from sqlalchemy.ext.asyncio import AsyncConnection


class ActivityKind(StrEnum):
    """What reporting counts. `user_id` is who did it; `subject_id` the buyer it concerned."""

    SIGN_IN = "SIGN_IN"
    MEETING_HELD = "MEETING_HELD"
    NOTE_WRITTEN = "NOTE_WRITTEN"
    ITEM_ADDED = "ITEM_ADDED"
    SUMMARY_SENT = "SUMMARY_SENT"
    REGISTRATION_DECIDED = "REGISTRATION_DECIDED"


async def record_activity(
    connection: AsyncConnection,
    *,
    user_id: int,
    kind: ActivityKind,
    subject_id: int | None = None,
    meeting_id: int | None = None,
    at: datetime | None = None,
) -> None:
    await connection.execute(
        activities.insert().values(
            user_id=user_id,
            kind=ActivityKind(kind).value,
            subject_id=subject_id,
            meeting_id=meeting_id,
            at=at or utcnow(),
        )
    )
