"""Root fields for territories and companies."""

from __future__ import annotations

import strawberry
from salescoord.permissions.enums import Permission
from salescoord.resolvers import places as resolve
from salescoord.schema.guards import back_office, scoped
from salescoord.schema.pagination import Connection
from salescoord.schema.types.places import Company, Territory


@strawberry.type
class PlacesQuery:
    territories: Connection[Territory] = strawberry.field(
        resolver=resolve.territories, extensions=[scoped()], description="Territories you may see, by name."
    )
    companies: Connection[Company] = strawberry.field(
        resolver=resolve.companies, extensions=[scoped()], description="Companies you may see, by name."
    )


@strawberry.type
class PlacesMutation:
    create_territory: Territory | None = strawberry.mutation(
        resolver=resolve.create_territory, extensions=[back_office(Permission.MANAGE_TERRITORIES)]
    )
    update_territory: Territory | None = strawberry.mutation(
        resolver=resolve.update_territory, extensions=[back_office(Permission.MANAGE_TERRITORIES)]
    )
    create_company: Company | None = strawberry.mutation(
        resolver=resolve.create_company, extensions=[back_office(Permission.MANAGE_TERRITORIES)]
    )
    update_company: Company | None = strawberry.mutation(
        resolver=resolve.update_company, extensions=[back_office(Permission.MANAGE_TERRITORIES)]
    )
