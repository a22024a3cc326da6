"""The email outbox (R20): a message is a row written in the same transaction as the change
that caused it, so a rolled-back change sends nothing and a committed one is never lost.

A delivery worker (`salescoord.outbox.delivery`) claims due rows, sends them and marks them.

    await enqueue_email(connection, kind="DECISION_NOTICE", to_address="ann@example.com",
                        subject="Your registration", body_text="...")

A claim is a lease: the row turns SENDING with `next_attempt_at` = the lease's end and one
more attempt; the worker claims one email at a time and renews its lease while sending it.
Every mark names the attempt it closes, so a worker whose lease ran out (and whose row another
worker took over) cannot overwrite the newer outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from salescoord.db.models.base import utcnow
from salescoord.db.models.records import EmailStatus
from salescoord.db.tables import emails, users
from salescoord.outbox.wording import Notice

log = logging.getLogger("salescoord.outbox")

EMAIL = emails.c
EMAIL_ORDER = (EMAIL.id,)


async def enqueue_email(
    connection: AsyncConnection,
    *,
    kind: str,
    to_address: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    set_password_user_id: int | None = None,
) -> int:
    """Write one outgoing email into the outbox, inside the caller's transaction. With
    `set_password_user_id`, the bodies hold `password_links.PLACEHOLDER` where the worker
    writes that account's link at sending time (R32): a reset-password link in a
    PASSWORD_RESET email, a set-password link in any other."""
    now = utcnow()
    email_id = (
        await connection.execute(
            emails.insert()
            .values(
                kind=kind,
                to_address=to_address,
                subject=subject,
                body_text=body_text,
                body_html=body_html,
                set_password_user_id=set_password_user_id,
                status=EmailStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            .returning(EMAIL.id)
        )
    ).scalar_one()
    log.info("outbox: email %s (%s) to %s queued: %s", email_id, kind, to_address, subject)
    log.debug("outbox: email %s body:\n%s", email_id, body_text)
    return email_id


async def enqueue_notice(
    connection: AsyncConnection, notice: Notice, to_address: str, *, set_password_user_id: int | None = None
) -> int:
    """`enqueue_email` of an email worded in `salescoord.outbox.wording`."""
    return await enqueue_email(
        connection,
        kind=notice.kind,
        to_address=to_address,
        subject=notice.subject,
        body_text=notice.text,
        body_html=notice.html,
        set_password_user_id=set_password_user_id,
    )


def _due(now: datetime, email: Any = EMAIL) -> sa.ColumnElement[bool]:
    """Pending and due, or SENDING whose worker's lease ran out (it crashed mid-send)."""
    return sa.and_(email.status.in_((EmailStatus.PENDING, EmailStatus.SENDING)), email.next_attempt_at <= now)


async def claim_due(connection: AsyncConnection, *, limit: int, lease_seconds: float) -> Sequence[Row[Any]]:
    """Take up to `limit` due emails for this worker, in one statement.

    PostgreSQL: the candidates are locked with FOR UPDATE SKIP LOCKED, so concurrent workers
    claim disjoint rows without waiting on each other. SQLite: the conditional UPDATE runs
    under the database's single write lock, so two workers cannot take the same row either.
    """
    now = utcnow()
    # An alias of its own: a subquery on `emails` inside an UPDATE of `emails` would be
    # correlated to the row being updated, and the LIMIT would apply per row.
    candidate = emails.alias("candidate")
    candidates = sa.select(candidate.c.id).where(_due(now, candidate.c)).order_by(candidate.c.id).limit(limit)
    if connection.dialect.name == "postgresql":
        # ARRAY(subquery) runs once (an InitPlan); a plain IN (subquery) may be rescanned
        # as the inner side of a join, each scan locking the next rows: more than `limit`.
        chosen = EMAIL.id == sa.any_(
            sa.func.array(candidates.with_for_update(skip_locked=True).scalar_subquery())
        )
    else:
        chosen = EMAIL.id.in_(candidates.scalar_subquery())
    statement = (
        emails.update()
        .where(chosen, _due(now))
        .values(
            status=EmailStatus.SENDING,
            attempts=EMAIL.attempts + 1,
            next_attempt_at=now + timedelta(seconds=lease_seconds),
        )
        .returning(*emails.c)
    )
    rows = (await connection.execute(statement)).all()
    return sorted(rows, key=lambda row: row.id)


def _this_attempt(email_id: int, attempt: int) -> sa.ColumnElement[bool]:
    return sa.and_(EMAIL.id == email_id, EMAIL.status == EmailStatus.SENDING, EMAIL.attempts == attempt)


async def renew_lease(connection: AsyncConnection, email_id: int, attempt: int, lease_seconds: float) -> bool:
    """Extend the lease of a claim still being sent; False when it is no longer this attempt's."""
    result = await connection.execute(
        emails.update()
        .where(_this_attempt(email_id, attempt))
        .values(next_attempt_at=utcnow() + timedelta(seconds=lease_seconds))
    )
    return result.rowcount == 1


async def mark_sent(connection: AsyncConnection, email_id: int, attempt: int, message_id: str) -> bool:
    result = await connection.execute(
        emails.update()
        .where(_this_attempt(email_id, attempt))
        .values(
            status=EmailStatus.SENT,
            message_id=message_id,
            sent_at=utcnow(),
            last_error=None,
            next_attempt_at=None,
        )
    )
    return result.rowcount == 1


async def mark_retry(
    connection: AsyncConnection, email_id: int, attempt: int, error: str, delay_seconds: float
) -> bool:
    result = await connection.execute(
        emails.update()
        .where(_this_attempt(email_id, attempt))
        .values(
            status=EmailStatus.PENDING,
            last_error=error[:2000],
            next_attempt_at=utcnow() + timedelta(seconds=delay_seconds),
        )
    )
    return result.rowcount == 1


async def mark_failed(connection: AsyncConnection, email_id: int, attempt: int, error: str) -> bool:
    result = await connection.execute(
        emails.update()
        .where(_this_attempt(email_id, attempt))
        .values(status=EmailStatus.FAILED, last_error=error[:2000], next_attempt_at=None)
    )
    return result.rowcount == 1


def outbox_statement(status: str | None = None) -> sa.Select:
    """Every email (admins only, R20), optionally of one status."""
    statement = sa.select(*emails.c)
    return statement.where(EMAIL.status == status) if status else statement


async def password_hash_of(connection: AsyncConnection, user_id: int) -> str | None:
    """The hash a reset link is signed for (`delivery`); None for no password, or no account."""
    statement = sa.select(users.c.password_hash).where(users.c.id == user_id)
    return (await connection.execute(statement)).scalar_one_or_none()


async def backlog(connection: AsyncConnection) -> int:
    """Emails not delivered yet (waiting or being sent): how far delivery is behind (/metrics)."""
    statement = (
        sa.select(sa.func.count())
        .select_from(emails)
        .where(EMAIL.status.in_((EmailStatus.PENDING, EmailStatus.SENDING)))
    )
    return (await connection.execute(statement)).scalar_one()
