"""Roles (R14, R34): the list every signed-in user reads, and the administration of custom
roles. A role's kind decides what its holders see; only an ADMIN makes or changes a role of
kind ADMIN, so MANAGE_ROLES is no way to grant oneself an admin's sight."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry
from salescoord.db.models.people import ROLE_NAME_LENGTH
from salescoord.db.queries import roles as queries
from salescoord.resolvers import inputs, node_types
from salescoord.resolvers.lookups import visible_row
from salescoord.schema import types
from salescoord.schema.enums import Permission as Permissions
from salescoord.schema.enums import RoleName as Roles

from salescoord.context import Info
from salescoord.errors import BadUserInput, Forbidden

if TYPE_CHECKING:
    from salescoord.schema.types.people import Role, User


async def roles(info: Info) -> list[Role]:
    rows = await info.context.db.fetch(queries.roles_statement(info.context.scope))
    return [types.people.Role.from_row(row) for row in rows]


async def assigned_role(root: User, info: Info) -> Role:
    return await node_types.load(info, types.people.Role, root.role_pk)


def no_escalation(info: Info, kind: Roles, field: str) -> None:
    """Only an ADMIN makes, edits or assigns a role of kind ADMIN: a role given MANAGE_USERS or
    MANAGE_ROLES (R14) must not be a way to grant oneself or anyone else more than one has."""
    if kind is Roles.ADMIN and info.context.viewer.role is not Roles.ADMIN:
        raise Forbidden("Only an admin may make, change or assign an admin role.", field=field)


async def role_row(info: Info, role_id: str, field: str = "roleId") -> Any:
    return await visible_row(info, role_id, types.people.Role, field)


async def chosen_role(info: Info, role: Roles | None, role_id: str | None) -> tuple[Roles, int | None]:
    """A user's role as createUser and updateUser name it: a built-in one by `role`, or any by
    `roleId`. Returns (kind, the custom role's id, or None for a built-in role)."""
    if (role is None) == (role_id is None):
        raise BadUserInput("Give either role or roleId.", field="roleId")
    if role is not None:
        return role, None
    row = await role_row(info, role_id)
    return Roles(row.kind), None if row.built_in else row.id


def _name(name: str) -> str:
    return inputs.text(name, "name", ROLE_NAME_LENGTH)


async def _reload(info: Info, role_id: int) -> Role:
    info.context.refresh()
    return await node_types.load(info, types.people.Role, role_id)


async def create_role(info: Info, name: str, kind: Roles, permissions: list[Permissions]) -> Role:
    name = _name(name)
    no_escalation(info, kind, "kind")
    async with info.context.db.transaction() as connection:
        role_id = await queries.create_role(connection, info.context.viewer, name, kind, permissions)
    return await _reload(info, role_id)


async def rename_role(info: Info, role_id: strawberry.ID, name: str) -> Role:
    row = await role_row(info, role_id)
    name = _name(name)
    if row.built_in:
        raise BadUserInput("A built-in role keeps its name.", field="roleId")
    no_escalation(info, Roles(row.kind), "roleId")
    async with info.context.db.transaction() as connection:
        await queries.rename_role(connection, info.context.viewer, row.id, row.name, name)
    return await _reload(info, row.id)


async def delete_role(info: Info, role_id: strawberry.ID) -> strawberry.ID:
    """Answers with the deleted role's id, as sent."""
    row = await role_row(info, role_id)
    if row.built_in:
        raise BadUserInput("Built-in roles cannot be deleted.", field="roleId")
    no_escalation(info, Roles(row.kind), "roleId")
    async with info.context.db.transaction() as connection:
        await queries.delete_role(connection, info.context.viewer, row.id, row.name)
    info.context.refresh()
    return role_id


async def set_role_permissions(
    info: Info,
    permissions: list[Permissions],
    role: Roles | None = None,
    role_id: strawberry.ID | None = None,
) -> Role:
    """Replace a role's permissions. The ADMIN role is an admin's to change, and it keeps
    MANAGE_ROLES: without it nobody could ever edit a role again."""
    if (role is None) == (role_id is None):
        raise BadUserInput("Give either role or roleId.", field="roleId")
    if role is not None:
        row = await info.context.db.fetch_one(queries.built_in_role(info.context.scope, role))
    else:
        row = await role_row(info, role_id)
    no_escalation(info, Roles(row.kind), "roleId" if role is None else "role")
    if row.built_in and row.name == Roles.ADMIN and Permissions.MANAGE_ROLES not in permissions:
        raise BadUserInput("The ADMIN role keeps MANAGE_ROLES.", field="permissions")
    async with info.context.db.transaction() as connection:
        await queries.set_role_permissions(connection, info.context.viewer, row.id, row.name, permissions)
    return await _reload(info, row.id)
