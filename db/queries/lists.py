"""Lists, their ordered items, and the content catalogue (R11, R13).

Positions are dense (0..n-1) within a list; adding, moving and removing items
shifts the others in the same transaction, so the order never has gaps or ties.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from salescoord.db.models.base import utcnow
from salescoord.db.models.content import ContentKind, ListKind
from salescoord.db.queries.activity import ActivityKind, record_activity
from salescoord.db.queries.audit import record
from salescoord.db.queries.catalogue import offered
from salescoord.db.queries.pages import Relation
from salescoord.db.queries.search import contains
from salescoord.db.tables import contents, list_items, lists
from salescoord.permissions.scope import Scope
from salescoord.permissions.viewer import Viewer
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

LIST = lists.c
ITEM = list_items.c
CONTENT = contents.c
LIST_ORDER = (LIST.name, LIST.id)
ITEM_ORDER = (ITEM.position, ITEM.id)
CONTENT_ORDER = (CONTENT.title, CONTENT.id)


def lists_statement(scope: Scope) -> sa.Select:
    """Lists the viewer may open by id: the Lists section plus the meeting path (R11)."""
    return sa.select(*lists.c).where(scope.lists())


def lists_section_statement(scope: Scope, *, kind: ListKind | None = None) -> sa.Select:
    statement = sa.select(*lists.c).where(scope.lists_section())
    return statement.where(LIST.kind == kind) if kind else statement


def items_statement(scope: Scope) -> sa.Select:
    return sa.select(*list_items.c).join(lists, LIST.id == ITEM.list_id).where(scope.lists())


def contents_statement(scope: Scope) -> sa.Select:
    return sa.select(*contents.c).where(scope.contents())


def search_contents(scope: Scope, *, search: str | None = None, include_archived: bool = False) -> sa.Select:
    """The catalogue as offered: archived content only when asked for (R34)."""
    statement = contents_statement(scope)
    if not include_archived:
        statement = statement.where(CONTENT.archived_at.is_(None))
    if search:
        statement = statement.where(contains(search, CONTENT.title))
    return statement


def _lists_of_owner(scope: Scope) -> tuple[sa.Select, Any]:
    """A user's lists as the Lists section shows them (R11): for an SC looking at an AM,
    only the AM's GLOBAL lists, never the AM's BUYER lists."""
    return sa.select(*lists.c).where(scope.lists_section()), LIST.owner_id


def _items_of_list(scope: Scope) -> tuple[sa.Select, Any]:
    return items_statement(scope), ITEM.list_id


LISTS_BY_OWNER = Relation("lists_by_owner", _lists_of_owner, LIST_ORDER)
ITEMS_BY_LIST = Relation("items_by_list", _items_of_list, ITEM_ORDER)


# -- writes -------------------------------------------------------------------------------
async def create_list(
    connection: AsyncConnection,
    actor: Viewer,
    kind: ListKind,
    name: str,
    buyer_id: int | None,
    client_id: str | None = None,
) -> int:
    now = utcnow()
    list_id = (
        await connection.execute(
            lists.insert()
            .values(
                owner_id=actor.id,
                kind=kind,
                name=name,
                buyer_id=buyer_id,
                client_id=client_id,
                created_at=now,
                updated_at=now,
            )
            .returning(LIST.id)
        )
    ).scalar_one()
    await record(
        connection,
        actor,
        "list.create",
        "List",
        list_id,
        diff={"kind": kind, "name": name, "buyer_id": buyer_id},
    )
    return list_id


async def rename_list(connection: AsyncConnection, actor: Viewer, list_id: int, name: str) -> None:
    await connection.execute(
        lists.update()
        .where(LIST.id == list_id)
        .values(name=name, version=LIST.version + 1, updated_at=utcnow())
    )
    await record(connection, actor, "list.rename", "List", list_id, diff={"name": name})


async def delete_list(connection: AsyncConnection, actor: Viewer, list_id: int) -> None:
    await connection.execute(list_items.delete().where(ITEM.list_id == list_id))
    await connection.execute(lists.delete().where(LIST.id == list_id))
    await record(connection, actor, "list.delete", "List", list_id)


async def _length(connection: AsyncConnection, list_id: int) -> int:
    return (
        await connection.execute(
            sa.select(sa.func.count()).select_from(list_items).where(ITEM.list_id == list_id)
        )
    ).scalar_one()


async def _lock_list(connection: AsyncConnection, list_id: int) -> None:
    """Serialise concurrent edits of one list's order: bump its version under a row lock."""
    await connection.execute(
        lists.update().where(LIST.id == list_id).values(version=LIST.version + 1, updated_at=utcnow())
    )


