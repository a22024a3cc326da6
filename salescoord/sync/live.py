"""Live updates of one meeting (R19): a subscription (graphql-transport-ws) that follows the
change log, so it works across any number of server processes on either database.

When to look: on PostgreSQL when the process's one LISTEN connection hears that the meeting
changed (`salescoord.sync.listen`: the writing transaction's commit sends the notification, from any
process), and every `live_safety_poll_seconds` besides (LIVE_SAFETY_POLL_SECONDS, 10 s), so a
lost notification costs latency, never an event; while a change of the meeting waits behind
an older transaction still running, again shortly. On SQLite (one host) every POLL_SECONDS.

Each delivery is checked against the viewer's scope *as it is then*: the socket's sign-in
is checked again (`salescoord.credentials`: an expired token or a deactivated user closes
the socket, a changed role counts at once, R14, R29), the meeting must still be in sight
(otherwise the subscription ends), and every object goes through the scoped loaders. Every
look uses a connection of its own, held only for that look.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator

from strawberry.types import Info

from db.loaders import Loaders
from db.session import RequestDatabase
from permissions.scope import Scope
from resolvers.lookups import LOADER_BY_TYPE
from resolvers.node import BUILDERS
from salescoord.errors import NotFound, Unauthenticated
from salescoord.sync import feed as changes
from salescoord.sync.listen import ChangeListener
from schema.ids import encode_id, expect_id
from schema.types.changes import Change

POLL_SECONDS = 0.2  # SQLite
HELD_BACK_SECONDS = 0.2  # PostgreSQL: a change of the meeting waits behind a running transaction


async def meeting_changes(info: Info, meeting_id: str) -> AsyncGenerator[Change, None]:
    pk = expect_id(meeting_id, "Meeting", field="meetingId")
    credentials = info.context.credentials
    if info.context.viewer is None or credentials is None:
        raise Unauthenticated()
    await info.context.db.release()  # each look reads through a connection of its own
    engine, listener = info.context.db.engine, info.context.listener
    poll = POLL_SECONDS if listener is None else info.context.settings.live_safety_poll_seconds
    position: tuple[int, int] | None = None
    async with _wakeups(listener, pk) as (wakeup, wait):
        while True:
            wakeup.clear()  # before reading: a notification during the read wakes the next wait
            pause = poll
            db = RequestDatabase(engine)
            batch: list[Change] = []
            try:
                viewer = await credentials.viewer(db)  # refused: the socket closes, this ends
                scope = Scope.of(viewer)
                loaders = Loaders(db, scope)
                if await loaders.meeting_by_id.load(pk) is None:
                    if position is None:
                        raise NotFound("No Meeting with that id.", field="meetingId")
                    return  # the meeting left the viewer's sight: the subscription ends (R19)
                if position is None:
                    position = await changes.start(db)
                else:
                    feed = await changes.read(db, scope, position, 100, meeting_id=pk)
                    position = feed.position
                    if feed.more:
                        pause = 0
                    elif not feed.caught_up:
                        pause = min(pause, HELD_BACK_SECONDS)
                    batch = await _delivered(loaders, feed.entries)
            finally:
                await db.close()  # before delivering: a slow socket must not hold a connection
            for change in batch:
                yield change
            await wait(pause)


async def _delivered(loaders: Loaders, entries: list) -> list[Change]:
    """The entries as the viewer may see them now, their objects looked up together (one
    statement per type, not per entry); an object out of sight since is left out."""
    upserts = [entry for entry in entries if entry.kind == "UPSERT"]
    rows = await asyncio.gather(
        *(getattr(loaders, LOADER_BY_TYPE[entry.type_name]).load(entry.pk) for entry in upserts)
    )
    found = {(entry.type_name, entry.pk): row for entry, row in zip(upserts, rows, strict=True)}
    delivered = []
    for entry in entries:
        row = found.get((entry.type_name, entry.pk))
        if entry.kind == "UPSERT" and row is None:
            continue
        built = BUILDERS[entry.type_name](row) if row is not None else None
        global_id = encode_id(entry.type_name, entry.pk)
        delivered.append(Change(kind=entry.kind, type_name=entry.type_name, id=global_id, found=built))
    return delivered


@contextlib.asynccontextmanager
async def _wakeups(listener: ChangeListener | None, meeting_id: int) -> AsyncIterator[tuple]:
    """(event, wait): the listener's wake-ups for the meeting, or on SQLite a plain timer."""
    if listener is None:
        yield asyncio.Event(), asyncio.sleep
        return
    async with listener.follow(meeting_id) as wakeup:
        yield wakeup, lambda seconds: listener.wait(wakeup, seconds)
