"""A sign-up request and the decision on it (R6, R7)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from resolvers import node_types
from salescoord.context import Info
from schema.enums import RegistrationStatus
from schema.guards import scoped
from schema.ids import encode_id
from schema.node import Node
from schema.types.people import User

if TYPE_CHECKING:
    from schema.types.places import Company, Territory

CompanyType = Annotated["Company", strawberry.lazy("schema.types.places")]
TerritoryType = Annotated["Territory", strawberry.lazy("schema.types.places")]


@strawberry.type(description="A sign-up request waiting for, or closed by, a decision (R6, R7).")
class Registration(Node):
    id: strawberry.ID
    name: str
    email: str
    company_name: str = strawberry.field(description="The company as the applicant typed it.")
    message: str | None
    status: RegistrationStatus
    created_at: datetime
    decided_at: datetime | None
    decision_reason: str | None
    pk: strawberry.Private[int]
    requested_am_id: strawberry.Private[int | None]
    territory_id: strawberry.Private[int | None]
    company_id: strawberry.Private[int | None]
    decided_by_id: strawberry.Private[int | None]
    buyer_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: Any) -> Registration:
        return cls(
            id=encode_id("Registration", row.id),
            name=row.name,
            email=row.email,
            company_name=row.company_name,
            message=row.message,
            status=RegistrationStatus(row.status),
            created_at=row.created_at,
            decided_at=row.decided_at,
            decision_reason=row.decision_reason,
            pk=row.id,
            requested_am_id=row.requested_am_id,
            territory_id=row.territory_id,
            company_id=row.company_id,
            decided_by_id=row.decided_by_id,
            buyer_id=row.buyer_id,
        )

    @strawberry.field(extensions=[scoped()], description="The account manager the applicant asked for.")
    async def requested_account_manager(self, info: Info) -> User | None:
        return await node_types.load(info, User, self.requested_am_id)

    @strawberry.field(extensions=[scoped()], description="The territory the applicant chose.")
    async def territory(self, info: Info) -> TerritoryType | None:
        from schema.types.places import Territory

        return await node_types.load(info, Territory, self.territory_id)

    @strawberry.field(
        extensions=[scoped()],
        description="The company the buyer joins: chosen by a reassignment, or set on approval.",
    )
    async def company(self, info: Info) -> CompanyType | None:
        from schema.types.places import Company

        return await node_types.load(info, Company, self.company_id)

    @strawberry.field(extensions=[scoped()])
    async def decided_by(self, info: Info) -> User | None:
        return await node_types.load(info, User, self.decided_by_id)

    @strawberry.field(extensions=[scoped()], description="The buyer an approval created.")
    async def buyer(self, info: Info) -> User | None:
        return await node_types.load(info, User, self.buyer_id)
