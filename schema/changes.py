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
        description="What changed since `since` among the meetings (and their attendees), notes, lists, "
        "list items and catalogue items you may see, in commit order; `since: null` gives the current "
        "cursor. Cursors are signed for you: a tampered one is BAD_USER_INPUT, one older than the "
        "retention (FEED_RETENTION_DAYS) answers RESYNC_REQUIRED (R18).",
    )
    sync_cursor: str = strawberry.field(
        resolver=resolve.sync_cursor,
        extensions=[scoped(ScopeBasis.MEETING)],
        description="The feed's cursor now: take it before a snapshot (salescoord/sync/snapshot.graphql), "
        "then follow `changes(since:)` from it; nothing committed after it is missed (R18).",
    )
