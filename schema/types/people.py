"""Users (admins, AMs, SCs, buyers) and roles."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from db.queries import lists as list_queries
from db.queries import people as queries
from db.queries import places as place_queries
from permissions.enums import RoleName as Roles
from resolvers.pagination import child_connection
from resolvers.related import ToOne, one
from salescoord.context import Info
from schema.enums import Permission, RoleName, ScopeBasis
from schema.guards import scoped
from schema.ids import encode_id
from schema.node import Node
from schema.pagination import Connection

if TYPE_CHECKING:
    from schema.types.lists import List
    from schema.types.meetings import Meeting
    from schema.types.places import Company, Territory

CompanyType = Annotated["Company", strawberry.lazy("schema.types.places")]
TerritoryType = Annotated["Territory", strawberry.lazy("schema.types.places")]
ListType = Annotated["List", strawberry.lazy("schema.types.lists")]
MeetingType = Annotated["Meeting", strawberry.lazy("schema.types.meetings")]

PAGE = 20
COMPANY = ToOne("company_id")
DIRECT_AM = ToOne("direct_am_id")


@strawberry.type(description="A person: admin, account manager, sales coordinator or buyer.")
class User(Node):
    id: strawberry.ID
    email: str
    name: str
    role: RoleName
    active: bool
    created_at: datetime
    pk: strawberry.Private[int]
    company_id: strawberry.Private[int | None]
    direct_am_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: Any) -> User:
        return cls(
            id=encode_id("User", row.id),
            email=row.email,
            name=row.name,
            role=Roles(row.role),
            active=row.active,
            created_at=row.created_at,
            pk=row.id,
            company_id=row.company_id,
            direct_am_id=row.direct_am_id,
        )

    @strawberry.field(extensions=[scoped(), COMPANY], description="A buyer's company.")
    def company(self, info: Info) -> CompanyType | None:
        return one(info, COMPANY, self)

    @strawberry.field(extensions=[scoped(), DIRECT_AM], description="A buyer's direct account manager.")
    def direct_account_manager(self, info: Info) -> User | None:
        return one(info, DIRECT_AM, self)

    @strawberry.field(extensions=[scoped()], description="An AM's sales coordinators (R5).")
    async def coordinators(self, info: Info, first: int = PAGE, after: str | None = None) -> Connection[User]:
        return await child_connection(
            info, queries.COORDINATORS_BY_ACCOUNT_MANAGER, self.pk, first, after, User.from_row
        )

    @strawberry.field(extensions=[scoped()], description="The AMs an SC supports (R2).")
    async def account_managers(
        self, info: Info, first: int = PAGE, after: str | None = None
    ) -> Connection[User]:
        return await child_connection(
            info, queries.ACCOUNT_MANAGERS_BY_COORDINATOR, self.pk, first, after, User.from_row
        )

    @strawberry.field(
        extensions=[scoped()],
        description="An AM's associated buyers: direct, and by territory down the tree (R1).",
    )
    async def associated_buyers(
        self, info: Info, first: int = PAGE, after: str | None = None
    ) -> Connection[User]:
        return await child_connection(
            info, queries.BUYERS_BY_ACCOUNT_MANAGER, self.pk, first, after, User.from_row
        )

    @strawberry.field(extensions=[scoped()], description="The territories an AM covers.")
    async def territories(
        self, info: Info, first: int = PAGE, after: str | None = None
    ) -> Connection[TerritoryType]:
        from schema.types.places import Territory

        return await child_connection(
            info,
            place_queries.TERRITORIES_BY_ACCOUNT_MANAGER,
            self.pk,
            first,
            after,
            Territory.from_row,
        )

    @strawberry.field(
        extensions=[scoped(ScopeBasis.LISTS_SECTION)],
        description="This user's lists as the Lists section shows them to you (R11).",
    )
    async def lists(self, info: Info, first: int = PAGE, after: str | None = None) -> Connection[ListType]:
        from schema.types.lists import List

        return await child_connection(info, list_queries.LISTS_BY_OWNER, self.pk, first, after, List.from_row)

    @strawberry.field(
        extensions=[scoped(ScopeBasis.MEETING)],
        description="The meetings this user hosts, as far as you may see them (R9, R10, R13).",
    )
    async def meetings(
        self, info: Info, first: int = PAGE, after: str | None = None
    ) -> Connection[MeetingType]:
        from db.queries.meetings import MEETINGS_BY_HOST
        from schema.types.meetings import Meeting

        return await child_connection(info, MEETINGS_BY_HOST, self.pk, first, after, Meeting.from_row)


@strawberry.type(description="A role and its permission flags, editable at run time (R14).")
class Role:
    name: RoleName
    permissions: list[Permission]
