"""Root subscription fields (R19)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from resolvers import live as resolve
from salescoord.context import Info
from schema.types.changes import Change


@strawberry.type
class MeetingsSubscription:
    @strawberry.subscription(
        description="Changes of a meeting and its notes and lists as they commit, each checked "
        "against your scope when delivered; ends when the meeting leaves your sight (R19). "
        'Sign in with {"authorization": "Bearer <token>"} in connection_init.'
    )
    async def meeting_changes(self, info: Info, meeting_id: strawberry.ID) -> AsyncGenerator[Change, None]:
        async for change in resolve.meeting_changes(info, meeting_id):
            yield change
