"""Live updates of one meeting (R19): a subscription (graphql-transport-ws) that follows the
change log, so it works across any number of server processes on either database.

Each delivery is checked against the viewer's scope *as it is then*: the viewer is read
again (a deactivated user or changed role counts at once, R14), the meeting must still be
in sight (otherwise the subscription ends), and every object goes through the scoped
loaders. Every poll uses a connection of its own, held only for that poll.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from strawberry.types import Info

from db.loaders import Loaders
from db.queries import changes
from db.queries.people import viewer_by_id, viewer_from_row
from db.session import RequestDatabase
from permissions.scope import Scope
from resolvers.lookups import LOADER_BY_TYPE
from resolvers.node import BUILDERS
from salescoord.errors import NotFound, Unauthenticated
from schema.ids import encode_id, expect_id
from schema.types.changes import Change

POLL_SECONDS = 0.2


async def meeting_changes(info: Info, meeting_id: str) -> AsyncGenerator[Change, None]:
    pk = expect_id(meeting_id, "Meeting", field="meetingId")
    signed_in = info.context.viewer
    if signed_in is None:
        raise Unauthenticated()
    engine = info.context.db.engine
    position: tuple[int, int] | None = None
    while True:
        db = RequestDatabase(engine)
        try:
            row = await db.fetch_one(viewer_by_id(signed_in.id))
            viewer = viewer_from_row(row, signed_in.channel) if row is not None else None
            scope = Scope(viewer)
            loaders = Loaders(db, scope)
            if viewer is None or await loaders.meeting_by_id.load(pk) is None:
                if position is None:
                    raise NotFound("No Meeting with that id.", field="meetingId")
                return  # the meeting left the viewer's sight: the subscription ends (R19)
            if position is None:
                position = await changes.start(db)
            else:
                feed = await changes.read(db, scope, position, 100, meeting_id=pk)
                position = feed.position
                for entry in feed.entries:
                    found = None
                    if entry.kind == "UPSERT":
                        row = await getattr(loaders, LOADER_BY_TYPE[entry.type_name]).load(entry.pk)
                        if row is None:
                            continue
                        found = BUILDERS[entry.type_name](row)
                    global_id = encode_id(entry.type_name, entry.pk)
                    yield Change(kind=entry.kind, type_name=entry.type_name, id=global_id, found=found)
        finally:
            await db.close()
        await asyncio.sleep(POLL_SECONDS)