async def add_item(
    connection: AsyncConnection,
    actor: Viewer,
    list_id: int,
    content_id: int,
    position: int | None,
    note: str | None,
    client_id: str | None = None,
) -> int:
    """Archived content is no longer offered: a CONFLICT (R34)."""
    await offered(connection, content_id, "contentId")
    await _lock_list(connection, list_id)
    length = await _length(connection, list_id)
    position = length if position is None else max(0, min(position, length))
    await connection.execute(
        list_items.update()
        .where(ITEM.list_id == list_id, ITEM.position >= position)
        .values(position=ITEM.position + 1)
    )
    now = utcnow()
    item_id = (
        await connection.execute(
            list_items.insert()
            .values(
                list_id=list_id,
                content_id=content_id,
                position=position,
                note=note,
                created_by_id=actor.id,
                client_id=client_id,
                created_at=now,
                updated_at=now,
            )
            .returning(ITEM.id)
        )
    ).scalar_one()
    await record(
        connection,
        actor,
        "list_item.add",
        "ListItem",
        item_id,
        diff={"list_id": list_id, "content_id": content_id, "position": position},
    )
    buyer_id = (await connection.execute(sa.select(LIST.buyer_id).where(LIST.id == list_id))).scalar()
    await record_activity(connection, user_id=actor.id, kind=ActivityKind.ITEM_ADDED, subject_id=buyer_id)
    return item_id


async def move_item(
    connection: AsyncConnection, actor: Viewer, item_id: int, list_id: int, position: int
) -> None:
    await _lock_list(connection, list_id)
    current = (await connection.execute(sa.select(ITEM.position).where(ITEM.id == item_id))).scalar_one()
    position = max(0, min(position, await _length(connection, list_id) - 1))
    if position != current:
        if position > current:
            shift = sa.and_(ITEM.position > current, ITEM.position <= position)
            await connection.execute(
                list_items.update().where(ITEM.list_id == list_id, shift).values(position=ITEM.position - 1)
            )
        else:
            shift = sa.and_(ITEM.position >= position, ITEM.position < current)
            await connection.execute(
                list_items.update().where(ITEM.list_id == list_id, shift).values(position=ITEM.position + 1)
            )
        await connection.execute(
            list_items.update()
            .where(ITEM.id == item_id)
            .values(position=position, version=ITEM.version + 1, updated_at=utcnow())
        )
    # a move to where the item already is changes nothing, but is still a mutation (R25)
    await record(
        connection,
        actor,
        "list_item.move",
        "ListItem",
        item_id,
        diff={"from": current, "to": position},
    )


async def remove_item(connection: AsyncConnection, actor: Viewer, item_id: int, list_id: int) -> None:
    await _lock_list(connection, list_id)
    position = (await connection.execute(sa.select(ITEM.position).where(ITEM.id == item_id))).scalar_one()
    await connection.execute(list_items.delete().where(ITEM.id == item_id))
    await connection.execute(
        list_items.update()
        .where(ITEM.list_id == list_id, ITEM.position > position)
        .values(position=ITEM.position - 1)
    )
    await record(connection, actor, "list_item.remove", "ListItem", item_id, diff={"list_id": list_id})


async def update_item_note(
    connection: AsyncConnection, actor: Viewer, item_id: int, note: str | None, version: int
) -> bool:
    """Write a note only over the version the client read (R17). False: it moved on."""
    result = await connection.execute(
        list_items.update()
        .where(ITEM.id == item_id, ITEM.version == version)
        .values(note=note, version=ITEM.version + 1, updated_at=utcnow())
    )
    if result.rowcount != 1:
        return False
    await record(connection, actor, "list_item.note", "ListItem", item_id, diff={"note": note})
    return True


async def create_content(
    connection: AsyncConnection, actor: Viewer, title: str, kind: ContentKind, reference: str
) -> int:
    content_id = (
        await connection.execute(
            contents.insert()
            .values(title=title, kind=kind, reference=reference, created_at=utcnow())
            .returning(CONTENT.id)
        )
    ).scalar_one()
    await record(
        connection,
        actor,
        "content.create",
        "Content",
        content_id,
        diff={"title": title, "kind": kind},
    )
    return content_id


def list_where(allowed: ColumnElement[bool], list_id: int) -> sa.Select:
    """The list, if `allowed` (a predicate of the scope: `owned_lists()`, `item_lists()`,
    `annotated_lists()`) admits it: whether the viewer may make that change (R10, R11)."""
    return sa.select(LIST.id).where(LIST.id == list_id, allowed)


def item_row(item_id: int) -> sa.Select:
    """An item as stored, for the `current` of a CONFLICT (the viewer has just seen it)."""
    return sa.select(*list_items.c).where(ITEM.id == item_id)
