"""Every id argument is resolved here: through the viewer's scope, so that what the viewer may
not see reads exactly like what does not exist. A missing object, one out of sight, an id of
another type and a tampered id all answer NOT_FOUND naming the argument (docs/security.md);
only then may a rule refuse an object in sight (FORBIDDEN, or BAD_USER_INPUT)."""

from __future__ import annotations

import asyncio
from typing import Any

from salescoord.resolvers import node_types
from salescoord.schema.ids import expect_id

from salescoord.context import Info
from salescoord.errors import NotFound


async def visible_row(info: Info, global_id: str, node_type: type, field: str) -> Any:
    """The row behind `global_id`, which must name a visible object of `node_type`.

    host = await visible_row(info, host_id, User, "hostId")
    """
    return (await visible_rows(info, [global_id], node_type, field))[0]


async def visible_rows(info: Info, global_ids: list[str], node_type: type, field: str) -> list[Any]:
    """The rows behind `global_ids`, in their order, looked up together (one statement);
    one that is not a visible object of `node_type` makes the whole argument NOT_FOUND."""
    kind = node_types.kind_of(node_type)
    pks = [expect_id(global_id, kind.name, field=field) for global_id in global_ids]
    loader = kind.rows(info.context.loaders)
    rows = await asyncio.gather(*(loader.load(pk) for pk in pks))
    if any(row is None for row in rows):
        raise NotFound(f"No {kind.name} with that id.", field=field)
    return list(rows)
