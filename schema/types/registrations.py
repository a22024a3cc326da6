"""A sign-up request and the decision on it (R6, R7)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from salescoord.resolvers import registrations as resolve
from salescoord.schema.enums import RegistrationStatus
from salescoord.schema.guards import scoped
from salescoord.schema.ids import encode_id
from salescoord.schema.node import Node
from salescoord.schema.types.people import User

if TYPE_CHECKING:
    from salescoord.schema.types.places import Company, Territory

CompanyType = Annotated["Company", strawberry.lazy("salescoord.schema.types.places")]
TerritoryType = Annotated["Territory", strawberry.lazy("salescoord.schema.types.places")]


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
    requested_account_manager: User | None = strawberry.field(
        resolver=resolve.requested_account_manager,
        extensions=[scoped()],
        description="The account manager the applicant asked for.",
    )
    territory: TerritoryType | None = strawberry.field(
        resolver=resolve.territory, extensions=[scoped()], description="The territory the applicant chose."
    )
    company: CompanyType | None = strawberry.field(
        resolver=resolve.company,
        extensions=[scoped()],
        description="The company the buyer joins: chosen by a reassignment, or set on approval.",
    )
    decided_by: User | None = strawberry.field(resolver=resolve.decided_by, extensions=[scoped()])
    buyer: User | None = strawberry.field(
        resolver=resolve.buyer, extensions=[scoped()], description="The buyer an approval created."
    )

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


@strawberry.type(description="What a sign-up answers: it waits for a decision, emailed to you.")
class RegistrationReceipt:
    email: str
    status: RegistrationStatus


@strawberry.input
class RegisterInput:
    name: str
    email: str
    company_name: str = strawberry.field(description="The company as you know it; staff match it.")
    account_manager_id: strawberry.ID | None = strawberry.field(
        default=None, description="The account manager you work with, if any."
    )
    territory_id: strawberry.ID | None = None
    message: str | None = strawberry.field(default=None, description="Up to 2000 characters.")


@strawberry.input
class ApproveRegistrationInput:
    id: strawberry.ID
    company_id: strawberry.ID | None = strawberry.field(
        default=None, description="An existing company you may see."
    )
    new_company_name: str | None = strawberry.field(
        default=None, description="A new company (default: the name the applicant typed)."
    )
    new_company_territory_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The new company's territory, inside your scope (default: the requested one).",
    )
