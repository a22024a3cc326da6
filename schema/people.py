"""Root fields for people: the viewer, the user list, roles, and user administration."""

from __future__ import annotations

import strawberry

from permissions.enums import Permission as Permissions
from permissions.guards import IsAuthenticated
from resolvers import people as resolve
from salescoord.context import Info
from schema.enums import Permission, RoleName
from schema.guards import back_office, guard, scoped
from schema.pagination import Connection
from schema.types.people import PAGE, Role, User


@strawberry.input
class CreateUserInput:
    email: str
    name: str
    role: RoleName
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
    role: RoleName | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET
    password: str | None = strawberry.UNSET
    company_id: strawberry.ID | None = strawberry.UNSET
    direct_account_manager_id: strawberry.ID | None = strawberry.UNSET


@strawberry.type
class PeopleQuery:
    @strawberry.field(extensions=[scoped()], description="The signed-in user.")
    async def viewer(self, info: Info) -> User:
        return await resolve.viewer(info)

    @strawberry.field(
        extensions=[scoped()],
        description="Users you may see, by name; filter by role and a name or email fragment.",
    )
    async def users(
        self,
        info: Info,
        first: int = PAGE,
        after: str | None = None,
        role: RoleName | None = None,
        search: str | None = None,
    ) -> Connection[User]:
        return await resolve.users(info, first, after, role, search)

    @strawberry.field(extensions=[guard(IsAuthenticated())])
    async def roles(self, info: Info) -> list[Role]:
        return await resolve.roles(info)


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(extensions=[back_office(Permissions.MANAGE_USERS)])
    async def create_user(self, info: Info, input: CreateUserInput) -> User | None:
        return await resolve.create_user(
            info,
            input.email,
            input.name,
            input.role,
            input.password,
            input.company_id,
            input.direct_account_manager_id,
        )

    @strawberry.mutation(extensions=[back_office(Permissions.MANAGE_USERS)])
    async def update_user(self, info: Info, input: UpdateUserInput) -> User | None:
        changes = {
            name: getattr(input, name)
            for name in (
                "name",
                "email",
                "role",
                "active",
                "password",
                "company_id",
                "direct_account_manager_id",
            )
        }
        return await resolve.update_user(info, input.id, changes)

    @strawberry.mutation(
        extensions=[back_office(Permissions.MANAGE_USERS)],
        description="Link sales coordinators to an account manager (R5). Returns the AM.",
    )
    async def assign_coordinators(
        self, info: Info, account_manager_id: strawberry.ID, coordinator_ids: list[strawberry.ID]
    ) -> User | None:
        return await resolve.link_coordinators(info, account_manager_id, coordinator_ids, True)

    @strawberry.mutation(
        extensions=[back_office(Permissions.MANAGE_USERS)],
        description="Unlink sales coordinators from an account manager; their scope shrinks at once (R2).",
    )
    async def unassign_coordinators(
        self, info: Info, account_manager_id: strawberry.ID, coordinator_ids: list[strawberry.ID]
    ) -> User | None:
        return await resolve.link_coordinators(info, account_manager_id, coordinator_ids, False)

    @strawberry.mutation(extensions=[back_office(Permissions.MANAGE_TERRITORIES)])
    async def assign_territories(
        self, info: Info, account_manager_id: strawberry.ID, territory_ids: list[strawberry.ID]
    ) -> User | None:
        return await resolve.link_territories(info, account_manager_id, territory_ids, True)

    @strawberry.mutation(extensions=[back_office(Permissions.MANAGE_TERRITORIES)])
    async def unassign_territories(
        self, info: Info, account_manager_id: strawberry.ID, territory_ids: list[strawberry.ID]
    ) -> User | None:
        return await resolve.link_territories(info, account_manager_id, territory_ids, False)

    @strawberry.mutation(
        extensions=[back_office(Permissions.MANAGE_ROLES, basis=None)],
        description="Replace a role's permissions; holders get them on their next request (R14).",
    )
    async def set_role_permissions(self, info: Info, role: RoleName, permissions: list[Permission]) -> Role:
        return await resolve.set_role_permissions(info, role, permissions)
