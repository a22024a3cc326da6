"""Live updates of one meeting (R19): a subscription (graphql-transport-ws) that follows the
change log, so it works across any number of server processes on either database.

When to look: on PostgreSQL when the process's one LISTEN connection hears that the meeting
changed (`salescoord.sync.listen`: the writing transaction's commit sends the notification,
from any process), and every `live_safety_poll_seconds` besides (LIVE_SAFETY_POLL_SECONDS,
10 s), so a lost notification costs latency, never an event; while a change of the meeting
waits behind an older transaction still running, again shortly. On SQLite (one host) every
POLL_SECONDS.

Each delivery is checked against the viewer's scope *as it is then*: the socket's sign-in
is checked again (`salescoord.credentials`: an expired token or a deactivated user closes
the socket, a changed role counts at once, R14, R29), the meeting must still be in sight
(otherwise the subscription ends), and every object goes through the scoped loaders. Every
look uses a connection of its own, held only for that look.

    async for change in follow_meeting(engine, listener, credentials, meeting_id, 10.0, deliver):
        ...   # `deliver(loaders, entries)` turned the look's entries into what is sent
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from salescoord.db.loaders import Loaders
from salescoord.db.session import RequestDatabase
from salescoord.errors import NotFound
from salescoord.permissions.scope import Scope
from salescoord.sync import feed as changes
from salescoord.sync.listen import ChangeListener

POLL_SECONDS = 0.2  # SQLite
HELD_BACK_SECONDS = 0.2  # PostgreSQL: a change of the meeting waits behind a running transaction

Delivered = TypeVar("Delivered")


async def follow_meeting(
    engine: AsyncEngine,
    listener: ChangeListener | None,
    credentials: Any,
    meeting_id: int,
    safety_poll_seconds: float,
    deliver: Callable[[Loaders, list[changes.Entry]], Awaitable[list[Delivered]]],
) -> AsyncGenerator[Delivered, None]:
    """What `deliver` makes of the meeting's changes, look after look, until the meeting leaves
    the sight of the viewer `credentials` stand for; a refused sign-in ends it with the
    refusal (the socket closes)."""
    poll = POLL_SECONDS if listener is None else safety_poll_seconds
    position: tuple[int, int] | None = None
    async with _wakeups(listener, meeting_id) as (wakeup, wait):
        while True:
            wakeup.clear()  # before reading: a notification during the read wakes the next wait
            pause = poll
            db = RequestDatabase(engine)
            batch: list[Delivered] = []
            try:
                viewer = await credentials.viewer(db)  # refused: the socket closes, this ends
                scope = Scope.of(viewer)
                loaders = Loaders(db, scope)
                if await loaders.meeting_by_id.load(meeting_id) is None:
                    if position is None:
                        raise NotFound("No Meeting with that id.", field="meetingId")
                    return  # the meeting left the viewer's sight: the subscription ends (R19)
                if position is None:
                    position = await changes.start(db)
                else:
                    feed = await changes.read(db, scope, position, 100, meeting_id=meeting_id)
                    position = feed.position
                    if feed.more:
                        pause = 0
                    elif not feed.caught_up:
                        pause = min(pause, HELD_BACK_SECONDS)
                    batch = await deliver(loaders, feed.entries)
            finally:
                await db.close()  # before delivering: a slow socket must not hold a connection
            for change in batch:
                yield change
            await wait(pause)


@contextlib.asynccontextmanager
async def _wakeups(listener: ChangeListener | None, meeting_id: int) -> AsyncIterator[tuple]:
    """(event, wait): the listener's wake-ups for the meeting, or on SQLite a plain timer."""
    if listener is None:
        yield asyncio.Event(), asyncio.sleep
        return
    async with listener.follow(meeting_id) as wakeup:
        yield wakeup, lambda seconds: listener.wait(wakeup, seconds)
