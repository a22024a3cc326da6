"""How far email delivery is behind: the outbox backlog that /metrics reports (R20)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.tables import emails


async def outbox_backlog(connection: AsyncConnection) -> int:
    statement = (
        sa.select(sa.func.count()).select_from(emails).where(emails.c.status.in_(("PENDING", "SENDING")))
    )
    return (await connection.execute(statement)).scalar_one()
