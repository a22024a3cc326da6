"""Every id argument is resolved here: through the viewer's scope, so that what the viewer may
not see reads exactly like what does not exist. A missing object, one out of sight, an id of
another type and a tampered id all answer NOT_FOUND naming the argument (docs/security.md);
only then may a rule refuse an object in sight (FORBIDDEN, or BAD_USER_INPUT).

An argument naming a meeting, note, list or list item also takes the client id (a UUID) its
creator's app gave it (R31): a mutation queued behind the create names the object before
the server has answered. Only the creator's own client ids count; another user's, or one
that names nothing, is NOT_FOUND like an unknown global id.
"""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from salescoord.db.queries import client_ids
from salescoord.resolvers import node_types
from salescoord.schema.ids import expect_id, is_client_id

from salescoord.context import Info
from salescoord.errors import NotFound


async def visible_row(info: Info, global_id: str, node_type: type, field: str) -> Any:
    """The row behind `global_id` (or a client id), which must name a visible object of
    `node_type`.

    host = await visible_row(info, host_id, User, "hostId")
    """
    return (await visible_rows(info, [global_id], node_type, field))[0]


async def visible_rows(info: Info, global_ids: list[str], node_type: type, field: str) -> list[Any]:
    """The rows behind `global_ids`, in their order, looked up together (one statement);
    one that is not a visible object of `node_type` makes the whole argument NOT_FOUND."""
    kind = node_types.kind_of(node_type)
    pks = await primary_keys(info, global_ids, node_type, field)
    loader = kind.rows(info.context.loaders)
    rows = await asyncio.gather(*(loader.load(pk) for pk in pks))
    if any(row is None for row in rows):
        raise NotFound(f"No {kind.name} with that id.", field=field)
    return list(rows)


async def primary_keys(info: Info, ids: list[str], node_type: type, field: str) -> list[int]:
    """The primary keys `ids` name, global ids and the viewer's client ids alike (one
    statement for the client ids); visibility is the caller's to check."""
    name = node_types.kind_of(node_type).name
    wanted = [id for id in ids if is_client_id(id)] if name in client_ids.CREATOR else []
    known: dict[str, int] = {}
    if wanted:
        viewer = info.context.viewer
        rows = await info.context.db.fetch(client_ids.owned(name, viewer.id, sorted(set(wanted))))
        known = {row.client_id: row.id for row in rows}
        if len(known) < len(set(wanted)):
            raise NotFound(f"No {name} with that id.", field=field)
    return [known[id] if id in known else expect_id(id, name, field=field) for id in ids]


async def named_by_client_ids(info: Info, ids: list[str]) -> dict[str, tuple[str, int]]:
    """(type name, primary key) of each of the viewer's client ids among `ids`, whatever its
    type (`node(id:)`); a client id that names nothing of theirs is left out."""
    wanted = sorted({id for id in ids if is_client_id(id)})
    viewer = info.context.viewer
    if not wanted or viewer is None:
        return {}
    rows = await info.context.db.fetch(client_ids.owned_any(viewer.id, wanted))
    return {row.client_id: (row.type_name, row.id) for row in rows}


async def made_before(info: Info, node_type: type, client_id: str | None) -> int | None:
    """The primary key of the object of `node_type` the viewer already made with `client_id`,
    if any: a create sent again under a new key (or after its key expired) answers with that
    object and writes nothing, since the client id names one object for good (R31)."""
    if client_id is None:
        return None
    name = node_types.kind_of(node_type).name
    row = await info.context.db.fetch_one(client_ids.owned(name, info.context.viewer.id, [client_id]))
    return row.id if row is not None else None


def own_client_id(root: Any, info: Info) -> strawberry.ID | None:
    """`clientId`: the UUID the viewer's own app gave the object; null for everyone else, who
    could not name the object by it (only its creator's client ids resolve)."""
    viewer = info.context.viewer
    if viewer is None or root.creator_id != viewer.id:
        return None
    return root.stored_client_id
