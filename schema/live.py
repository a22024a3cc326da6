"""Root subscription fields (R19)."""

from __future__ import annotations

import strawberry
from salescoord.resolvers import live as resolve
from salescoord.schema.types.changes import Change


@strawberry.type
class MeetingsSubscription:
    meeting_changes: Change = strawberry.subscription(
        resolver=resolve.meeting_changes,
        description="Changes of a meeting and its notes and lists as they commit, each checked "
        "against your scope when delivered; ends when the meeting leaves your sight (R19). "
        'Sign in with {"authorization": "Bearer <token>"} in connection_init.',
    )
