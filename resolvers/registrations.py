"""Registrations: sign up, the queue, decisions (the new buyer's link: `resolvers/passwords.py`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import strawberry
from salescoord.db.models.places import COMPANY_NAME_LENGTH
from salescoord.db.models.registrations import (
    APPLICANT_COMPANY_LENGTH,
    APPLICANT_NAME_LENGTH,
    DECISION_REASON_LENGTH,
    MESSAGE_LENGTH,
)
from salescoord.db.queries import registrations as queries
from salescoord.db.tables import territories
from salescoord.resolvers import inputs, node_types
from salescoord.resolvers import registration_workflow as workflow
from salescoord.resolvers.lookups import visible_row
from salescoord.resolvers.pagination import top_connection
from salescoord.schema import types
from salescoord.schema.enums import RegistrationStatus
from salescoord.schema.ids import encode_id, expect_id
from salescoord.schema.pagination import Connection

from salescoord.context import Info
from salescoord.errors import BadUserInput, NotFound
from salescoord.rate_limits import client_ip, rate_limit

if TYPE_CHECKING:
    from salescoord.schema.types.people import User
    from salescoord.schema.types.places import Company, Territory
    from salescoord.schema.types.registrations import Registration, RegistrationReceipt


NO_SUCH = {"accountManagerId": "No such account manager.", "territoryId": "No such territory."}


def _no_such(field: str) -> BadUserInput:
    """A public caller names an AM or a territory it cannot see: an id of nothing, of the
    wrong type, tampered, or of someone who is no active AM is bad input (R23), one answer
    for all, not a lookup through a scope it does not have."""
    return BadUserInput(NO_SUCH[field], field=field)


def _pk(global_id: str, type_name: str, field: str) -> int:
    try:
        return expect_id(global_id, type_name, field=field)
    except NotFound:
        raise _no_such(field) from None


async def register(info: Info, input: types.registrations.RegisterInput) -> RegistrationReceipt:
    """Sign up (R4, R6): stored as PENDING, and every AM and SC it concerns is told (R8)."""
    name, email, company_name, message = input.name, input.email, input.company_name, input.message
    account_manager_id, territory_id = input.account_manager_id, input.territory_id
    settings = info.context.settings
    await rate_limit(
        info.context,
        "register",
        client_ip(info.context),
        settings.registrations_per_ip,
        settings.register_window_seconds,
    )
    values: dict[str, Any] = {
        "name": inputs.text(name, "name", APPLICANT_NAME_LENGTH),
        "email": inputs.email(email),
        "company_name": inputs.text(company_name, "companyName", APPLICANT_COMPANY_LENGTH),
        "message": inputs.optional_text(message, "message", MESSAGE_LENGTH),
        "requested_am_id": _pk(account_manager_id, "User", "accountManagerId")
        if account_manager_id
        else None,
        "territory_id": _pk(territory_id, "Territory", "territoryId") if territory_id else None,
    }
    db = info.context.db
    async with db.transaction() as connection:
        if values["requested_am_id"] is not None and not await queries.active_account_manager(
            connection, values["requested_am_id"]
        ):
            raise _no_such("accountManagerId")
        if values["territory_id"] is not None and not await queries.territory_exists(
            connection, values["territory_id"]
        ):
            raise _no_such("territoryId")
        await workflow.create_registration(
            connection, values, f"{info.context.settings.public_url}/registrations"
        )
    return types.registrations.RegistrationReceipt(email=values["email"], status=RegistrationStatus.PENDING)


async def registrations(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    status: RegistrationStatus | None = None,
    territory_id: strawberry.ID | None = None,
    account_manager_id: strawberry.ID | None = None,
    search: str | None = None,
) -> Connection[Registration]:
    search = inputs.search(search)
    statement = queries.search_registrations(
        info.context.scope,
        status=status,
        territory_id=(await visible_row(info, territory_id, types.places.Territory, "territoryId")).id
        if territory_id
        else None,
        account_manager_id=(
            await visible_row(info, account_manager_id, types.people.User, "accountManagerId")
        ).id
        if account_manager_id
        else None,
        search=search or None,
    )
    return await top_connection(
        info,
        statement,
        queries.REGISTRATION_ORDER,
        first,
        after,
        last,
        before,
        types.registrations.Registration.from_row,
    )


async def _reload(info: Info, registration_id: int) -> Registration | None:
    info.context.refresh()
    return await node_types.load(info, types.registrations.Registration, registration_id)


async def _covered_territory(info: Info, global_id: str | None, fallback: int | None) -> int:
    """Where a new company goes: a territory inside the decider's scope (R7)."""
    if global_id is not None:
        territory_id = (
            await visible_row(info, global_id, types.places.Territory, "newCompanyTerritoryId")
        ).id
    elif fallback is not None:
        territory_id = fallback
    else:
        raise BadUserInput("A new company needs a territory.", field="newCompanyTerritoryId")
    covered = sa.select(territories.c.id).where(
        territories.c.id == territory_id, info.context.scope.covered_territories()
    )
    if await info.context.db.fetch_one(covered) is None:
        raise BadUserInput("That territory is outside your scope.", field="newCompanyTerritoryId")
    return territory_id


