"""Users, roles and the AM ↔ SC and AM ↔ territory links: reads through the scope, and the
administrators' writes (R5, R14)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from salescoord.db.models.base import utcnow
from salescoord.db.queries.audit import record
from salescoord.db.queries.pages import PARENT_IDS, Relation
from salescoord.db.queries.roles import HELD_ROLE
from salescoord.db.queries.search import contains
from salescoord.db.tables import am_coordinators, am_territories, companies, roles, users
from salescoord.permissions.enums import Permission, RoleName
from salescoord.permissions.scope import Scope, associations, territory_tree
from salescoord.permissions.viewer import Viewer
from sqlalchemy.ext.asyncio import AsyncConnection

from salescoord.errors import BadUserInput, Conflict, NotFound

USER = users.c
USER_COLUMNS = [c for c in users.c if c.key != "password_hash"]
USER_ORDER = (USER.name, USER.id)


def users_statement(scope: Scope) -> sa.Select:
    return sa.select(*USER_COLUMNS).where(scope.users())


def own_row(user_id: int) -> sa.Select:
    """The viewer's own row. Every scope includes the viewer (R13 and up), so this needs no
    scope predicate, and `viewer { … }` is spared building one."""
    return sa.select(*USER_COLUMNS).where(USER.id == user_id)


def search_users(scope: Scope, *, role: RoleName | None = None, search: str | None = None) -> sa.Select:
    """Users in scope, optionally of one role and matching a name or email fragment
    (the searchable dropdown of R5)."""
    statement = users_statement(scope)
    if role is not None:
        statement = statement.where(USER.role == role)
    if search:
        statement = statement.where(contains(search, USER.name, USER.email))
    return statement


# -- relations for nested connections -----------------------------------------------------
def _coordinators(scope: Scope) -> tuple[sa.Select, Any]:
    statement = users_statement(scope).join(am_coordinators, am_coordinators.c.sc_id == USER.id)
    return statement, am_coordinators.c.am_id


def _account_managers(scope: Scope) -> tuple[sa.Select, Any]:
    statement = users_statement(scope).join(am_coordinators, am_coordinators.c.am_id == USER.id)
    return statement, am_coordinators.c.sc_id


def _associated_buyers(
    scope: Scope, parents: Any = PARENT_IDS, name: str = "parent_buyers"
) -> tuple[sa.Select, Any]:
    parent_ams = users.alias(f"{name}_am")
    am_ids = sa.select(parent_ams.c.id).where(parent_ams.c.id.in_(parents))
    pairs = associations(am_ids, name)
    statement = users_statement(scope).join(pairs, pairs.c.buyer_id == USER.id)
    return statement, pairs.c.am_id


def _associated_buyers_of_one(scope: Scope, parent_id: Any, parents: Any, name: str) -> sa.Select:
    """One AM's associated buyers (R1) as a test of each buyer row, so a page of them in name
    order stops after its rows: the AM is their direct AM, or their company lies in the AM's
    territory tree (built once for every parent)."""
    parent_ams = users.alias(f"{name}_am")
    tree = territory_tree(sa.select(parent_ams.c.id).where(parent_ams.c.id.in_(parents)), f"{name}_tree")
    company = companies.alias(f"{name}_company")
    territories_of_parent = (
        sa.select(tree.c.territory_id).where(tree.c.am_id == parent_id).correlate_except(tree)
    )
    in_tree = (
        sa.select(company.c.id)
        .where(company.c.territory_id.in_(territories_of_parent))
        .correlate_except(company)
    )
    return users_statement(scope).where(
        USER.role == RoleName.BUYER, sa.or_(USER.direct_am_id == parent_id, USER.company_id.in_(in_tree))
    )


def _buyers_of_company(scope: Scope) -> tuple[sa.Select, Any]:
    return users_statement(scope).where(USER.role == RoleName.BUYER), USER.company_id


COORDINATORS_BY_ACCOUNT_MANAGER = Relation("coordinators_by_am", _coordinators, USER_ORDER)
ACCOUNT_MANAGERS_BY_COORDINATOR = Relation("ams_by_coordinator", _account_managers, USER_ORDER)
BUYERS_BY_ACCOUNT_MANAGER = Relation(
    "buyers_by_am", _associated_buyers, USER_ORDER, reads_parents=True, one_parent=_associated_buyers_of_one
)
BUYERS_BY_COMPANY = Relation("buyers_by_company", _buyers_of_company, USER_ORDER)


# -- sign-in ------------------------------------------------------------------------------
# The viewer's whole row with their role's permissions: it also answers `viewer { … }`.
VIEWER_STATEMENT = sa.select(*USER_COLUMNS, roles.c.permissions).join(roles, HELD_ROLE)


def viewer_from_row(row: Any, channel: Any, *, device_id: int | None = None) -> Viewer:
    known = {p.value for p in Permission}
    return Viewer(
        id=row.id,
        email=row.email,
        name=row.name,
        role=RoleName(row.role),
        permissions=frozenset(Permission(p) for p in row.permissions if p in known),
        channel=channel,
        device_id=device_id,
        row=row,
    )


# An active user as a viewer, built once: read at the start of every request with
# {"viewer_id": ...}.
VIEWER_BY_ID = VIEWER_STATEMENT.where(USER.id == sa.bindparam("viewer_id"), USER.active.is_(True))


def viewers_by_id(user_ids: Sequence[int]) -> sa.Select:
    return VIEWER_STATEMENT.where(USER.id.in_(user_ids), USER.active.is_(True))


def account_by_email(email: str) -> sa.Select:
    """The account signing in, with the password hash to check (only sign-in reads it)."""
    return VIEWER_STATEMENT.add_columns(USER.password_hash).where(USER.email == email.strip().lower())


# -- writes -------------------------------------------------------------------------------
def sessions_end_now() -> Any:
    """`users.sessions_valid_from` for a new password: this second. A token's issue time is
    in whole seconds, so the sign-in that follows the new password stands, and every one
    made before it does not."""
    return utcnow().replace(microsecond=0)


async def _role_of(connection: AsyncConnection, user_id: int) -> str | None:
    return (await connection.execute(sa.select(USER.role).where(USER.id == user_id))).scalar()


async def _email_taken(connection: AsyncConnection, email: str, user_id: int | None = None) -> bool:
    statement = sa.select(USER.id).where(USER.email == email)
    if user_id is not None:
        statement = statement.where(USER.id != user_id)
    return (await connection.execute(statement)).first() is not None


# What a user row names, by the argument that named it: each was found when the request was
# read, but a delete or merge may commit before the write.
_NAMED = (
    ("company_id", companies, "companyId", "Company"),
    ("direct_am_id", users, "directAccountManagerId", "User"),
)


async def _write_user(
    connection: AsyncConnection,
    statement: sa.Executable,
    email: str | None,
    values: dict[str, Any],
    user_id: int | None = None,
) -> Any:
    """Run an insert or update of a user. A concurrent writer may take the email between the
    check and the write: the unique index refuses it, and that is a CONFLICT too. A company
    (or direct AM) deleted or merged away since it was looked up makes the foreign key refuse
    the write: NOT_FOUND on the argument that named it, as if it had gone a moment earlier."""
    try:
        async with connection.begin_nested():
            return await connection.execute(statement)
    except sa.exc.IntegrityError as error:
        if email is not None and await _email_taken(connection, email, user_id):
            raise Conflict("A user with that email exists.", field="email") from error
        for column, table, field, kind in _NAMED:
            named = values.get(column)
            if named is not None and not await _exists(connection, table, named):
                raise NotFound(f"No {kind} with that id.", field=field) from error
        raise


async def _exists(connection: AsyncConnection, table: sa.Table, pk: int) -> bool:
    return (await connection.execute(sa.select(table.c.id).where(table.c.id == pk))).first() is not None


async def create_user(connection: AsyncConnection, actor: Viewer, values: dict[str, Any]) -> int:
    values = {**values, "email": values["email"].lower()}
    if await _email_taken(connection, values["email"]):
        raise Conflict("A user with that email exists.", field="email")
    now = utcnow()
    statement = users.insert().values(**values, created_at=now, updated_at=now).returning(USER.id)
    user_id = (await _write_user(connection, statement, values["email"], values)).scalar_one()
    await record(
        connection,
        actor,
        "user.create",
        "User",
        user_id,
        diff={k: v for k, v in values.items() if k != "password_hash"},
    )
    return user_id


async def update_user(
    connection: AsyncConnection, actor: Viewer, user_id: int, changes: dict[str, Any]
) -> None:
    if "email" in changes:
        changes["email"] = changes["email"].lower()
        if await _email_taken(connection, changes["email"], user_id):
            raise Conflict("A user with that email exists.", field="email")
    old_role = await _role_of(connection, user_id) if "role" in changes else None
    ended = {"sessions_valid_from": sessions_end_now()} if "password_hash" in changes else {}
    statement = users.update().where(USER.id == user_id).values(**changes, **ended, updated_at=utcnow())
    await _write_user(connection, statement, changes.get("email"), changes, user_id)
    dropped = {}
    if old_role is not None and old_role != changes["role"]:
        dropped = await _drop_links_of_role(connection, user_id, RoleName(old_role))
    await record(
        connection,
        actor,
        "user.update",
        "User",
        user_id,
        diff={**{k: v for k, v in changes.items() if k != "password_hash"}, **dropped},
    )


async def _drop_links_of_role(
    connection: AsyncConnection, user_id: int, old_role: RoleName
) -> dict[str, list[int]]:
    """A user who leaves a role leaves its links, as a former buyer leaves their company: a
    former AM's coordinators, territories and direct buyers, a former SC's AMs. Otherwise an
    SC would keep the scope of someone who is no AM any more (R2)."""

    async def ids(statement: sa.Executable) -> list[int]:
        return sorted((await connection.execute(statement)).scalars())

    links, territories_of = am_coordinators.c, am_territories.c
    if old_role is RoleName.ACCOUNT_MANAGER:
        return {
            "dropped_coordinators": await ids(
                am_coordinators.delete().where(links.am_id == user_id).returning(links.sc_id)
            ),
            "dropped_territories": await ids(
                am_territories.delete()
                .where(territories_of.am_id == user_id)
                .returning(territories_of.territory_id)
            ),
            "dropped_direct_buyers": await ids(
                users.update()
                .where(USER.direct_am_id == user_id)
                .values(direct_am_id=None, updated_at=utcnow())
                .returning(USER.id)
            ),
        }
    if old_role is RoleName.SALES_COORDINATOR:
        return {
            "dropped_account_managers": await ids(
                am_coordinators.delete().where(links.sc_id == user_id).returning(links.am_id)
            )
        }
    return {}


async def require_role(connection: AsyncConnection, user_id: int, role: RoleName, field: str) -> None:
    if await _role_of(connection, user_id) != role:
        raise BadUserInput(f"That user is not a {role.value}.", field=field)


async def link_coordinators(
    connection: AsyncConnection, actor: Viewer, am_id: int, sc_ids: Sequence[int], link: bool
) -> None:
    """Assign (or unassign) SCs to an AM (R5); takes effect on the next request (R2)."""
    await require_role(connection, am_id, RoleName.ACCOUNT_MANAGER, "accountManagerId")
    for sc_id in sc_ids:
        await require_role(connection, sc_id, RoleName.SALES_COORDINATOR, "coordinatorIds")
    existing = set(
        (
            await connection.execute(
                sa.select(am_coordinators.c.sc_id).where(am_coordinators.c.am_id == am_id)
            )
        ).scalars()
    )
    if link:
        new = [sc for sc in dict.fromkeys(sc_ids) if sc not in existing]
        if new:
            await connection.execute(
                am_coordinators.insert(),
                [{"am_id": am_id, "sc_id": sc, "created_at": utcnow()} for sc in new],
            )
    else:
        await connection.execute(
            am_coordinators.delete().where(
                am_coordinators.c.am_id == am_id, am_coordinators.c.sc_id.in_(sc_ids)
            )
        )
    await record(
        connection,
        actor,
        "coordinators.assign" if link else "coordinators.unassign",
        "User",
        am_id,
        on_behalf_of=am_id,
        diff={"coordinators": list(sc_ids)},
    )


async def link_territories(
    connection: AsyncConnection,
    actor: Viewer,
    am_id: int,
    territory_ids: Sequence[int],
    link: bool,
) -> None:
    await require_role(connection, am_id, RoleName.ACCOUNT_MANAGER, "accountManagerId")
    existing = set(
        (
            await connection.execute(
                sa.select(am_territories.c.territory_id).where(am_territories.c.am_id == am_id)
            )
        ).scalars()
    )
    if link:
        new = [t for t in dict.fromkeys(territory_ids) if t not in existing]
        if new:
            await connection.execute(
                am_territories.insert(),
                [{"am_id": am_id, "territory_id": t, "created_at": utcnow()} for t in new],
            )
    else:
        await connection.execute(
            am_territories.delete().where(
                am_territories.c.am_id == am_id, am_territories.c.territory_id.in_(territory_ids)
            )
        )
    await record(
        connection,
        actor,
        "territories.assign" if link else "territories.unassign",
        "User",
        am_id,
        on_behalf_of=am_id,
        diff={"territories": list(territory_ids)},
    )
