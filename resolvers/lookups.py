"""Every id argument is resolved here: through the viewer's scope, so that what the viewer may
not see reads exactly like what does not exist. A missing object, one out of sight, an id of
another type and a tampered id all answer NOT_FOUND naming the argument (docs/security.md);
only then may a rule refuse an object in sight (FORBIDDEN, or BAD_USER_INPUT)."""

from __future__ import annotations

import asyncio
from typing import Any

from strawberry.types import Info

from salescoord.errors import NotFound
from schema.ids import expect_id

LOADER_BY_TYPE = {
    "User": "user_by_id",
    "Company": "company_by_id",
    "Territory": "territory_by_id",
    "List": "list_by_id",
    "ListItem": "list_item_by_id",
    "Content": "content_by_id",
    "Registration": "registration_by_id",
    "Meeting": "meeting_by_id",
    "Note": "note_by_id",
}


async def visible_row(info: Info, global_id: str, type_name: str, field: str) -> Any:
    """The row behind `global_id`, which must name a visible `type_name`.

        host = await visible_row(info, host_id, "User", "hostId")
    """
    return (await visible_rows(info, [global_id], type_name, field))[0]


async def visible_rows(info: Info, global_ids: list[str], type_name: str, field: str) -> list[Any]:
    """The rows behind `global_ids`, in their order, looked up together (one statement);
    one that is not a visible `type_name` makes the whole argument NOT_FOUND."""
    pks = [expect_id(global_id, type_name, field=field) for global_id in global_ids]
    loader = getattr(info.context.loaders, LOADER_BY_TYPE[type_name])
    rows = await asyncio.gather(*(loader.load(pk) for pk in pks))
    if any(row is None for row in rows):
        raise NotFound(f"No {type_name} with that id.", field=field)
    return list(rows)
