"""Territories and companies: browsing in scope, and administration (MANAGE_TERRITORIES)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import strawberry
from salescoord.db.models.places import COMPANY_NAME_LENGTH, TERRITORY_NAME_LENGTH
from salescoord.db.queries import people as people_queries
from salescoord.db.queries import places as queries
from salescoord.permissions.viewer import Viewer
from salescoord.resolvers import inputs, node_types
from salescoord.resolvers.keyed import Key, Number, keyed_call
from salescoord.resolvers.lookups import visible_row
from salescoord.resolvers.pagination import nested_connection, top_connection
from salescoord.resolvers.related import one
from salescoord.schema import types
from salescoord.schema.pagination import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from salescoord.context import Info
from salescoord.errors import BadUserInput

if TYPE_CHECKING:
    from salescoord.schema.types.places import Company, Territory


async def territories(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    roots_only: bool = False,
) -> Connection[Territory]:
    statement = queries.search_territories(info.context.scope, roots_only=roots_only)
    return await top_connection(
        info, statement, queries.TERRITORY_ORDER, first, after, last, before, types.places.Territory.from_row
    )


async def companies(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    search: str | None = None,
) -> Connection[Company]:
    search = inputs.search(search)
    statement = queries.search_companies(info.context.scope, search=search)
    return await top_connection(
        info, statement, queries.COMPANY_ORDER, first, after, last, before, types.places.Company.from_row
    )


# -- the fields of a territory and a company ------------------------------------------------
def parent(root: Territory, info: Info) -> Territory | None:
    return one(info, types.places.PARENT, root)


children = nested_connection(queries.TERRITORIES_BY_PARENT, lambda: types.places.Territory)


companies_in = nested_connection(queries.COMPANIES_BY_TERRITORY, lambda: types.places.Company)


def territory(root: Company, info: Info) -> Territory | None:
    return one(info, types.places.TERRITORY, root)


buyers = nested_connection(people_queries.BUYERS_BY_COMPANY, lambda: types.people.User)


# -- administration -----------------------------------------------------------------------
async def _territory(info: Info, territory_id: int) -> Territory | None:
    """The written territory as the viewer now sees it (null if it left their scope)."""
    info.context.refresh()
    return await node_types.load(info, types.places.Territory, territory_id)


async def _company(info: Info, company_id: int) -> Company | None:
    info.context.refresh()
    return await node_types.load(info, types.places.Company, company_id)


async def create_territory(info: Info, name: str, parent_id: strawberry.ID | None = None) -> Territory | None:
    name = inputs.text(name, "name", TERRITORY_NAME_LENGTH)
    parent = (
        (await visible_row(info, parent_id, types.places.Territory, "parentId")).id if parent_id else None
    )
    async with info.context.db.transaction() as connection:
        territory_id = await queries.create_territory(connection, info.context.viewer, name, parent)
    return await _territory(info, territory_id)


async def update_territory(info: Info, input: types.places.UpdateTerritoryInput) -> Territory | None:
    """Rename, move under another parent, or (parentId: null) make a root (R3)."""
    row = await visible_row(info, input.id, types.places.Territory, "id")
    values: dict[str, Any] = {}
    if input.name is not strawberry.UNSET:
        values["name"] = inputs.text(input.name, "name", TERRITORY_NAME_LENGTH)
    if input.parent_id is not strawberry.UNSET:
        parent_id = input.parent_id
        values["parent_id"] = (
            (await visible_row(info, parent_id, types.places.Territory, "parentId")).id if parent_id else None
        )
    if not values:
        raise BadUserInput("Nothing to change.", field="input")
    async with info.context.db.transaction() as connection:
        await queries.update_territory(connection, info.context.viewer, row.id, values)
    return await _territory(info, row.id)


async def create_company(info: Info, name: str, territory_id: strawberry.ID) -> Company | None:
    name = inputs.text(name, "name", COMPANY_NAME_LENGTH)
    territory = await visible_row(info, territory_id, types.places.Territory, "territoryId")
    async with info.context.db.transaction() as connection:
        company_id = await queries.create_company(connection, info.context.viewer, name, territory.id)
    return await _company(info, company_id)


async def update_company(info: Info, input: types.places.UpdateCompanyInput) -> Company | None:
    """Rename, or move to another territory: its buyers move with it (R3)."""
    row = await visible_row(info, input.id, types.places.Company, "id")
    values: dict[str, Any] = {}
    if input.name is not strawberry.UNSET:
        values["name"] = inputs.text(input.name, "name", COMPANY_NAME_LENGTH)
    if input.territory_id is not strawberry.UNSET:
        if input.territory_id is None:
            raise BadUserInput("A company needs a territory.", field="territoryId")
        values["territory_id"] = (
            await visible_row(info, input.territory_id, types.places.Territory, "territoryId")
        ).id
    if not values:
        raise BadUserInput("Nothing to change.", field="input")
    async with info.context.db.transaction() as connection:
        await queries.update_company(connection, info.context.viewer, row.id, values)
    return await _company(info, row.id)


# -- deleting and merging (R34) ----------------------------------------------------------------
# A place is deleted or merged the same way whatever its type: the ids read through the
# viewer's scope, one keyed transaction, the answer read back as the viewer now sees it.
Write = Callable[[AsyncConnection, Viewer, int], Awaitable[Any]]
Merge = Callable[[AsyncConnection, Viewer, int, int], Awaitable[Any]]


async def _delete(info: Info, id: strawberry.ID, node_type: Any, delete: Write) -> strawberry.ID:
    call = keyed_call(info)
    if call.replayed is None:
        row = await visible_row(info, id, node_type, "id")
        async with call.transaction() as connection:
            await delete(connection, info.context.viewer, row.id)
            call.settle(node_type.__name__, row.id)
    info.context.refresh()
    return id


async def _merge(
    info: Info, source_id: strawberry.ID, target_id: strawberry.ID, node_type: Any, merge: Merge
) -> Any:
    call = keyed_call(info)
    if call.replayed is None:
        source = await visible_row(info, source_id, node_type, "sourceId")
        target = await visible_row(info, target_id, node_type, "targetId")
        async with call.transaction() as connection:
            await merge(connection, info.context.viewer, source.id, target.id)
            call.settle(node_type.__name__, target.id)
    merged = call.replayed.id if call.replayed is not None else target.id
    info.context.refresh()
    return await node_types.load(info, node_type, merged)


async def delete_territory(
    info: Info, id: strawberry.ID, client_mutation_id: Key = None, mutation_number: Number = None
) -> strawberry.ID:
    """Delete an empty territory; answers with its id, as sent."""
    return await _delete(info, id, types.places.Territory, queries.delete_territory)


async def merge_territory(
    info: Info,
    source_id: strawberry.ID,
    target_id: strawberry.ID,
    client_mutation_id: Key = None,
    mutation_number: Number = None,
) -> Territory | None:
    """Move everything in the source territory to the target, delete the source; answers with
    the target as the viewer now sees it."""
    return await _merge(info, source_id, target_id, types.places.Territory, queries.merge_territory)


async def delete_company(
    info: Info, id: strawberry.ID, client_mutation_id: Key = None, mutation_number: Number = None
) -> strawberry.ID:
    """Delete a company without buyers; answers with its id, as sent."""
    return await _delete(info, id, types.places.Company, queries.delete_company)


async def merge_company(
    info: Info,
    source_id: strawberry.ID,
    target_id: strawberry.ID,
    client_mutation_id: Key = None,
    mutation_number: Number = None,
) -> Company | None:
    """Move the source company's buyers to the target, delete the source; answers with the
    target as the viewer now sees it."""
    return await _merge(info, source_id, target_id, types.places.Company, queries.merge_company)
