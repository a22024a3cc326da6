"""The registration workflow (R6-R8): a sign-up, an approval and a rejection, each a sequence
of statements, its audit event and its emails, all in the caller's transaction, so that a
rolled-back decision leaves none of them (R20, R25).

    async with db.transaction() as connection:
        buyer_id = await approve_registration(connection, actor, registration_id, company_id=7,
                                              new_company=None, valid_hours=72)

A decision starts by closing the pending registration (`db.queries.registrations.decide`):
of two decisions, also concurrent ones, the second is CONFLICT and changes nothing.
"""

from __future__ import annotations

from typing import Any

from salescoord.db.models.registrations import RegistrationStatus
from salescoord.db.queries import registrations as queries
from salescoord.db.queries.audit import record
from salescoord.db.queries.places import company_name, create_company
from salescoord.permissions.scope import registration_watchers
from salescoord.permissions.viewer import Viewer
from sqlalchemy.ext.asyncio import AsyncConnection

from salescoord.errors import BadUserInput
from salescoord.outbox import wording
from salescoord.outbox.queue import enqueue_notice


async def create_registration(connection: AsyncConnection, values: dict[str, Any], queue_url: str) -> int:
    """Store a sign-up (R6) and email every SC and AM in whose scope it falls (R8)."""
    await queries.refuse_duplicates(connection, values["email"])
    row = await queries.insert_registration(connection, values)
    await record(
        connection,
        None,
        "registration.create",
        "Registration",
        row.id,
        on_behalf_of=row.requested_am_id,
        diff={k: v for k, v in values.items() if k != "message"},
    )
    notice = wording.new_registration(row, queue_url)
    watchers = (await connection.execute(registration_watchers(row.requested_am_id, row.territory_id))).all()
    for watcher in watchers:
        await enqueue_notice(connection, notice, watcher.email)
    return row.id


async def approve_registration(
    connection: AsyncConnection,
    actor: Viewer,
    registration_id: int,
    *,
    company_id: int | None,
    new_company: tuple[str, int] | None,
    valid_hours: int,
) -> int:
    """Approve (R7): an active buyer in an existing company or a new one, with the requested
    AM as direct AM, and an email with a set-password link. Returns the buyer's id."""
    row = await queries.decide(connection, actor, registration_id, status=RegistrationStatus.APPROVED)
    created_company = False
    if new_company is not None:
        name, territory_id = new_company
        company_id = await create_company(
            connection,
            actor,
            name,
            territory_id,
            on_behalf_of=row.requested_am_id,
            cause={"registration_id": row.id},
        )
        created_company = True
    if company_id is None:
        raise BadUserInput("Choose a company, or a territory for a new one.", field="companyId")
    direct_am = (
        row.requested_am_id
        if row.requested_am_id is not None
        and await queries.active_account_manager(connection, row.requested_am_id)
        else None
    )
    buyer_id = await queries.create_buyer(connection, row, company_id, direct_am)
    await queries.link_buyer(connection, row.id, buyer_id, company_id)
    await record(
        connection,
        actor,
        "registration.approve",
        "Registration",
        row.id,
        on_behalf_of=row.requested_am_id,
        diff={
            "status": RegistrationStatus.APPROVED,
            "buyer_id": buyer_id,
            "company_id": company_id,
            "new_company": created_company,
            "direct_am_id": direct_am,
        },
    )
    notice = wording.approved(row.name, await company_name(connection, company_id), valid_hours)
    await enqueue_notice(connection, notice, row.email, set_password_user_id=buyer_id)
    return buyer_id


async def reject_registration(
    connection: AsyncConnection, actor: Viewer, registration_id: int, reason: str
) -> None:
    """Reject with a reason (R7); the applicant is told why."""
    row = await queries.decide(
        connection, actor, registration_id, status=RegistrationStatus.REJECTED, decision_reason=reason
    )
    await record(
        connection,
        actor,
        "registration.reject",
        "Registration",
        row.id,
        on_behalf_of=row.requested_am_id,
        diff={"status": RegistrationStatus.REJECTED, "reason": reason},
    )
    await enqueue_notice(connection, wording.rejected(row.name, reason), row.email)
