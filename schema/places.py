"""Root fields for territories and companies."""

from __future__ import annotations

import strawberry

from permissions.enums import Permission
from resolvers import places as resolve
from salescoord.context import Info
from schema.guards import back_office, scoped
from schema.pagination import Connection
from schema.types.people import PAGE
from schema.types.places import Company, Territory


@strawberry.input
class UpdateTerritoryInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    parent_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="null makes it a root."
    )


@strawberry.input
class UpdateCompanyInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    territory_id: strawberry.ID | None = strawberry.UNSET


@strawberry.type
class PlacesQuery:
    @strawberry.field(extensions=[scoped()], description="Territories you may see, by name.")
    async def territories(
        self, info: Info, first: int = PAGE, after: str | None = None, roots_only: bool = False
    ) -> Connection[Territory]:
        return await resolve.territories(info, first, after, roots_only)

    @strawberry.field(extensions=[scoped()], description="Companies you may see, by name.")
    async def companies(
        self, info: Info, first: int = PAGE, after: str | None = None, search: str | None = None
    ) -> Connection[Company]:
        return await resolve.companies(info, first, after, search)


@strawberry.type
class PlacesMutation:
    @strawberry.mutation(extensions=[back_office(Permission.MANAGE_TERRITORIES)])
    async def create_territory(
        self, info: Info, name: str, parent_id: strawberry.ID | None = None
    ) -> Territory | None:
        return await resolve.create_territory(info, name, parent_id)

    @strawberry.mutation(extensions=[back_office(Permission.MANAGE_TERRITORIES)])
    async def update_territory(self, info: Info, input: UpdateTerritoryInput) -> Territory | None:
        changes = {"name": input.name, "parent_id": input.parent_id}
        return await resolve.update_territory(info, input.id, changes)

    @strawberry.mutation(extensions=[back_office(Permission.MANAGE_TERRITORIES)])
    async def create_company(self, info: Info, name: str, territory_id: strawberry.ID) -> Company | None:
        return await resolve.create_company(info, name, territory_id)

    @strawberry.mutation(extensions=[back_office(Permission.MANAGE_TERRITORIES)])
    async def update_company(self, info: Info, input: UpdateCompanyInput) -> Company | None:
        changes = {"name": input.name, "territory_id": input.territory_id}
        return await resolve.update_company(info, input.id, changes)
