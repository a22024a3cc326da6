"""Root fields for territories and companies."""

from __future__ import annotations

import strawberry
from salescoord.permissions.enums import Permission
from salescoord.resolvers import places as resolve
from salescoord.resolvers.keyed import keyed
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
    delete_territory: strawberry.ID = strawberry.mutation(
        resolver=resolve.delete_territory,
        extensions=keyed([back_office(Permission.MANAGE_TERRITORIES)]),
        description="Only an empty territory: one with companies, child territories, account managers "
        "or registrations is a CONFLICT; merge it instead (R34). Returns the deleted territory's id.",
    )
    merge_territory: Territory | None = strawberry.mutation(
        resolver=resolve.merge_territory,
        extensions=keyed([back_office(Permission.MANAGE_TERRITORIES)]),
        description="Move the source's companies, child territories, account managers and registrations "
        "to the target and delete the source; not into a territory below it (R34). Returns the target.",
    )
    delete_company: strawberry.ID = strawberry.mutation(
        resolver=resolve.delete_company,
        extensions=keyed([back_office(Permission.MANAGE_TERRITORIES)]),
        description="Only a company without buyers or registrations: else a CONFLICT; merge it instead "
        "(R34). Returns the deleted company's id.",
    )
    merge_company: Company | None = strawberry.mutation(
        resolver=resolve.merge_company,
        extensions=keyed([back_office(Permission.MANAGE_TERRITORIES)]),
        description="Move the source's buyers and registrations to the target and delete the source "
        "(R34). Returns the target.",
    )
