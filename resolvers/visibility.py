"""Why the viewer sees an object (R35), read through the request's loaders: the reasons of a
page of objects in one statement per type (`Loaders.reasons`), their AMs, meetings and
territories through the same scoped loaders as every other path.

    visibility(user, info)   # Visibility(reasons=[…]), or None for an object out of sight
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from salescoord.permissions.enums import VisibilityBasis
from salescoord.resolvers.related import one
from salescoord.schema import types

from salescoord.context import Info

if TYPE_CHECKING:
    from salescoord.schema.types.meetings import Meeting
    from salescoord.schema.types.people import User
    from salescoord.schema.types.places import Territory
    from salescoord.schema.types.visibility import Visibility, VisibilityReason

ORDER = {basis: n for n, basis in enumerate(VisibilityBasis)}


def _order(row: Any) -> tuple[int, ...]:
    links = (row.account_manager_id, row.root_territory_id, row.territory_id, row.meeting_id)
    return (ORDER[VisibilityBasis(row.basis)], *(-1 if link is None else link for link in links))


async def visibility(root: Any, info: Info) -> Visibility | None:
    """`root`'s reasons, in the order of the bases; None when it has none (out of sight)."""
    kind = type(root).__strawberry_definition__.name
    rows = await info.context.loaders.reasons(kind).load(root.pk)
    if not rows:
        return None
    reasons = [types.visibility.VisibilityReason.from_row(row) for row in sorted(rows, key=_order)]
    return types.visibility.Visibility(reasons=reasons)


def account_manager(root: VisibilityReason, info: Info) -> User | None:
    return one(info, types.visibility.ACCOUNT_MANAGER, root)


def meeting(root: VisibilityReason, info: Info) -> Meeting | None:
    return one(info, types.visibility.MEETING, root)


async def territory_path(root: VisibilityReason, info: Info) -> list[Territory] | None:
    """The territories from the AM's own territory (the root) down to the row's territory."""
    if root.territory_id is None or root.root_territory_id is None:
        return None
    loaders = info.context.loaders
    upwards = await loaders.territory_chain.load(root.territory_id)
    if root.root_territory_id not in upwards:
        return None
    path = upwards[: upwards.index(root.root_territory_id) + 1][::-1]
    rows = await loaders.territory_by_id.load_many(path)
    return [types.places.Territory.from_row(row) for row in rows if row is not None]
