"""Lists and content (R11, R13): the Lists section, and editing lists and their items.

Who edits what: the owner edits their PERSONAL and BUYER lists; GLOBAL lists need
MANAGE_GLOBAL_LISTS. A note on an item may also be written by whoever manages a
meeting the list is attached to (R9). Seeing a list is the scope's business; a
list one may see but not edit answers FORBIDDEN, one out of sight NOT_FOUND.
"""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

from db.queries import lists as queries
from permissions.enums import Permission, RoleName
from resolvers import inputs
from resolvers.lookups import visible_row
from resolvers.pagination import top_connection
from salescoord.errors import BadUserInput, Conflict, Forbidden
from schema.enums import ContentKind, ListKind
from schema.pagination import Connection
from schema.types.lists import Content, List, ListItem


async def lists(info: Info, first: int, after: str | None, kind: ListKind | None) -> Connection[List]:
    statement = queries.lists_section_statement(info.context.scope, kind=kind.value if kind else None)
    return await top_connection(info, statement, queries.LIST_ORDER, first, after, List.from_row)


async def contents(info: Info, first: int, after: str | None, search: str | None) -> Connection[Content]:
    if search is not None and len(search) > 200:
        raise BadUserInput("search is longer than 200 characters.", field="search")
    statement = queries.search_contents(info.context.scope, search=search)
    return await top_connection(info, statement, queries.CONTENT_ORDER, first, after, Content.from_row)


def _may_edit(viewer: Any, row: Any) -> bool:
    if row.kind == ListKind.GLOBAL:
        return viewer.can(Permission.MANAGE_GLOBAL_LISTS)
    return row.owner_id == viewer.id


async def _editable_list(info: Info, global_id: str, field: str) -> Any:
    row = await visible_row(info, global_id, "List", field)
    if not _may_edit(info.context.viewer, row):
        raise Forbidden("You may not edit this list.", field=field)
    return row


async def _list(info: Info, list_id: int) -> List | None:
    info.context.refresh()
    row = await info.context.loaders.list_by_id.load(list_id)
    return List.from_row(row) if row else None


async def _item(info: Info, item_id: int) -> ListItem | None:
    info.context.refresh()
    row = await info.context.loaders.list_item_by_id.load(item_id)
    return ListItem.from_row(row) if row else None


async def create_list(info: Info, name: str, kind: ListKind, buyer_id: str | None) -> List | None:
    viewer = info.context.viewer
    name = inputs.text(name, "name")
    if viewer.role is RoleName.BUYER:
        raise Forbidden("Buyers do not make lists.")
    if kind is ListKind.GLOBAL and not viewer.can(Permission.MANAGE_GLOBAL_LISTS):
        raise Forbidden("Needs the MANAGE_GLOBAL_LISTS permission.", field="kind")
    buyer = None
    if kind is ListKind.BUYER:
        if viewer.role is not RoleName.ACCOUNT_MANAGER:
            raise Forbidden("BUYER lists belong to account managers.", field="kind")
        if buyer_id is None:
            raise BadUserInput("A BUYER list names its buyer.", field="buyerId")
        row = await visible_row(info, buyer_id, "User", "buyerId")
        if row.role != RoleName.BUYER:
            raise BadUserInput("buyerId must name a buyer.", field="buyerId")
        buyer = row.id
    elif buyer_id is not None:
        raise BadUserInput("Only BUYER lists name a buyer.", field="buyerId")
    async with info.context.db.transaction() as connection:
        list_id = await queries.create_list(connection, viewer, kind.value, name, buyer)
    return await _list(info, list_id)


async def rename_list(info: Info, id: str, name: str) -> List | None:
    name = inputs.text(name, "name")
    row = await _editable_list(info, id, "id")
    async with info.context.db.transaction() as connection:
        await queries.rename_list(connection, info.context.viewer, row.id, name)
    return await _list(info, row.id)


async def delete_list(info: Info, id: str) -> str:
    row = await _editable_list(info, id, "id")
    async with info.context.db.transaction() as connection:
        await queries.delete_list(connection, info.context.viewer, row.id)
    info.context.refresh()
    return id


async def add_list_item(
    info: Info, list_id: str, content_id: str, position: int | None, note: str | None
) -> ListItem | None:
    if position is not None and position < 0:
        raise BadUserInput("position must not be negative.", field="position")
    note = inputs.optional_text(note, "note")
    target = await _editable_list(info, list_id, "listId")
    content = await visible_row(info, content_id, "Content", "contentId")
    async with info.context.db.transaction() as connection:
        item_id = await queries.add_item(
            connection, info.context.viewer, target.id, content.id, position, note
        )
    return await _item(info, item_id)


async def _editable_item(info: Info, id: str) -> Any:
    item = await visible_row(info, id, "ListItem", "id")
    row = await info.context.loaders.list_by_id.load(item.list_id)
    if not _may_edit(info.context.viewer, row):
        raise Forbidden("You may not edit this list.", field="id")
    return item


async def move_list_item(info: Info, id: str, position: int) -> ListItem | None:
    if position < 0:
        raise BadUserInput("position must not be negative.", field="position")
    item = await _editable_item(info, id)
    async with info.context.db.transaction() as connection:
        await queries.move_item(connection, info.context.viewer, item.id, item.list_id, position)
    return await _item(info, item.id)


async def remove_list_item(info: Info, id: str) -> str:
    item = await _editable_item(info, id)
    async with info.context.db.transaction() as connection:
        await queries.remove_item(connection, info.context.viewer, item.id, item.list_id)
    info.context.refresh()
    return id


async def update_list_item_note(info: Info, id: str, note: str | None, version: int) -> ListItem | None:
    """Write an item's note over the version the client read; a stale version is a
    CONFLICT carrying the current item, and nothing is overwritten (R17)."""
    note = inputs.optional_text(note, "note")
    item = await visible_row(info, id, "ListItem", "id")
    row = await info.context.loaders.list_by_id.load(item.list_id)
    viewer = info.context.viewer
    if not _may_edit(viewer, row):
        # R9: whoever manages a meeting annotates the lists attached to it, but a GLOBAL
        # list's notes are everyone's and stay with MANAGE_GLOBAL_LISTS (R11).
        reached = row.kind != ListKind.GLOBAL and await info.context.db.fetch_one(
            queries.through_managed_meeting(info.context.scope, item.list_id)
        )
        if not reached:
            raise Forbidden("You may not annotate this list.", field="id")
    async with info.context.db.transaction() as connection:
        written = await queries.update_item_note(connection, viewer, item.id, note, version)
    current = await _item(info, item.id)
    if not written:
        raise Conflict(
            "The item changed since you read it.",
            field="version",
            current={"id": current.id, "version": current.version, "note": current.note} if current else None,
        )
    return current


async def create_content(info: Info, title: str, kind: ContentKind, reference: str) -> Content:
    title = inputs.text(title, "title")
    reference = inputs.text(reference, "reference", 500)
    async with info.context.db.transaction() as connection:
        content_id = await queries.create_content(
            connection, info.context.viewer, title, kind.value, reference
        )
    info.context.refresh()
    return Content.from_row(await info.context.loaders.content_by_id.load(content_id))
