"""Why you see an object (R35): the branches of the scope that let it through, each with the
link it followed. Asked on a User, Company, Meeting or List:

    { node(id: "…") { ... on User { visibility { reasons {
        basis accountManager { name } territoryPath { name } meeting { title } } } } } }
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from salescoord.resolvers import visibility as resolve
from salescoord.resolvers.related import ToOne
from salescoord.schema.enums import ScopeBasis, VisibilityBasis
from salescoord.schema.guards import scoped

if TYPE_CHECKING:
    from salescoord.schema.types.meetings import Meeting
    from salescoord.schema.types.people import User
    from salescoord.schema.types.places import Territory

UserType = Annotated["User", strawberry.lazy("salescoord.schema.types.people")]
TerritoryType = Annotated["Territory", strawberry.lazy("salescoord.schema.types.places")]
MeetingType = Annotated["Meeting", strawberry.lazy("salescoord.schema.types.meetings")]

ACCOUNT_MANAGER = ToOne("account_manager_id")
MEETING = ToOne("meeting_id")


@strawberry.type(
    description="One reason you see an object: a branch of your scope and the link it followed (R35)."
)
class VisibilityReason:
    basis: VisibilityBasis
    account_manager_id: strawberry.Private[int | None]
    root_territory_id: strawberry.Private[int | None]
    territory_id: strawberry.Private[int | None]
    meeting_id: strawberry.Private[int | None]
    account_manager: UserType | None = strawberry.field(
        resolver=resolve.account_manager,
        extensions=[scoped(), ACCOUNT_MANAGER],
        description="The AM whose link it is: the direct AM, the AM whose territory it lies in, "
        "the AM of an assignment, the host of a meeting you manage as their SC.",
    )
    territory_path: list[TerritoryType] | None = strawberry.field(
        resolver=resolve.territory_path,
        extensions=[scoped()],
        description="For TERRITORY: from the AM's own territory down to the company's territory.",
    )
    meeting: MeetingType | None = strawberry.field(
        resolver=resolve.meeting,
        extensions=[scoped(ScopeBasis.MEETING), MEETING],
        description="For MANAGED_MEETING on a list: the meeting you manage that the list is attached to.",
    )

    @classmethod
    def from_row(cls, row: Any) -> VisibilityReason:
        return cls(
            basis=VisibilityBasis(row.basis),
            account_manager_id=row.account_manager_id,
            root_territory_id=row.root_territory_id,
            territory_id=row.territory_id,
            meeting_id=row.meeting_id,
        )


@strawberry.type(description="Why you see an object: every reason that holds now (R35).")
class Visibility:
    reasons: list[VisibilityReason] = strawberry.field(description="At least one.")


def explained(what: str) -> Any:
    """The `visibility` field of a type the scope explains (User, Company, Meeting, List)."""
    return strawberry.field(
        resolver=resolve.visibility,
        extensions=[scoped(ScopeBasis.VISIBILITY)],
        description=f"Why you see this {what}: the branches of your scope that let it through (R35).",
    )
