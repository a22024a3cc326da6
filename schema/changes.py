"""Root field of the change feed (R18)."""

from __future__ import annotations

import strawberry
from salescoord.resolvers import changes as resolve
from salescoord.schema.enums import ScopeBasis
from salescoord.schema.guards import scoped
from salescoord.schema.types.changes import ChangeFeed


@strawberry.type
class ChangesQuery:
    changes: ChangeFeed = strawberry.field(
        resolver=resolve.changes,
        extensions=[scoped(ScopeBasis.MEETING)],
        description="What changed since `since` among the meetings, notes, lists and list items you "
        "may see, in commit order; `since: null` gives the current cursor. A cursor older than the "
        "retention answers RESYNC_REQUIRED (R18).",
    )
