"""`node(id:)` and `nodes(ids:)`: any object by global id, or by the client id (a UUID) the
viewer's app gave it (R31), through the same scoped loaders as every other path. Missing,
out of scope, wrong type, another user's client id: all answer null."""

from __future__ import annotations

import asyncio

import strawberry
from salescoord.resolvers import node_types
from salescoord.resolvers.lookups import named_by_client_ids
from salescoord.schema.ids import decode_id, is_client_id
from salescoord.schema.node import Node

from salescoord.context import Info
from salescoord.errors import BadUserInput

MAX_NODES = 100


async def node(info: Info, id: strawberry.ID) -> Node | None:
    return await _node(info, id, "id", await named_by_client_ids(info, [id]))


async def nodes(info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
    if len(ids) > MAX_NODES:
        raise BadUserInput(f"At most {MAX_NODES} ids.", field="ids")
    named = await named_by_client_ids(info, ids)  # one statement for every client id
    return list(await asyncio.gather(*(_node(info, id, "ids", named) for id in ids)))


async def _node(info: Info, id: str, field: str, named: dict[str, tuple[str, int]]) -> Node | None:
    if is_client_id(id):
        if id not in named:
            return None
        type_name, pk = named[id]
    else:
        type_name, pk = decode_id(id, field=field)
    kind = node_types.named(type_name)
    if kind is None:
        return None
    return await node_types.load(info, kind.type, pk)
