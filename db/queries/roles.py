"""Roles (R14, R34): the four built-in ones and the custom ones admins make, read by every
signed-in user, written by holders of MANAGE_ROLES. A role's kind decides its holders' scope
(`users.role` holds it); a user holds a custom role through `users.role_id`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from salescoord.db.models.base import utcnow
from salescoord.db.queries.audit import record
from salescoord.db.tables import audit_events, roles, users
from salescoord.permissions.enums import Permission, RoleName
from salescoord.permissions.scope import Scope
from salescoord.permissions.viewer import Viewer
from sqlalchemy.ext.asyncio import AsyncConnection

from salescoord.errors import Conflict, NotFound

USER = users.c
ROLE = roles.c
ROLE_COLUMNS = (ROLE.id, ROLE.name, ROLE.kind, ROLE.built_in, ROLE.permissions)

# A user holds their custom role, or (role_id null) the built-in role named by their kind.
HELD_ROLE = sa.or_(ROLE.id == USER.role_id, sa.and_(USER.role_id.is_(None), ROLE.name == USER.role))


def roles_statement(scope: Scope) -> sa.Select:
    """Every role, built-in first: any signed-in user may read them (the scope says so)."""
    return sa.select(*ROLE_COLUMNS).where(scope.roles()).order_by(ROLE.built_in.desc(), ROLE.name, ROLE.id)


def built_in_role(scope: Scope, name: RoleName) -> sa.Select:
    return roles_statement(scope).where(ROLE.name == name.value, ROLE.built_in.is_(True))


def _permission_values(permissions: Sequence[Permission]) -> list[str]:
    return sorted({p.value for p in permissions})


async def _name_taken(connection: AsyncConnection, name: str, role_id: int | None = None) -> bool:
    """Role names are unique regardless of case: "Coordinators" and "coordinators" would read
    as one role in every dropdown."""
    statement = sa.select(ROLE.id).where(sa.func.lower(ROLE.name) == name.lower())
    if role_id is not None:
        statement = statement.where(ROLE.id != role_id)
    return (await connection.execute(statement)).first() is not None


async def _write_role(
    connection: AsyncConnection, statement: sa.Executable, name: str, role_id: int | None
) -> Any:
    """A concurrent writer may take the name between the check and the write: the primary key
    refuses it, and that is a CONFLICT too."""
    try:
        async with connection.begin_nested():
            return await connection.execute(statement)
    except sa.exc.IntegrityError as error:
        if await _name_taken(connection, name, role_id):
            raise Conflict("A role with that name exists.", field="name") from error
        raise


async def _next_role_id(connection: AsyncConnection) -> int:
    """One more than any role id ever given: the live roles' and those the audit trail names
    (deleted roles), so an id a client kept never comes back as another role."""
    live = sa.select(sa.func.max(ROLE.id)).scalar_subquery()
    event = audit_events.c
    past = sa.select(sa.func.max(event.object_id)).where(event.object_type == "Role").scalar_subquery()
    highest = (await connection.execute(sa.select(live, past))).one()
    return max(value or 0 for value in highest) + 1


async def create_role(
    connection: AsyncConnection, actor: Viewer, name: str, kind: RoleName, permissions: Sequence[Permission]
) -> int:
    if await _name_taken(connection, name):
        raise Conflict("A role with that name exists.", field="name")
    values = _permission_values(permissions)
    for _ in range(3):  # two admins creating roles at once may draw the same id: draw again
        role_id = await _next_role_id(connection)
        statement = roles.insert().values(
            id=role_id, name=name, kind=kind.value, built_in=False, permissions=values, updated_at=utcnow()
        )
        try:
            await _write_role(connection, statement, name, None)
            break
        except sa.exc.IntegrityError:
            continue
    else:
        raise Conflict("Roles are being created at the same time; try again.", field="name")
    await record(
        connection,
        actor,
        "role.create",
        "Role",
        role_id,
        diff={"name": name, "kind": kind.value, "permissions": values},
    )
    return role_id


async def rename_role(connection: AsyncConnection, actor: Viewer, role_id: int, old: str, name: str) -> None:
    if await _name_taken(connection, name, role_id):
        raise Conflict("A role with that name exists.", field="name")
    statement = roles.update().where(ROLE.id == role_id).values(name=name, updated_at=utcnow())
    _found((await _write_role(connection, statement, name, role_id)).rowcount)
    await record(connection, actor, "role.rename", "Role", role_id, diff={"name": [old, name]})


def _found(rowcount: int) -> None:
    """The role was read before the transaction; one deleted meanwhile is gone (R22)."""
    if rowcount == 0:
        raise NotFound("No Role with that id.", field="roleId")


async def role_holders(connection: AsyncConnection, role_id: int) -> int:
    statement = sa.select(sa.func.count()).select_from(users).where(USER.role_id == role_id)
    return (await connection.execute(statement)).scalar_one()


async def delete_role(connection: AsyncConnection, actor: Viewer, role_id: int, name: str) -> None:
    """A custom role nobody holds. The holders are counted in the transaction that deletes,
    and the users' reference to the role refuses a holder added meanwhile."""
    holders = await role_holders(connection, role_id)
    if holders:
        raise Conflict(f"{holders} user(s) hold this role; assign them another first.", field="roleId")
    statement = roles.delete().where(ROLE.id == role_id, ROLE.built_in.is_(False))
    try:
        async with connection.begin_nested():
            deleted = await connection.execute(statement)
    except sa.exc.IntegrityError as error:
        raise Conflict("A user holds this role; assign them another first.", field="roleId") from error
    _found(deleted.rowcount)
    await record(connection, actor, "role.delete", "Role", role_id, diff={"name": name})


async def set_role_permissions(
    connection: AsyncConnection, actor: Viewer, role_id: int, name: str, permissions: Sequence[Permission]
) -> None:
    """Edit a role at run time; every holder's next request sees it (R14)."""
    values = _permission_values(permissions)
    statement = roles.update().where(ROLE.id == role_id).values(permissions=values, updated_at=utcnow())
    _found((await connection.execute(statement)).rowcount)
    await record(
        connection,
        actor,
        "role.permissions",
        "Role",
        role_id,
        diff={
            "role": name,
            "permissions": values,
        },
    )
