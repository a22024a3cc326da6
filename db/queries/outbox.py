"""The email outbox (R20): a message is a row written in the same transaction as the change
that caused it, so a rolled-back change sends nothing and a committed one is never lost."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from db.models.base import utcnow
from db.tables import emails

EMAIL = emails.c
PENDING = "PENDING"


async def enqueue_email(
    connection: AsyncConnection,
    *,
    kind: str,
    to_address: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
) -> int:
    """Write one outgoing email into the outbox, inside the caller's transaction."""
    now = utcnow()
    return (
        await connection.execute(
            emails.insert()
            .values(
                kind=kind,
                to_address=to_address,
                subject=subject,
                body_text=body_text,
                body_html=body_html,
                status=PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            .returning(EMAIL.id)
        )
    ).scalar_one()
