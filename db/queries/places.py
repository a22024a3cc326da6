"""Territories (a tree) and companies: reads through the scope and the administrators'
writes. Moving a territory or a company moves every scope that depends on it (R3)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from salescoord.db.models.base import utcnow
from salescoord.db.queries.audit import record
from salescoord.db.queries.pages import Relation
from salescoord.db.queries.search import contains
from salescoord.db.tables import am_territories, companies, territories
from salescoord.permissions.scope import Scope
from salescoord.permissions.viewer import Viewer
from sqlalchemy.ext.asyncio import AsyncConnection

from salescoord.errors import BadUserInput, Conflict

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
    return (await connection.execute(sa.select(table.c.id).where(table.c.id == pk))).first() is not None


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