async def approve_registration(
    info: Info, input: types.registrations.ApproveRegistrationInput
) -> Registration | None:
    """Into `companyId`, or a new company (named `newCompanyName` or as the applicant typed
    it) in `newCompanyTerritoryId` or the requested territory; without either, into the
    company a reassignment chose."""
    id, company_id = input.id, input.company_id
    new_company_name, new_company_territory_id = input.new_company_name, input.new_company_territory_id
    row = await visible_row(info, id, types.registrations.Registration, "id")
    company, new_company = None, None
    if company_id is not None:
        if new_company_name is not None or new_company_territory_id is not None:
            raise BadUserInput("Either an existing company or a new one.", field="companyId")
        company = (await visible_row(info, company_id, types.places.Company, "companyId")).id
    elif new_company_name is not None or new_company_territory_id is not None or row.company_id is None:
        name = (
            inputs.text(new_company_name, "newCompanyName", COMPANY_NAME_LENGTH)
            if new_company_name
            else row.company_name
        )
        new_company = (name, await _covered_territory(info, new_company_territory_id, row.territory_id))
    else:
        company = (
            await visible_row(info, encode_id("Company", row.company_id), types.places.Company, "companyId")
        ).id
    settings = info.context.settings
    async with info.context.db.transaction() as connection:
        await workflow.approve_registration(
            connection,
            info.context.viewer,
            row.id,
            company_id=company,
            new_company=new_company,
            valid_hours=settings.set_password_ttl_seconds // 3600,
        )
    return await _reload(info, row.id)


async def reject_registration(info: Info, id: strawberry.ID, reason: str) -> Registration | None:
    reason = inputs.text(reason, "reason", DECISION_REASON_LENGTH)
    row = await visible_row(info, id, types.registrations.Registration, "id")
    async with info.context.db.transaction() as connection:
        await workflow.reject_registration(connection, info.context.viewer, row.id, reason)
    return await _reload(info, row.id)


async def reassign_registration_company(
    info: Info, id: strawberry.ID, company_id: strawberry.ID
) -> Registration | None:
    row = await visible_row(info, id, types.registrations.Registration, "id")
    company = await visible_row(info, company_id, types.places.Company, "companyId")
    async with info.context.db.transaction() as connection:
        await queries.reassign_company(connection, info.context.viewer, row.id, company.id)
    return await _reload(info, row.id)


# -- the fields of a registration -----------------------------------------------------------
async def requested_account_manager(root: Registration, info: Info) -> User | None:
    return await node_types.load(info, types.people.User, root.requested_am_id)


async def territory(root: Registration, info: Info) -> Territory | None:
    return await node_types.load(info, types.places.Territory, root.territory_id)


async def company(root: Registration, info: Info) -> Company | None:
    return await node_types.load(info, types.places.Company, root.company_id)


async def decided_by(root: Registration, info: Info) -> User | None:
    return await node_types.load(info, types.people.User, root.decided_by_id)


async def buyer(root: Registration, info: Info) -> User | None:
    return await node_types.load(info, types.people.User, root.buyer_id)
