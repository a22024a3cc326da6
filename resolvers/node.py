"""`node(id:)` and `nodes(ids:)`: any object by global id, through the same scoped loaders
as every other path. Missing, out of scope, wrong type: all answer null."""

from __future__ import annotations

import asyncio
from typing import Any

from strawberry.types import Info

from resolvers.lookups import LOADER_BY_TYPE
from salescoord.errors import BadUserInput
from schema.ids import decode_id
from schema.node import Node
from schema.types.lists import Content, List, ListItem
from schema.types.meetings import Meeting, Note
from schema.types.people import User
from schema.types.places import Company, Territory
from schema.types.registrations import Registration

BUILDERS: dict[str, Any] = {
    "User": User.from_row,
    "Company": Company.from_row,
    "Territory": Territory.from_row,
    "List": List.from_row,
    "ListItem": ListItem.from_row,
    "Content": Content.from_row,
    "Registration": Registration.from_row,
    "Meeting": Meeting.from_row,
    "Note": Note.from_row,
}
MAX_NODES = 100


async def node(info: Info, id: str, field: str = "id") -> Node | None:
    type_name, pk = decode_id(id, field=field)
    if type_name not in BUILDERS:
        return None
    row = await getattr(info.context.loaders, LOADER_BY_TYPE[type_name]).load(pk)
    return BUILDERS[type_name](row) if row is not None else None


async def nodes(info: Info, ids: list[str]) -> list[Node | None]:
    if len(ids) > MAX_NODES:
        raise BadUserInput(f"At most {MAX_NODES} ids.", field="ids")
    return list(await asyncio.gather(*(node(info, id, "ids") for id in ids)))
