"""Registrations: the statements of the public sign-up, the approval queue through the scope,
and decisions (R6-R8). The steps of each (audit event, emails) are put together in
`resolvers.registration_workflow`, in the caller's transaction.

A decision is made once: it starts with a conditional UPDATE ... WHERE status = 'PENDING'.
On PostgreSQL a concurrent decision waits on that row and then finds it decided; SQLite
runs one write transaction at a time. Either way the loser changes nothing: CONFLICT.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from salescoord.db.models.base import utcnow
from salescoord.db.models.registrations import RegistrationStatus
from salescoord.db.queries.activity import ActivityKind, record_activity
from salescoord.db.queries.audit import record
from salescoord.db.queries.search import contains
from salescoord.db.tables import registrations, territories, users
from salescoord.permissions.enums import RoleName
from salescoord.permissions.scope import Scope
from salescoord.permissions.viewer import Viewer
from sqlalchemy.ext.asyncio import AsyncConnection

from salescoord.errors import Conflict

REGISTRATION = registrations.c
REGISTRATION_ORDER = (REGISTRATION.id,)  # the queue: oldest first


def registrations_statement(scope: Scope) -> sa.Select:
    return sa.select(*registrations.c).where(scope.registrations())


def _subtree(territory_id: int) -> sa.Select:
    tree = (
        sa.select(territories.c.id).where(territories.c.id == territory_id).cte("filter_tree", recursive=True)
    )
    child = territories.alias("filter_child")
    tree = tree.union(sa.select(child.c.id).join(tree, child.c.parent_id == tree.c.id))
    return sa.select(tree.c.id)


def search_registrations(
    scope: Scope,
    *,
    status: RegistrationStatus | None = None,
    territory_id: int | None = None,
    account_manager_id: int | None = None,
    search: str | None = None,
) -> sa.Select:
    """The queue in scope, filtered: status, a territory and everything below it, the
    requested AM, and a fragment of the applicant's name, email or company name."""
    statement = registrations_statement(scope)
    if status is not None:
        statement = statement.where(REGISTRATION.status == status)
    if territory_id is not None:
        statement = statement.where(REGISTRATION.territory_id.in_(_subtree(territory_id)))
    if account_manager_id is not None:
        statement = statement.where(REGISTRATION.requested_am_id == account_manager_id)
    if search:
        statement = statement.where(
            contains(search, REGISTRATION.name, REGISTRATION.email, REGISTRATION.company_name)
        )
    return statement


# -- sign-up ------------------------------------------------------------------------------
async def active_account_manager(connection: Any, user_id: int) -> bool:
    statement = sa.select(users.c.id).where(
        users.c.id == user_id, users.c.role == RoleName.ACCOUNT_MANAGER, users.c.active.is_(True)
    )
    return (await connection.execute(statement)).first() is not None


async def territory_exists(connection: Any, territory_id: int) -> bool:
    statement = sa.select(territories.c.id).where(territories.c.id == territory_id)
    return (await connection.execute(statement)).first() is not None


async def refuse_duplicates(connection: AsyncConnection, email: str) -> None:
    if (await connection.execute(sa.select(users.c.id).where(users.c.email == email))).first():
        raise Conflict("An account with that email exists already: sign in instead.", field="email")
    pending = sa.select(REGISTRATION.id).where(
        REGISTRATION.email == email, REGISTRATION.status == RegistrationStatus.PENDING
    )
    if (await connection.execute(pending)).first():
        raise Conflict("A registration for that email is waiting for a decision already.", field="email")


async def insert_registration(connection: AsyncConnection, values: dict[str, Any]) -> Any:
    """Store a sign-up as PENDING; its row. A pending one for the same email, committed
    meanwhile, is CONFLICT (the partial unique index decides between two at once)."""
    statement = (
        registrations.insert()
        .values(**values, status=RegistrationStatus.PENDING, created_at=utcnow())
        .returning(*registrations.c)
    )
    try:
        async with connection.begin_nested():
            return (await connection.execute(statement)).one()
    except sa.exc.IntegrityError as error:
        raise Conflict(
            "A registration for that email is waiting for a decision already.", field="email"
        ) from error


# -- decisions ----------------------------------------------------------------------------
async def decide(connection: AsyncConnection, actor: Viewer, registration_id: int, **values: Any) -> Any:
    """Close a pending registration, or CONFLICT when it was decided already."""
    row = (
        await connection.execute(
            registrations.update()
            .where(REGISTRATION.id == registration_id, REGISTRATION.status == RegistrationStatus.PENDING)
            .values(**values, decided_by_id=actor.id, decided_at=utcnow())
            .returning(*registrations.c)
        )
    ).first()
    if row is None:
        raise Conflict("This registration was decided already.", field="id")
    await record_activity(connection, user_id=actor.id, kind=ActivityKind.REGISTRATION_DECIDED)
    return row


async def create_buyer(connection: AsyncConnection, row: Any, company_id: int, direct_am: int | None) -> int:
    """The applicant's account, active, without a password until they set one. An account
    with that email made since the request (by an admin) refuses the approval: CONFLICT."""
    now = utcnow()
    statement = (
        users.insert()
        .values(
            email=row.email,
            name=row.name,
            role=RoleName.BUYER,
            active=True,
            password_hash=None,
            company_id=company_id,
            direct_am_id=direct_am,
            created_at=now,
            updated_at=now,
        )
        .returning(users.c.id)
    )
    try:
        async with connection.begin_nested():
            return (await connection.execute(statement)).scalar_one()
    except sa.exc.IntegrityError as error:
        raise Conflict("An account with this registration's email exists already.", field="id") from error


async def link_buyer(
    connection: AsyncConnection, registration_id: int, buyer_id: int, company_id: int
) -> None:
    """Where an approved registration led: its buyer and their company."""
    await connection.execute(
        registrations.update()
        .where(REGISTRATION.id == registration_id)
        .values(buyer_id=buyer_id, company_id=company_id)
    )


async def reassign_company(
    connection: AsyncConnection, actor: Viewer, registration_id: int, company_id: int
) -> None:
    """Point a pending registration at an existing company; a decided one is CONFLICT."""
    row = (
        await connection.execute(
            registrations.update()
            .where(REGISTRATION.id == registration_id, REGISTRATION.status == RegistrationStatus.PENDING)
            .values(company_id=company_id)
            .returning(REGISTRATION.id, REGISTRATION.requested_am_id)
        )
    ).first()
    if row is None:
        raise Conflict("This registration was decided already.", field="id")
    await record(
        connection,
        actor,
        "registration.reassign_company",
        "Registration",
        row.id,
        on_behalf_of=row.requested_am_id,
        diff={"company_id": company_id},
    )
