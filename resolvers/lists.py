"""Lists and content (R11, R13): the Lists section, and editing lists and their items.

Who changes what is the scope's (`Scope.owned_lists`, `item_lists`, `annotated_lists`): the
owner edits their PERSONAL and BUYER lists on either channel, GLOBAL lists need
MANAGE_GLOBAL_LISTS; whoever manages a meeting annotates the items of the lists attached
to it (R9), and through the app the host also adds, moves and removes them (R10). A list
one may see but not change answers FORBIDDEN, one out of sight NOT_FOUND. Every write is
keyed (`resolvers.keyed`, R16): the app sends a key with each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry
from salescoord.db.models.content import (
    CONTENT_TITLE_LENGTH,
    ITEM_NOTE_LENGTH,
    LIST_NAME_LENGTH,
    REFERENCE_LENGTH,
)
from salescoord.db.queries import lists as queries
from salescoord.permissions.enums import RoleName
from salescoord.resolvers import inputs, node_types
from salescoord.resolvers.keyed import ClientId, Key, Number, keyed_call
from salescoord.resolvers.lookups import made_before, visible_row
from salescoord.resolvers.pagination import nested_connection, top_connection
from salescoord.resolvers.related import one
from salescoord.schema import types
from salescoord.schema.enums import ContentKind, ListKind
from salescoord.schema.ids import checked_client_id
from salescoord.schema.pagination import Connection
from sqlalchemy.sql.elements import ColumnElement

from salescoord.context import Info
from salescoord.errors import BadUserInput, Conflict, Forbidden

if TYPE_CHECKING:
    from salescoord.schema.types.lists import Content, List, ListItem
    from salescoord.schema.types.people import User

REFUSED_KINDS = {
    ListKind.GLOBAL: "Needs the MANAGE_GLOBAL_LISTS permission.",
    ListKind.BUYER: "BUYER lists belong to account managers.",
}


async def lists(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    kind: ListKind | None = None,
) -> Connection[List]:
    statement = queries.lists_section_statement(info.context.scope, kind=kind)
    return await top_connection(
        info, statement, queries.LIST_ORDER, first, after, last, before, types.lists.List.from_row
    )


async def contents(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    search: str | None = None,
    include_archived: bool = False,
) -> Connection[Content]:
    search = inputs.search(search)
    statement = queries.search_contents(info.context.scope, search=search, include_archived=include_archived)
    return await top_connection(
        info, statement, queries.CONTENT_ORDER, first, after, last, before, types.lists.Content.from_row
    )


# -- who may change what, and the payloads ---------------------------------------------
async def _changeable(info: Info, list_id: int, allowed: ColumnElement[bool], field: str) -> None:
    """FORBIDDEN unless the scope's `allowed` predicate admits the (visible) list."""
    if await info.context.db.fetch_one(queries.list_where(allowed, list_id)) is None:
        raise Forbidden("You may not change this list.", field=field)


async def _owned_list(info: Info, global_id: str, field: str) -> Any:
    row = await visible_row(info, global_id, types.lists.List, field)
    await _changeable(info, row.id, info.context.scope.owned_lists(), field)
    return row


async def _changeable_item(info: Info, id: str, allowed: ColumnElement[bool]) -> Any:
    item = await visible_row(info, id, types.lists.ListItem, "id")
    await _changeable(info, item.list_id, allowed, "id")
    return item


async def _list(info: Info, list_id: int | None) -> List | None:
    info.context.refresh()
    return await node_types.load(info, types.lists.List, list_id)


async def _item(info: Info, item_id: int | None) -> ListItem | None:
    info.context.refresh()
    return await node_types.load(info, types.lists.ListItem, item_id)


def _position(position: int | None) -> None:
    if position is not None and position < 0:
        raise BadUserInput("position must not be negative.", field="position")


# -- lists --------------------------------------------------------------------------------
async def create_list(
    info: Info,
    name: str,
    kind: ListKind,
    buyer_id: strawberry.ID | None = None,
    client_id: ClientId = None,
    client_mutation_id: Key = None,
    mutation_number: Number = None,
) -> List | None:
    call = keyed_call(info)
    if call.replayed is not None:
        return await _list(info, call.replayed.id)
    client_id = checked_client_id(client_id)
    if (made := await made_before(info, types.lists.List, client_id)) is not None:
        return await _list(info, made)
    name = inputs.text(name, "name", LIST_NAME_LENGTH)
    buyer = await _list_buyer(info, kind, buyer_id)
    async with call.transaction() as connection:
        list_id = await queries.create_list(connection, info.context.viewer, kind, name, buyer, client_id)
        call.settle("List", list_id)
    return await _list(info, list_id)


async def _list_buyer(info: Info, kind: ListKind, buyer_id: str | None) -> int | None:
    """The buyer a BUYER list is for, once the viewer may make a list of `kind` (R11,
    `Scope.may_create_list`)."""
    if not info.context.scope.may_create_list(kind):
        if info.context.viewer.role is RoleName.BUYER:
            raise Forbidden("Buyers do not make lists.")
        raise Forbidden(REFUSED_KINDS[kind], field="kind")
    if kind is not ListKind.BUYER:
        if buyer_id is not None:
            raise BadUserInput("Only BUYER lists name a buyer.", field="buyerId")
        return None
    if buyer_id is None:
        raise BadUserInput("A BUYER list names its buyer.", field="buyerId")
    row = await visible_row(info, buyer_id, types.people.User, "buyerId")
    if row.role != RoleName.BUYER:
        raise BadUserInput("buyerId must name a buyer.", field="buyerId")
    return row.id


