"""Territories (region › territory) and companies."""

from __future__ import annotations

from typing import Any

import strawberry

from db.queries import people as people_queries
from db.queries import places as queries
from resolvers.pagination import child_connection
from resolvers.related import ToOne, one
from salescoord.context import Info
from schema.guards import scoped
from schema.ids import encode_id
from schema.node import Node
from schema.pagination import Connection
from schema.types.people import PAGE, User

PARENT = ToOne("parent_id")
TERRITORY = ToOne("territory_id")


@strawberry.type(description="A sales territory; territories form a tree.")
class Territory(Node):
    id: strawberry.ID
    name: str
    pk: strawberry.Private[int]
    parent_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: Any) -> Territory:
        return cls(id=encode_id("Territory", row.id), name=row.name, pk=row.id, parent_id=row.parent_id)

    @strawberry.field(extensions=[scoped(), PARENT])
    def parent(self, info: Info) -> Territory | None:
        return one(info, PARENT, self)

    @strawberry.field(extensions=[scoped()])
    async def children(
        self, info: Info, first: int = PAGE, after: str | None = None
    ) -> Connection[Territory]:
        return await child_connection(
            info, queries.TERRITORIES_BY_PARENT, self.pk, first, after, Territory.from_row
        )

    @strawberry.field(extensions=[scoped()], description="Companies directly in this territory.")
    async def companies(self, info: Info, first: int = PAGE, after: str | None = None) -> Connection[Company]:
        return await child_connection(
            info, queries.COMPANIES_BY_TERRITORY, self.pk, first, after, Company.from_row
        )


@strawberry.type(description="A buyer's company, in one territory.")
class Company(Node):
    id: strawberry.ID
    name: str
    pk: strawberry.Private[int]
    territory_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Any) -> Company:
        return cls(
            id=encode_id("Company", row.id),
            name=row.name,
            pk=row.id,
            territory_id=row.territory_id,
        )

    @strawberry.field(extensions=[scoped(), TERRITORY])
    def territory(self, info: Info) -> Territory | None:
        return one(info, TERRITORY, self)

    @strawberry.field(extensions=[scoped()], description="The company's buyers you may see.")
    async def buyers(self, info: Info, first: int = PAGE, after: str | None = None) -> Connection[User]:
        return await child_connection(
            info, people_queries.BUYERS_BY_COMPANY, self.pk, first, after, User.from_row
        )
