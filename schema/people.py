"""Root fields for people: the viewer, the user list, roles, and user administration."""

from __future__ import annotations

import strawberry
from salescoord.permissions.enums import Permission, ScopeBasis
from salescoord.resolvers import people as resolve
from salescoord.resolvers import roles as resolve_roles
from salescoord.schema.guards import back_office, scoped
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
        description="Users you may see, by name; filter by the kind of their role (R34) and a name "
        "or email fragment.",
    )
    roles: list[Role] = strawberry.field(
        resolver=resolve_roles.roles,
        extensions=[scoped(ScopeBasis.ROLES)],
        description="Every role, built-in first, then custom ones by name (R14, R34).",
    )


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
        resolver=resolve_roles.set_role_permissions,
        extensions=[back_office(Permission.MANAGE_ROLES, basis=ScopeBasis.ROLES)],
        description="Replace a role's permissions; holders get them on their next request (R14). "
        "Name the role by roleId, or a built-in one by role; the ADMIN role keeps MANAGE_ROLES.",
    )
    create_role: Role = strawberry.mutation(
        resolver=resolve_roles.create_role,
        extensions=[back_office(Permission.MANAGE_ROLES, basis=ScopeBasis.ROLES)],
        description="Make a custom role of a kind, which decides its holders' scope, with any "
        "permissions (R34). Only an ADMIN makes a role of kind ADMIN.",
    )
    rename_role: Role = strawberry.mutation(
        resolver=resolve_roles.rename_role,
        extensions=[back_office(Permission.MANAGE_ROLES, basis=ScopeBasis.ROLES)],
        description="Rename a custom role; built-in roles keep their names (R34).",
    )
    delete_role: strawberry.ID = strawberry.mutation(
        resolver=resolve_roles.delete_role,
        extensions=[back_office(Permission.MANAGE_ROLES, basis=ScopeBasis.ROLES)],
        description="Delete a custom role nobody holds (CONFLICT while anyone does); built-in "
        "roles stay (R34). Returns the deleted role's id.",
    )
