"""Client ids (R16, R31): the UUID the app gives an object it creates, so that mutations
queued behind the create may name the object before the server has answered.

A client id names an object only for the user who created it (unique per creator and table):
another user's UUID reads exactly like one that names nothing. What the id resolves to is
then looked up through the viewer's scope like any global id (`resolvers.lookups`).

    select(...) = owned("List", viewer_id, ["5f0c…"])   # rows (client_id, id)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from salescoord.db.tables import list_items, lists, meetings, notes

# The types the app creates, with each table's column naming the creator.
CREATOR: dict[str, tuple[sa.Table, Any]] = {
    "Meeting": (meetings, meetings.c.created_by_id),
    "Note": (notes, notes.c.author_id),
    "List": (lists, lists.c.owner_id),
    "ListItem": (list_items, list_items.c.created_by_id),
}


def owned(type_name: str, creator_id: int, client_ids: Sequence[str]) -> sa.Select:
    """(client_id, id) of the objects of `type_name` that `creator_id` made with these ids."""
    table, creator = CREATOR[type_name]
    return sa.select(table.c.client_id, table.c.id).where(
        creator == creator_id, table.c.client_id.in_(client_ids)
    )


def owned_any(creator_id: int, client_ids: Sequence[str]) -> sa.CompoundSelect:
    """(type_name, client_id, id) over every type the app creates: `node(id:)` names no type."""
    return sa.union_all(
        *(
            sa.select(sa.literal(type_name).label("type_name"), table.c.client_id, table.c.id).where(
                creator == creator_id, table.c.client_id.in_(client_ids)
            )
            for type_name, (table, creator) in CREATOR.items()
        )
    )
