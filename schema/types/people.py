"""Users (admins, AMs, SCs, buyers) and roles."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from salescoord.db.models.people import BUILT_IN_ROLE_IDS
from salescoord.resolvers import devices as resolve_devices
from salescoord.resolvers import people as resolve
from salescoord.resolvers import roles as resolve_roles
from salescoord.resolvers.related import ToOne
from salescoord.schema.enums import Permission, RoleName, ScopeBasis
from salescoord.schema.guards import scoped
from salescoord.schema.ids import encode_id
from salescoord.schema.node import Node
from salescoord.schema.pagination import Connection
from salescoord.schema.types.visibility import Visibility, explained

if TYPE_CHECKING:
    from salescoord.schema.types.devices import Device
    from salescoord.schema.types.lists import List
    from salescoord.schema.types.meetings import Meeting
    from salescoord.schema.types.places import Company, Territory

CompanyType = Annotated["Company", strawberry.lazy("salescoord.schema.types.places")]
TerritoryType = Annotated["Territory", strawberry.lazy("salescoord.schema.types.places")]
ListType = Annotated["List", strawberry.lazy("salescoord.schema.types.lists")]
MeetingType = Annotated["Meeting", strawberry.lazy("salescoord.schema.types.meetings")]
DeviceType = Annotated["Device", strawberry.lazy("salescoord.schema.types.devices")]

COMPANY = ToOne("company_id")
DIRECT_AM = ToOne("direct_am_id")


@strawberry.type(description="A person: admin, account manager, sales coordinator or buyer.")
class User(Node):
    id: strawberry.ID
    email: str
    name: str
    role: RoleName = strawberry.field(
        description="The kind of the user's role (for a built-in role, its name): what the "
        "user sees follows it (R34). assignedRole names the role itself."
    )
    active: bool
    created_at: datetime
    pk: strawberry.Private[int]
    role_pk: strawberry.Private[int]
    company_id: strawberry.Private[int | None]
    direct_am_id: strawberry.Private[int | None]
    company: CompanyType | None = strawberry.field(
        resolver=resolve.company, extensions=[scoped(), COMPANY], description="A buyer's company."
    )
    direct_account_manager: User | None = strawberry.field(
        resolver=resolve.direct_account_manager,
        extensions=[scoped(), DIRECT_AM],
        description="A buyer's direct account manager.",
    )
    assigned_role: Role = strawberry.field(
        resolver=resolve_roles.assigned_role,
        extensions=[scoped(ScopeBasis.ROLES)],
        description="The role the user holds, built-in or custom (R34).",
    )
    coordinators: Connection[User] = strawberry.field(
        resolver=resolve.coordinators, extensions=[scoped()], description="An AM's sales coordinators (R5)."
    )
    account_managers: Connection[User] = strawberry.field(
        resolver=resolve.account_managers, extensions=[scoped()], description="The AMs an SC supports (R2)."
    )
    associated_buyers: Connection[User] = strawberry.field(
        resolver=resolve.associated_buyers,
        extensions=[scoped()],
        description="An AM's associated buyers: direct, and by territory down the tree (R1).",
    )
    territories: Connection[TerritoryType] = strawberry.field(
        resolver=resolve.territories, extensions=[scoped()], description="The territories an AM covers."
    )
    lists: Connection[ListType] = strawberry.field(
        resolver=resolve.lists,
        extensions=[scoped(ScopeBasis.LISTS_SECTION)],
        description="This user's lists as the Lists section shows them to you (R11).",
    )
    devices: Connection[DeviceType] = strawberry.field(
        resolver=resolve_devices.devices,
        extensions=[scoped(ScopeBasis.DEVICE)],
        description="This user's app devices: your own; an admin sees everyone's (R30).",
    )
    meetings: Connection[MeetingType] = strawberry.field(
        resolver=resolve.meetings,
        extensions=[scoped(ScopeBasis.MEETING)],
        description="The meetings this user hosts, as far as you may see them (R9, R10, R13).",
    )
    visibility: Visibility | None = explained("user")

    @classmethod
    def from_row(cls, row: Any) -> User:
        return cls(
            id=encode_id("User", row.id),
            email=row.email,
            name=row.name,
            role=RoleName(row.role),
            active=row.active,
            created_at=row.created_at,
            pk=row.id,
            role_pk=row.role_id if row.role_id is not None else BUILT_IN_ROLE_IDS[row.role],
            company_id=row.company_id,
            direct_am_id=row.direct_am_id,
        )


@strawberry.type(
    description="A role: its permission flags, editable at run time (R14), and its kind, which "
    "decides what its holders see (R34). The four built-in roles are named as their kind and are "
    "never renamed or deleted; admins make custom roles of any kind with any flags."
)
class Role(Node):
    id: strawberry.ID
    name: str = strawberry.field(description="A built-in role's name is its kind.")
    kind: RoleName = strawberry.field(
        description="Whose scope the holders get: ADMIN (everything), ACCOUNT_MANAGER (own and "
        "associated users, R1), SALES_COORDINATOR (their AMs' scopes, R2) or BUYER (R13)."
    )
    built_in: bool
    permissions: list[Permission]
    pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Any) -> Role:
        known = {p.value for p in Permission}
        return cls(
            id=encode_id("Role", row.id),
            name=row.name,
            kind=RoleName(row.kind),
            built_in=row.built_in,
            permissions=[Permission(p) for p in row.permissions if p in known],
            pk=row.id,
        )


@strawberry.input
class CreateUserInput:
    email: str
    name: str
    role: RoleName | None = strawberry.field(
        default=None, description="A built-in role; or give roleId. Exactly one of the two."
    )
    role_id: strawberry.ID | None = strawberry.field(
        default=None, description="Any role, built-in or custom (R34); or give role."
    )
    password: str | None = strawberry.field(default=None, description="10 to 200 characters.")
    company_id: strawberry.ID | None = strawberry.field(default=None, description="Buyers only.")
    direct_account_manager_id: strawberry.ID | None = strawberry.field(
        default=None, description="Buyers only."
    )


@strawberry.input
class UpdateUserInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    role: RoleName | None = strawberry.field(
        default=strawberry.UNSET, description="Assign a built-in role; or give roleId, not both."
    )
    role_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Assign any role, built-in or custom (R34)."
    )
    active: bool | None = strawberry.UNSET
    password: str | None = strawberry.UNSET
    company_id: strawberry.ID | None = strawberry.UNSET
    direct_account_manager_id: strawberry.ID | None = strawberry.UNSET
