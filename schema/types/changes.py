"""The change feed's answer (R18)."""

from __future__ import annotations

import strawberry
from salescoord.resolvers import changes as resolve
from salescoord.schema.enums import ChangeKind, ScopeBasis
from salescoord.schema.guards import scoped
from salescoord.schema.node import Node


@strawberry.type(description="One object that changed: store it, or drop it (R18).")
class Change:
    kind: ChangeKind
    type_name: str = strawberry.field(
        description="Meeting, Attendee, Note, List, ListItem or Content. An Attendee entry is a buyer "
        "attending (UPSERT) or no longer attending (DELETED) the meeting `meetingId`; its `id` and "
        "`node` are the buyer (a User)."
    )
    id: strawberry.ID
    meeting_id: strawberry.ID | None = strawberry.field(description="An Attendee entry's meeting.")
    found: strawberry.Private[Node | None]
    node: Node | None = strawberry.field(
        resolver=resolve.node,
        extensions=[scoped(ScopeBasis.MEETING)],
        description="The object as it is now (UPSERT only).",
    )


@strawberry.type(description="A page of the change feed and the cursor to ask with next.")
class ChangeFeed:
    entries: list[Change]
    cursor: str
    has_more: bool = strawberry.field(description="More entries wait: ask again at once with `cursor`.")
    caught_up: bool = strawberry.field(
        description="False: committed changes wait behind a transaction still running (the feed never "
        "hands out a change before an earlier one commits); ask again in a moment."
    )
