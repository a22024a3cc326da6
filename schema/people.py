"""Root fields for people: the viewer, the user list, roles, and user administration."""

from __future__ import annotations

import strawberry
from salescoord.permissions.enums import Permission
from salescoord.permissions.guards import IsAuthenticated
from salescoord.resolvers import people as resolve
from salescoord.schema.guards import back_office, guard, scoped
from salescoord.schema.pagination import Connection
from salescoord.schema.types.people import Role, User


@strawberry.type
class PeopleQuery:
    viewer: User = strawberry.field(
        resolver=resolve.viewer, extensions=[scoped()], description="The signed-in user."
    )
    users: Connection[User] = strawberry.field(
        resolver=resolve.users,
        extensions=[scoped()],
        description="Users you may see, by name; filter by role and a name or email fragment.",
    )
    roles: list[Role] = strawberry.field(resolver=resolve.roles, extensions=[guard(IsAuthenticated())])


@strawberry.type
class PeopleMutation:
    create_user: User | None = strawberry.mutation(
        resolver=resolve.create_user, extensions=[back_office(Permission.MANAGE_USERS)]
    )
    update_user: User | None = strawberry.mutation(
        resolver=resolve.update_user, extensions=[back_office(Permission.MANAGE_USERS)]
    )
    assign_coordinators: User | None = strawberry.mutation(
        resolver=resolve.assign_coordinators,
        extensions=[back_office(Permission.MANAGE_USERS)],
        description="Link sales coordinators to an account manager (R5). Returns the AM.",
    )
    unassign_coordinators: User | None = strawberry.mutation(
        resolver=resolve.unassign_coordinators,
        extensions=[back_office(Permission.MANAGE_USERS)],
        description="Unlink sales coordinators from an account manager; their scope shrinks at once (R2).",
    )
    assign_territories: User | None = strawberry.mutation(
        resolver=resolve.assign_territories, extensions=[back_office(Permission.MANAGE_TERRITORIES)]
    )
    unassign_territories: User | None = strawberry.mutation(
        resolver=resolve.unassign_territories, extensions=[back_office(Permission.MANAGE_TERRITORIES)]
    )
    set_role_permissions: Role = strawberry.mutation(
        resolver=resolve.set_role_permissions,
        extensions=[back_office(Permission.MANAGE_ROLES, basis=None)],
        description="Replace a role's permissions; holders get them on their next request (R14).",
    )
