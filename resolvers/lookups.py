"""Fetch one object by global id through the viewer's scope; what the viewer may not see
reads exactly like what does not exist (NOT_FOUND)."""

from __future__ import annotations

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
}


async def visible_row(info: Info, global_id: str, type_name: str, field: str) -> Any:
    """The row behind `global_id`, which must name a visible `type_name`."""
    pk = expect_id(global_id, type_name, field=field)
    row = await getattr(info.context.loaders, LOADER_BY_TYPE[type_name]).load(pk)
    if row is None:
        raise NotFound(f"No {type_name} with that id.", field=field)
    return row
