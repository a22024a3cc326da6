"""Users: the viewer, the searchable user list, and administration (R5, R14, R34)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry
from salescoord.db.models.people import USER_NAME_LENGTH
from salescoord.db.queries import devices as device_queries
from salescoord.db.queries import lists as list_queries
from salescoord.db.queries import meetings as meeting_queries
from salescoord.db.queries import people as queries
from salescoord.db.queries import places as place_queries
from salescoord.resolvers import inputs, node_types
from salescoord.resolvers.devices import close_sockets_of
from salescoord.resolvers.lookups import visible_row
from salescoord.resolvers.pagination import nested_connection, top_connection
from salescoord.resolvers.related import one
from salescoord.resolvers.roles import chosen_role
from salescoord.schema import types
from salescoord.schema.enums import RoleName as Roles
from salescoord.schema.ids import encode_id
from salescoord.schema.pagination import Connection

from salescoord.context import Info
from salescoord.errors import BadUserInput, Forbidden
from salescoord.outbox import wording
from salescoord.outbox.queue import enqueue_notice

if TYPE_CHECKING:
    from salescoord.schema.types.people import User
    from salescoord.schema.types.places import Company


async def viewer(info: Info) -> User:
    """The row read with the viewer at the start of the request, unless the request wrote."""
    row = info.context.viewer.row
    if row is None:
        row = await info.context.db.fetch_one(queries.own_row(info.context.viewer.id))
    return types.people.User.from_row(row)


async def users(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    role: Roles | None = None,
    search: str | None = None,
) -> Connection[User]:
    search = inputs.search(search)
    statement = queries.search_users(info.context.scope, role=role, search=search)
    return await top_connection(
        info, statement, queries.USER_ORDER, first, after, last, before, types.people.User.from_row
    )


async def _reload_user(info: Info, user_id: int) -> User | None:
    """The written user as the viewer now sees them (null if outside their scope)."""
    info.context.refresh()
    return await node_types.load(info, types.people.User, user_id)


async def _optional_user(info: Info, global_id: str | None, field: str, role: Roles) -> int | None:
    if global_id is None:
        return None
    row = await visible_row(info, global_id, types.people.User, field)
    if row.role != role:
        raise BadUserInput(f"{field} must name a {role.value}.", field=field)
    return row.id


async def _buyer_links(
    info: Info, role: Roles, company_id: str | None, direct_am_id: str | None
) -> dict[str, Any]:
    """A buyer needs a company and may have a direct AM; other roles have neither."""
    if role is not Roles.BUYER:
        if company_id is not None or direct_am_id is not None:
            raise BadUserInput("Only buyers have a company or a direct AM.", field="companyId")
        return {"company_id": None, "direct_am_id": None}
    if company_id is None:
        raise BadUserInput("A buyer needs a company.", field="companyId")
    company = await visible_row(info, company_id, types.places.Company, "companyId")
    return {
        "company_id": company.id,
        "direct_am_id": await _optional_user(
            info, direct_am_id, "directAccountManagerId", Roles.ACCOUNT_MANAGER
        ),
    }


def _no_escalation(info: Info, *roles: Roles) -> None:
    """Only an ADMIN makes, edits or creates admins (of any role of kind ADMIN): a role given
    MANAGE_USERS (R14) must not be a way to grant oneself or anyone else more than one has."""
    if Roles.ADMIN in roles and info.context.viewer.role is not Roles.ADMIN:
        raise Forbidden("Only an admin may make or change an admin.", field="role")


async def create_user(info: Info, input: types.people.CreateUserInput) -> User | None:
    """Without a password, the new user is invited: an email with a set-password link, in the
    same transaction (R32, R20), so they choose their password themselves."""
    kind, custom_role = await chosen_role(info, input.role, input.role_id)
    _no_escalation(info, kind)
    password = input.password
    values: dict[str, Any] = {
        "email": inputs.email(input.email),
        "name": inputs.text(input.name, "name", USER_NAME_LENGTH),
        "role": kind,
        "role_id": custom_role,
        "password_hash": await info.context.passwords.hash(inputs.password(password)) if password else None,
        **await _buyer_links(info, kind, input.company_id, input.direct_account_manager_id),
    }
    async with info.context.db.transaction() as connection:
        user_id = await queries.create_user(connection, info.context.viewer, values)
        if values["password_hash"] is None:
            valid_hours = max(info.context.settings.set_password_ttl_seconds // 3600, 1)
            notice = wording.invitation(values["name"], valid_hours)
            await enqueue_notice(connection, notice, values["email"], set_password_user_id=user_id)
    return await _reload_user(info, user_id)


async def update_user(info: Info, input: types.people.UpdateUserInput) -> User | None:
    """Apply the fields the client set; `null` clears a company or direct AM."""
    changes = {
        name: getattr(input, name)
        for name in (
            "name",
            "email",
            "role",
            "role_id",
            "active",
            "password",
            "company_id",
            "direct_account_manager_id",
        )
    }
    row = await visible_row(info, input.id, types.people.User, "id")
    role = Roles(row.role)
    values: dict[str, Any] = {}
    assigned = {
        name: inputs.given(changes[name], field)
        for name, field in (("role", "role"), ("role_id", "roleId"))
        if changes[name] is not strawberry.UNSET
    }
    if assigned:
        role, values["role_id"] = await chosen_role(info, assigned.get("role"), assigned.get("role_id"))
        values["role"] = role
    _no_escalation(info, Roles(row.role), role)
    if changes.get("name") is not strawberry.UNSET:
        values["name"] = inputs.text(changes["name"], "name", USER_NAME_LENGTH)
    if changes.get("email") is not strawberry.UNSET:
        values["email"] = inputs.email(changes["email"])
    if changes.get("active") is not strawberry.UNSET:
        values["active"] = inputs.given(changes["active"], "active")
    if changes.get("password") is not strawberry.UNSET:
        values["password_hash"] = await info.context.passwords.hash(inputs.password(changes["password"]))
    company = changes.get("company_id", strawberry.UNSET)
    direct_am = changes.get("direct_account_manager_id", strawberry.UNSET)
    if role is not Roles(row.role) or company is not strawberry.UNSET or direct_am is not strawberry.UNSET:
        current_company = _encode("Company", row.company_id)
        current_am = _encode("User", row.direct_am_id)
        values.update(
            await _buyer_links(
                info,
                role,
                current_company if company is strawberry.UNSET else company,
                current_am if direct_am is strawberry.UNSET else direct_am,
            )
        )
    if not values:
        raise BadUserInput("Nothing to change.", field="input")
    signed_out: list[int] = []
    async with info.context.db.transaction() as connection:
        await queries.update_user(connection, info.context.viewer, row.id, values)
        if "password_hash" in values:  # a new password ends every sign-in before it (R29, R30)
            signed_out = await device_queries.revoke_every_device(
                connection, info.context.viewer, row.id, device_queries.RevokedBecause.PASSWORD_RESET
            )
    close_sockets_of(info.context, signed_out)
    return await _reload_user(info, row.id)


def _encode(type_name: str, pk: int | None) -> str | None:
    return encode_id(type_name, pk) if pk is not None else None


async def _account_manager(info: Info, global_id: str) -> Any:
    row = await visible_row(info, global_id, types.people.User, "accountManagerId")
    if row.role != Roles.ACCOUNT_MANAGER:
        raise BadUserInput("accountManagerId must name an ACCOUNT_MANAGER.", field="accountManagerId")
    return row


async def assign_coordinators(
    info: Info, account_manager_id: strawberry.ID, coordinator_ids: list[strawberry.ID]
) -> User | None:
    return await _link_coordinators(info, account_manager_id, coordinator_ids, link=True)


async def unassign_coordinators(
    info: Info, account_manager_id: strawberry.ID, coordinator_ids: list[strawberry.ID]
) -> User | None:
    return await _link_coordinators(info, account_manager_id, coordinator_ids, link=False)


async def assign_territories(
    info: Info, account_manager_id: strawberry.ID, territory_ids: list[strawberry.ID]
) -> User | None:
    return await _link_territories(info, account_manager_id, territory_ids, link=True)


async def unassign_territories(
    info: Info, account_manager_id: strawberry.ID, territory_ids: list[strawberry.ID]
) -> User | None:
    return await _link_territories(info, account_manager_id, territory_ids, link=False)


async def _link_coordinators(
    info: Info, account_manager_id: str, coordinator_ids: list[str], *, link: bool
) -> User | None:
    coordinator_ids = inputs.unique(coordinator_ids, "coordinatorIds")
    am = await _account_manager(info, account_manager_id)
    sc_ids = []
    for global_id in coordinator_ids:
        row = await visible_row(info, global_id, types.people.User, "coordinatorIds")
        if row.role != Roles.SALES_COORDINATOR:
            raise BadUserInput("coordinatorIds must name SALES_COORDINATORs.", field="coordinatorIds")
        sc_ids.append(row.id)
    async with info.context.db.transaction() as connection:
        await queries.link_coordinators(connection, info.context.viewer, am.id, sc_ids, link)
    return await _reload_user(info, am.id)


async def _link_territories(
    info: Info, account_manager_id: str, territory_ids: list[str], *, link: bool
) -> User | None:
    territory_ids = inputs.unique(territory_ids, "territoryIds")
    am = await _account_manager(info, account_manager_id)
    ids = [
        (await visible_row(info, global_id, types.places.Territory, "territoryIds")).id
        for global_id in territory_ids
    ]
    async with info.context.db.transaction() as connection:
        await queries.link_territories(connection, info.context.viewer, am.id, ids, link)
    return await _reload_user(info, am.id)


# -- the fields of a user -----------------------------------------------------------------
def company(root: User, info: Info) -> Company | None:
    return one(info, types.people.COMPANY, root)


def direct_account_manager(root: User, info: Info) -> User | None:
    return one(info, types.people.DIRECT_AM, root)


coordinators = nested_connection(queries.COORDINATORS_BY_ACCOUNT_MANAGER, lambda: types.people.User)


account_managers = nested_connection(queries.ACCOUNT_MANAGERS_BY_COORDINATOR, lambda: types.people.User)


associated_buyers = nested_connection(queries.BUYERS_BY_ACCOUNT_MANAGER, lambda: types.people.User)


territories = nested_connection(place_queries.TERRITORIES_BY_ACCOUNT_MANAGER, lambda: types.places.Territory)


lists = nested_connection(list_queries.LISTS_BY_OWNER, lambda: types.lists.List)


meetings = nested_connection(meeting_queries.MEETINGS_BY_HOST, lambda: types.meetings.Meeting)