async def rename_list(
    info: Info, id: strawberry.ID, name: str, client_mutation_id: Key = None, mutation_number: Number = None
) -> List | None:
    call = keyed_call(info)
    if call.replayed is not None:
        return await _list(info, call.replayed.id)
    name = inputs.text(name, "name", LIST_NAME_LENGTH)
    row = await _owned_list(info, id, "id")
    async with call.transaction() as connection:
        await queries.rename_list(connection, info.context.viewer, row.id, name)
        call.settle("List", row.id)
    return await _list(info, row.id)


async def delete_list(
    info: Info, id: strawberry.ID, client_mutation_id: Key = None, mutation_number: Number = None
) -> strawberry.ID:
    """Answers with the deleted list's id, as sent."""
    call = keyed_call(info)
    if call.replayed is None:
        row = await _owned_list(info, id, "id")
        async with call.transaction() as connection:
            await queries.delete_list(connection, info.context.viewer, row.id)
            call.settle("List", row.id)
    info.context.refresh()
    return id


# -- items --------------------------------------------------------------------------------
async def add_list_item(
    info: Info,
    list_id: strawberry.ID,
    content_id: strawberry.ID,
    position: int | None = None,
    note: str | None = None,
    client_id: ClientId = None,
    client_mutation_id: Key = None,
    mutation_number: Number = None,
) -> ListItem | None:
    call = keyed_call(info)
    if call.replayed is not None:
        return await _item(info, call.replayed.id)
    client_id = checked_client_id(client_id)
    if (made := await made_before(info, types.lists.ListItem, client_id)) is not None:
        return await _item(info, made)
    _position(position)
    note = inputs.optional_text(note, "note", ITEM_NOTE_LENGTH)
    target = await visible_row(info, list_id, types.lists.List, "listId")
    await _changeable(info, target.id, info.context.scope.item_lists(), "listId")
    content = await visible_row(info, content_id, types.lists.Content, "contentId")
    async with call.transaction() as connection:
        item_id = await queries.add_item(
            connection, info.context.viewer, target.id, content.id, position, note, client_id
        )
        call.settle("ListItem", item_id)
    return await _item(info, item_id)


async def move_list_item(
    info: Info,
    id: strawberry.ID,
    position: int,
    client_mutation_id: Key = None,
    mutation_number: Number = None,
) -> ListItem | None:
    call = keyed_call(info)
    if call.replayed is not None:
        return await _item(info, call.replayed.id)
    _position(position)
    item = await _changeable_item(info, id, info.context.scope.item_lists())
    async with call.transaction() as connection:
        await queries.move_item(connection, info.context.viewer, item.id, item.list_id, position)
        call.settle("ListItem", item.id)
    return await _item(info, item.id)


async def remove_list_item(
    info: Info, id: strawberry.ID, client_mutation_id: Key = None, mutation_number: Number = None
) -> strawberry.ID:
    """Answers with the removed item's id, as sent."""
    call = keyed_call(info)
    if call.replayed is None:
        item = await _changeable_item(info, id, info.context.scope.item_lists())
        async with call.transaction() as connection:
            await queries.remove_item(connection, info.context.viewer, item.id, item.list_id)
            call.settle("ListItem", item.id)
    info.context.refresh()
    return id


async def update_list_item_note(
    info: Info,
    id: strawberry.ID,
    note: str | None = strawberry.UNSET,
    *,
    version: int,
    client_mutation_id: Key = None,
    mutation_number: Number = None,
) -> ListItem | None:
    """Write an item's note over the version the client read; a stale version is a
    CONFLICT carrying the current item, and nothing is overwritten (R17). The note is
    named every time, null to clear it: an omitted note clearing the text would lose words
    an app sent by a broken template."""
    call = keyed_call(info)
    if call.replayed is not None:
        return await _item(info, call.replayed.id)
    if note is strawberry.UNSET:
        raise BadUserInput("Give the note's text, or null to clear it.", field="note")
    note = inputs.optional_text(note, "note", ITEM_NOTE_LENGTH)
    item = await _changeable_item(info, id, info.context.scope.annotated_lists())
    async with call.transaction() as connection:
        if not await queries.update_item_note(connection, info.context.viewer, item.id, note, version):
            current = (await connection.execute(queries.item_row(item.id))).first()
            raise Conflict(
                "The item changed since you read it.",
                field="version",
                current=types.lists.ListItem.from_row(current).snapshot() if current is not None else None,
            )
        call.settle("ListItem", item.id)
    return await _item(info, item.id)


# -- the catalogue ------------------------------------------------------------------------
async def create_content(info: Info, title: str, kind: ContentKind, reference: str) -> Content:
    title = inputs.text(title, "title", CONTENT_TITLE_LENGTH)
    reference = inputs.text(reference, "reference", REFERENCE_LENGTH)
    async with info.context.db.transaction() as connection:
        content_id = await queries.create_content(connection, info.context.viewer, title, kind, reference)
    info.context.refresh()
    return await node_types.load(info, types.lists.Content, content_id)


# -- the fields of a list and of a list item ------------------------------------------------
def owner(root: List, info: Info) -> User | None:
    return one(info, types.lists.OWNER, root)


def buyer(root: List, info: Info) -> User | None:
    return one(info, types.lists.BUYER, root)


items = nested_connection(queries.ITEMS_BY_LIST, lambda: types.lists.ListItem)


def item_list(root: ListItem, info: Info) -> List | None:
    return one(info, types.lists.LIST, root)


def content(root: ListItem, info: Info) -> Content | None:
    return one(info, types.lists.CONTENT, root)
