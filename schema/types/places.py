"""Territories (region › territory) and companies."""

from __future__ import annotations

from typing import Any

import strawberry
from salescoord.resolvers import places as resolve
from salescoord.resolvers.related import ToOne
from salescoord.schema.guards import scoped
from salescoord.schema.ids import encode_id
from salescoord.schema.node import Node
from salescoord.schema.pagination import Connection
from salescoord.schema.types.people import User
from salescoord.schema.types.visibility import Visibility, explained

PARENT = ToOne("parent_id")
TERRITORY = ToOne("territory_id")


@strawberry.type(description="A sales territory; territories form a tree.")
class Territory(Node):
    id: strawberry.ID
    name: str
    pk: strawberry.Private[int]
    parent_id: strawberry.Private[int | None]
    parent: Territory | None = strawberry.field(resolver=resolve.parent, extensions=[scoped(), PARENT])
    children: Connection[Territory] = strawberry.field(resolver=resolve.children, extensions=[scoped()])
    companies: Connection[Company] = strawberry.field(
        resolver=resolve.companies_in,
        extensions=[scoped()],
        description="Companies directly in this territory.",
    )

    @classmethod
    def from_row(cls, row: Any) -> Territory:
        return cls(id=encode_id("Territory", row.id), name=row.name, pk=row.id, parent_id=row.parent_id)


@strawberry.type(description="A buyer's company, in one territory.")
class Company(Node):
    id: strawberry.ID
    name: str
    pk: strawberry.Private[int]
    territory_id: strawberry.Private[int]
    territory: Territory | None = strawberry.field(
        resolver=resolve.territory, extensions=[scoped(), TERRITORY]
    )
    buyers: Connection[User] = strawberry.field(
        resolver=resolve.buyers, extensions=[scoped()], description="The company's buyers you may see."
    )
    visibility: Visibility | None = explained("company")

    @classmethod
    def from_row(cls, row: Any) -> Company:
        return cls(
            id=encode_id("Company", row.id),
            name=row.name,
            pk=row.id,
            territory_id=row.territory_id,
        )


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
