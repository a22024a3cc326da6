"""The content catalogue's lifecycle on the web (R34): edit, archive, restore.

Archived content is no longer offered (the `contents` catalogue leaves it out unless asked,
and `addListItem` refuses it with CONFLICT), yet stays wherever it is used already: on its
lists, so in the meetings that use them, through `node(id:)` and each item's `content`.
Each write is keyed (`resolvers.keyed`, R16) and audited (R25).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry
from salescoord.db.models.content import CONTENT_TITLE_LENGTH, REFERENCE_LENGTH
from salescoord.db.queries import catalogue as queries
from salescoord.resolvers import inputs, node_types
from salescoord.resolvers.keyed import Key, Number, keyed_call
from salescoord.resolvers.lookups import visible_row
from salescoord.schema import types
from salescoord.schema.enums import ContentKind

from salescoord.context import Info
from salescoord.errors import BadUserInput

if TYPE_CHECKING:
    from salescoord.schema.types.lists import Content


async def _content(info: Info, content_id: int | None) -> Content | None:
    info.context.refresh()
    return await node_types.load(info, types.lists.Content, content_id)


async def update_content(
    info: Info,
    id: strawberry.ID,
    title: str | None = None,
    kind: ContentKind | None = None,
    reference: str | None = None,
    client_mutation_id: Key = None,
    mutation_number: Number = None,
) -> Content | None:
    """Change what is given, keep the rest; archived content may be edited too."""
    call = keyed_call(info)
    if call.replayed is not None:
        return await _content(info, call.replayed.id)
    values: dict[str, Any] = {}
    if title is not None:
        values["title"] = inputs.text(title, "title", CONTENT_TITLE_LENGTH)
    if kind is not None:
        values["kind"] = kind.value
    if reference is not None:
        values["reference"] = inputs.text(reference, "reference", REFERENCE_LENGTH)
    if not values:
        raise BadUserInput("Give a title, a kind or a reference to change.", field="id")
    row = await visible_row(info, id, types.lists.Content, "id")
    async with call.transaction() as connection:
        await queries.update_content(connection, info.context.viewer, row.id, values)
        call.settle("Content", row.id)
    return await _content(info, row.id)


async def _set_archived(info: Info, id: str, archived: bool) -> Content | None:
    call = keyed_call(info)
    if call.replayed is not None:
        return await _content(info, call.replayed.id)
    row = await visible_row(info, id, types.lists.Content, "id")
    async with call.transaction() as connection:
        await queries.set_archived(connection, info.context.viewer, row.id, archived)
        call.settle("Content", row.id)
    return await _content(info, row.id)


async def archive_content(
    info: Info, id: strawberry.ID, client_mutation_id: Key = None, mutation_number: Number = None
) -> Content | None:
    """No longer offered; kept on the lists and meetings that use it. Archived already: CONFLICT."""
    return await _set_archived(info, id, True)


async def restore_content(
    info: Info, id: strawberry.ID, client_mutation_id: Key = None, mutation_number: Number = None
) -> Content | None:
    """Offered again. Not archived: CONFLICT."""
    return await _set_archived(info, id, False)
