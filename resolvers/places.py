"""Territories and companies: browsing in scope, and administration (MANAGE_TERRITORIES)."""

from __future__ import annotations

from typing import Any

import strawberry

from db.models.places import COMPANY_NAME_LENGTH, TERRITORY_NAME_LENGTH
from db.queries import places as queries
from resolvers import inputs, node_types
from resolvers.lookups import visible_row
from resolvers.pagination import top_connection
from salescoord.context import Info
from salescoord.errors import BadUserInput
from schema.pagination import Connection
from schema.types.places import Company, Territory


async def territories(info: Info, first: int, after: str | None, roots_only: bool) -> Connection[Territory]:
    statement = queries.search_territories(info.context.scope, roots_only=roots_only)
    return await top_connection(info, statement, queries.TERRITORY_ORDER, first, after, Territory.from_row)


async def companies(info: Info, first: int, after: str | None, search: str | None) -> Connection[Company]:
    search = inputs.search(search)
    statement = queries.search_companies(info.context.scope, search=search)
    return await top_connection(info, statement, queries.COMPANY_ORDER, first, after, Company.from_row)


async def _territory(info: Info, territory_id: int) -> Territory | None:
    """The written territory as the viewer now sees it (null if it left their scope)."""
    info.context.refresh()
    return await node_types.load(info, Territory, territory_id)


async def _company(info: Info, company_id: int) -> Company | None:
    info.context.refresh()
    return await node_types.load(info, Company, company_id)


async def create_territory(info: Info, name: str, parent_id: str | None) -> Territory | None:
    name = inputs.text(name, "name", TERRITORY_NAME_LENGTH)
    parent = (await visible_row(info, parent_id, Territory, "parentId")).id if parent_id else None
    async with info.context.db.transaction() as connection:
        territory_id = await queries.create_territory(connection, info.context.viewer, name, parent)
    return await _territory(info, territory_id)


async def update_territory(info: Info, id: str, changes: dict[str, Any]) -> Territory | None:
    """Rename, move under another parent, or (parentId: null) make a root (R3)."""
    row = await visible_row(info, id, Territory, "id")
    values: dict[str, Any] = {}
    if changes["name"] is not strawberry.UNSET:
        values["name"] = inputs.text(changes["name"], "name", TERRITORY_NAME_LENGTH)
    if changes["parent_id"] is not strawberry.UNSET:
        parent_id = changes["parent_id"]
        values["parent_id"] = (
            (await visible_row(info, parent_id, Territory, "parentId")).id if parent_id else None
        )
    if not values:
        raise BadUserInput("Nothing to change.", field="input")
    async with info.context.db.transaction() as connection:
        await queries.update_territory(connection, info.context.viewer, row.id, values)
    return await _territory(info, row.id)


async def create_company(info: Info, name: str, territory_id: str) -> Company | None:
    name = inputs.text(name, "name", COMPANY_NAME_LENGTH)
    territory = await visible_row(info, territory_id, Territory, "territoryId")
    async with info.context.db.transaction() as connection:
        company_id = await queries.create_company(connection, info.context.viewer, name, territory.id)
    return await _company(info, company_id)


async def update_company(info: Info, id: str, changes: dict[str, Any]) -> Company | None:
    """Rename, or move to another territory: its buyers move with it (R3)."""
    row = await visible_row(info, id, Company, "id")
    values: dict[str, Any] = {}
    if changes["name"] is not strawberry.UNSET:
        values["name"] = inputs.text(changes["name"], "name", COMPANY_NAME_LENGTH)
    if changes["territory_id"] is not strawberry.UNSET:
        if changes["territory_id"] is None:
            raise BadUserInput("A company needs a territory.", field="territoryId")
        values["territory_id"] = (
            await visible_row(info, changes["territory_id"], Territory, "territoryId")
        ).id
    if not values:
        raise BadUserInput("Nothing to change.", field="input")
    async with info.context.db.transaction() as connection:
        await queries.update_company(connection, info.context.viewer, row.id, values)
    return await _company(info, row.id)
