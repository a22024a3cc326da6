"""Territories (a tree) and companies: reads through the scope and the administrators'
writes. Moving a territory or a company moves every scope that depends on it (R3)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from salescoord.db.models.base import utcnow
from salescoord.db.queries.audit import record
from salescoord.db.queries.pages import Relation
from salescoord.db.queries.search import contains
from salescoord.db.tables import am_territories, companies, registrations, territories, users
from salescoord.permissions.scope import Scope
from salescoord.permissions.viewer import Viewer
from sqlalchemy.ext.asyncio import AsyncConnection

from salescoord.errors import BadUserInput, Conflict, NotFound

TERRITORY = territories.c
COMPANY = companies.c
TERRITORY_ORDER = (TERRITORY.name, TERRITORY.id)
COMPANY_ORDER = (COMPANY.name, COMPANY.id)


def territories_statement(scope: Scope) -> sa.Select:
    return sa.select(*territories.c).where(scope.territories())


def companies_statement(scope: Scope) -> sa.Select:
    return sa.select(*companies.c).where(scope.companies())


def search_territories(scope: Scope, *, roots_only: bool = False) -> sa.Select:
    statement = territories_statement(scope)
    return statement.where(TERRITORY.parent_id.is_(None)) if roots_only else statement


def search_companies(scope: Scope, *, search: str | None = None) -> sa.Select:
    statement = companies_statement(scope)
    if search:
        statement = statement.where(contains(search, COMPANY.name))
    return statement


def _territories_of_am(scope: Scope) -> tuple[sa.Select, Any]:
    statement = territories_statement(scope).join(
        am_territories, am_territories.c.territory_id == TERRITORY.id
    )
    return statement, am_territories.c.am_id


def _children(scope: Scope) -> tuple[sa.Select, Any]:
    return territories_statement(scope), TERRITORY.parent_id


def _companies_in(scope: Scope) -> tuple[sa.Select, Any]:
    return companies_statement(scope), COMPANY.territory_id


TERRITORIES_BY_ACCOUNT_MANAGER = Relation("territories_by_am", _territories_of_am, TERRITORY_ORDER)
TERRITORIES_BY_PARENT = Relation("territories_by_parent", _children, TERRITORY_ORDER)
COMPANIES_BY_TERRITORY = Relation("companies_by_territory", _companies_in, COMPANY_ORDER)


# -- writes -------------------------------------------------------------------------------
async def _exists(connection: AsyncConnection, table: sa.Table, pk: int) -> bool:
    """Whether the row is there for this transaction to point at. On PostgreSQL it is held (as
    the foreign key's own check would) until this commits: a delete or merge of it waits, or
    ran first and the row reads as gone (R34), never a foreign key error at the insert."""
    statement = sa.select(table.c.id).where(table.c.id == pk)
    if connection.dialect.name == "postgresql":
        statement = statement.with_for_update(read=True, key_share=True)
    return (await connection.execute(statement)).first() is not None


async def _ancestors(connection: AsyncConnection, territory_id: int) -> set[int]:
    tree = (
        sa.select(TERRITORY.id, TERRITORY.parent_id)
        .where(TERRITORY.id == territory_id)
        .cte("ancestors", recursive=True)
    )
    parent = territories.alias("ancestor")
    tree = tree.union(sa.select(parent.c.id, parent.c.parent_id).join(tree, parent.c.id == tree.c.parent_id))
    return set((await connection.execute(sa.select(tree.c.id))).scalars())


async def create_territory(
    connection: AsyncConnection, actor: Viewer, name: str, parent_id: int | None
) -> int:
    if parent_id is not None and not await _exists(connection, territories, parent_id):
        raise BadUserInput("No such parent territory.", field="parentId")
    territory_id = (
        await connection.execute(
            territories.insert()
            .values(name=name, parent_id=parent_id, created_at=utcnow())
            .returning(TERRITORY.id)
        )
    ).scalar_one()
    await record(
        connection,
        actor,
        "territory.create",
        "Territory",
        territory_id,
        diff={"name": name, "parent_id": parent_id},
    )
    return territory_id


async def update_territory(
    connection: AsyncConnection, actor: Viewer, territory_id: int, changes: dict[str, Any]
) -> None:
    """Rename or move a territory; a move that would put it below itself is refused."""
    if changes.get("parent_id") is not None:
        await _one_move_at_a_time(connection)
        parent_id = changes["parent_id"]
        if not await _exists(connection, territories, parent_id):
            raise BadUserInput("No such parent territory.", field="parentId")
        if territory_id in await _ancestors(connection, parent_id):
            raise Conflict("A territory cannot move below itself.", field="parentId")
    await connection.execute(territories.update().where(TERRITORY.id == territory_id).values(**changes))
    await record(connection, actor, "territory.update", "Territory", territory_id, diff=changes)


async def _one_move_at_a_time(connection: AsyncConnection) -> None:
    """Two moves that each pass the check (A below B, B below A) would make a cycle together.
    On PostgreSQL a move waits for any other until it commits, and then checks what that one
    wrote; SQLite runs one write transaction at a time already."""
    if connection.dialect.name == "postgresql":
        await connection.execute(sa.text("LOCK TABLE territories IN SHARE ROW EXCLUSIVE MODE"))


async def create_company(
    connection: AsyncConnection,
    actor: Viewer | None,
    name: str,
    territory_id: int,
    *,
    on_behalf_of: int | None = None,
    cause: dict[str, Any] | None = None,
) -> int:
    """A new company in a territory; `cause` adds to the audit diff why it was made (an
    approved registration, say)."""
    if not await _exists(connection, territories, territory_id):
        raise BadUserInput("No such territory.", field="territoryId")
    company_id = (
        await connection.execute(
            companies.insert()
            .values(name=name, territory_id=territory_id, created_at=utcnow())
            .returning(COMPANY.id)
        )
    ).scalar_one()
    await record(
        connection,
        actor,
        "company.create",
        "Company",
        company_id,
        on_behalf_of=on_behalf_of,
        diff={"name": name, "territory_id": territory_id, **(cause or {})},
    )
    return company_id


async def update_company(
    connection: AsyncConnection, actor: Viewer, company_id: int, changes: dict[str, Any]
) -> None:
    if "territory_id" in changes and not await _exists(connection, territories, changes["territory_id"]):
        raise BadUserInput("No such territory.", field="territoryId")
    await connection.execute(companies.update().where(COMPANY.id == company_id).values(**changes))
    await record(connection, actor, "company.update", "Company", company_id, diff=changes)


async def company_name(connection: AsyncConnection, company_id: int) -> str:
    statement = sa.select(companies.c.name).where(companies.c.id == company_id)
    return (await connection.execute(statement)).scalar_one()


async def company_exists(connection: AsyncConnection, company_id: int) -> bool:
    return await _exists(connection, companies, company_id)


async def territory_exists(connection: AsyncConnection, territory_id: int) -> bool:
    return await _exists(connection, territories, territory_id)


# -- deleting and merging (R34): a place goes only when nothing depends on it -------------------
async def _lock(connection: AsyncConnection, table: sa.Table, fields: dict[int, str]) -> None:
    """The rows a delete or merge is about, each named by its argument: NOT_FOUND if one went
    meanwhile (a delete or merge of it committed since it was looked up). On PostgreSQL they
    stay locked until this commits: a company or child added meanwhile (its foreign key check
    shares the row's lock) waits and then finds the row gone, or commits first and is seen by
    the checks that follow; SQLite runs one write transaction at a time already."""
    statement = sa.select(table.c.id).where(table.c.id.in_(fields))
    if connection.dialect.name == "postgresql":
        statement = statement.with_for_update()
    found = set((await connection.execute(statement)).scalars())
    for pk, field in fields.items():
        if pk not in found:
            kind = "Territory" if table is territories else "Company"
            raise NotFound(f"No {kind} with that id.", field=field)


async def _count(connection: AsyncConnection, column: sa.Column, pk: int) -> int:
    statement = sa.select(sa.func.count()).select_from(column.table).where(column == pk)
    return (await connection.execute(statement)).scalar_one()


async def _account_managers(connection: AsyncConnection, territory_id: int) -> list[int]:
    """The AMs assigned this territory, by id."""
    statement = (
        sa.select(am_territories.c.am_id)
        .where(am_territories.c.territory_id == territory_id)
        .order_by(am_territories.c.am_id)
    )
    return list((await connection.execute(statement)).scalars())


def _on_behalf(actor: Viewer, account_managers: list[int]) -> int | None:
    """The AM whose book of business the change is made in, when there is exactly one and it is
    not the actor: the audit trail's "on behalf of" (R25)."""
    if len(account_managers) == 1 and account_managers[0] != actor.id:
        return account_managers[0]
    return None


async def territory_dependants(connection: AsyncConnection, territory_id: int) -> dict[str, int]:
    """What keeps a territory from being deleted: its companies, child territories, account
    manager assignments and the registrations that name it (counted, only those non-zero)."""
    counts = {
        "companies": await _count(connection, COMPANY.territory_id, territory_id),
        "child territories": await _count(connection, TERRITORY.parent_id, territory_id),
        "account manager assignments": await _count(connection, am_territories.c.territory_id, territory_id),
        "registrations": await _count(connection, registrations.c.territory_id, territory_id),
    }
    return {what: n for what, n in counts.items() if n}


async def delete_territory(connection: AsyncConnection, actor: Viewer, territory_id: int) -> None:
    """Delete an empty territory; one that still holds anything is a CONFLICT naming what: merge
    it into another instead, so that no company, buyer or assignment is orphaned."""
    await _lock(connection, territories, {territory_id: "id"})
    dependants = await territory_dependants(connection, territory_id)
    if dependants:
        held = ", ".join(f"{n} {what}" for what, n in dependants.items())
        raise Conflict(f"The territory still has {held}: merge it into another territory.", field="id")
    row = (await connection.execute(sa.select(*territories.c).where(TERRITORY.id == territory_id))).one()
    await connection.execute(territories.delete().where(TERRITORY.id == territory_id))
    await record(
        connection, actor, "territory.delete", "Territory", territory_id,
        diff={"name": row.name, "parent_id": row.parent_id},
    )  # fmt: skip


async def merge_territory(connection: AsyncConnection, actor: Viewer, source_id: int, target_id: int) -> None:
    """Move everything in `source_id` to `target_id` and delete it: its companies (with their
    buyers), its child territories, its account managers' assignments (an AM who had both keeps
    one) and the registrations that name it. The target may not lie below the source (R3: it
    would become its own ancestor)."""
    if source_id == target_id:
        raise BadUserInput("A territory cannot merge into itself.", field="targetId")
    await _one_move_at_a_time(connection)
    await _lock(connection, territories, {source_id: "sourceId", target_id: "targetId"})
    if source_id in await _ancestors(connection, target_id):
        raise Conflict("A territory cannot merge into a territory below it.", field="targetId")
    moved = {
        "companies": await _moved(connection, COMPANY.territory_id, source_id, target_id),
        "children": await _moved(connection, TERRITORY.parent_id, source_id, target_id),
        "registrations": await _moved(connection, registrations.c.territory_id, source_id, target_id),
    }
    account_managers = await _account_managers(connection, source_id)
    holding = set(await _account_managers(connection, target_id))
    new = [am for am in account_managers if am not in holding]
    if new:
        await connection.execute(
            am_territories.insert(),
            [{"am_id": am, "territory_id": target_id, "created_at": utcnow()} for am in new],
        )
    await connection.execute(am_territories.delete().where(am_territories.c.territory_id == source_id))
    name = (await connection.execute(sa.select(TERRITORY.name).where(TERRITORY.id == source_id))).scalar_one()
    await connection.execute(territories.delete().where(TERRITORY.id == source_id))
    await record(
        connection,
        actor,
        "territory.merge",
        "Territory",
        source_id,
        on_behalf_of=_on_behalf(actor, account_managers),
        diff={"name": name, "into": target_id, **moved, "account_managers": account_managers},
    )


async def _moved(connection: AsyncConnection, column: sa.Column, source_id: int, target_id: int) -> list[int]:
    """Point every row whose `column` is `source_id` at `target_id`; the ids of those rows."""
    table = column.table
    ids = list(
        (
            await connection.execute(sa.select(table.c.id).where(column == source_id).order_by(table.c.id))
        ).scalars()
    )
    if ids:
        await connection.execute(table.update().where(table.c.id.in_(ids)).values({column.name: target_id}))
    return ids


async def delete_company(connection: AsyncConnection, actor: Viewer, company_id: int) -> None:
    """Delete a company without buyers; one with buyers (or registrations that name it) is a
    CONFLICT: merge it into another company, so that no buyer is orphaned."""
    await _lock(connection, companies, {company_id: "id"})
    buyers = await _count(connection, users.c.company_id, company_id)
    named = await _count(connection, registrations.c.company_id, company_id)
    if buyers or named:
        held = ", ".join(f"{n} {what}" for what, n in (("buyers", buyers), ("registrations", named)) if n)
        raise Conflict(f"The company still has {held}: merge it into another company.", field="id")
    row = (await connection.execute(sa.select(*companies.c).where(COMPANY.id == company_id))).one()
    await connection.execute(companies.delete().where(COMPANY.id == company_id))
    await record(
        connection,
        actor,
        "company.delete",
        "Company",
        company_id,
        on_behalf_of=_on_behalf(actor, await _account_managers(connection, row.territory_id)),
        diff={"name": row.name, "territory_id": row.territory_id},
    )


async def merge_company(connection: AsyncConnection, actor: Viewer, source_id: int, target_id: int) -> None:
    """Move the source company's buyers (into the target's territory, R3) and the registrations
    that name it to the target company, and delete the source."""
    if source_id == target_id:
        raise BadUserInput("A company cannot merge into itself.", field="targetId")
    await _lock(connection, companies, {source_id: "sourceId", target_id: "targetId"})
    buyers = await _moved(connection, users.c.company_id, source_id, target_id)
    if buyers:
        await connection.execute(users.update().where(users.c.id.in_(buyers)).values(updated_at=utcnow()))
    named = await _moved(connection, registrations.c.company_id, source_id, target_id)
    row = (await connection.execute(sa.select(*companies.c).where(COMPANY.id == source_id))).one()
    await connection.execute(companies.delete().where(COMPANY.id == source_id))
    await record(
        connection,
        actor,
        "company.merge",
        "Company",
        source_id,
        on_behalf_of=_on_behalf(actor, await _account_managers(connection, row.territory_id)),
        diff={"name": row.name, "into": target_id, "buyers": buyers, "registrations": named},
    )
