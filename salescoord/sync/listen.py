"""Wake-ups for live updates on PostgreSQL (R19): one LISTEN connection per server process.

The change log's trigger sends `NOTIFY salescoord_changes, '<meeting id>'` for every row about
a meeting (migration 0006), and `'*'` for a change of an SC's AMs, which may take any meeting
out of sight. PostgreSQL delivers a notification when the writing transaction commits, to
every listening process, so a subscription served by one process hears of a note written
through another at once.

    listener = ChangeListener(engine)
    async with listener.follow(meeting_id) as wakeup:   # an asyncio.Event
        while True:
            wakeup.clear()
            ...read the change log...
            await listener.wait(wakeup, timeout)       # notified, or the safety poll's timeout

A notification only says "look again": what is delivered is read from the change log, so a
lost one (the connection dropped, the process was busy) costs latency, never an event; the
caller keeps a slow poll for that. The connection is opened with the first follower and
closed with the last; while it is down, it is retried with backoff, and once it is back
every follower is woken (notifications sent meanwhile are lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from salescoord.db.queries.devices import NOTIFY_CHANNEL

CHANNEL = "salescoord_changes"
DEVICES_CHANNEL = NOTIFY_CHANNEL  # a revoked device's id (R30, `salescoord.sync.devices`)
EVERY_MEETING = "*"
CONNECT_TIMEOUT = 5.0
RETRY_SECONDS = (0.5, 1, 2, 5, 10, 30)
# Options of SQLAlchemy's asyncpg dialect, not of asyncpg.connect.
DIALECT_ONLY = ("prepared_statement_cache_size", "prepared_statement_name_func", "async_fallback")

log = logging.getLogger("salescoord.live")


class ChangeListener:
    """Routes the change log's notifications to the subscriptions of this process."""

    def __init__(self, engine: AsyncEngine) -> None:
        # What the engine's own connections are opened with: host(s), TLS and the rest of
        # DATABASE_URL's options.
        _, arguments = engine.dialect.create_connect_args(engine.url)
        self.connect_arguments = {k: v for k, v in arguments.items() if k not in DIALECT_ONLY}
        self._followers: dict[int, set[asyncio.Event]] = defaultdict(set)
        self._devices: dict[int, set[asyncio.Event]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()  # the current connection's: LISTEN is in place, or it failed
        self.notifications = 0  # received since the process started (metrics, tests)
        self.connected = False  # LISTEN is in place now

    @contextlib.asynccontextmanager
    async def follow(self, meeting_id: int) -> AsyncIterator[asyncio.Event]:
        """An event set whenever the meeting may have changed. Waits (briefly) until LISTEN is
        in place, so that a change committed after this returns is heard."""
        wakeup = asyncio.Event()
        async with self._following(self._followers, meeting_id, wakeup):
            yield wakeup

    @contextlib.asynccontextmanager
    async def follow_device(self, device_id: int, wakeup: asyncio.Event) -> AsyncIterator[None]:
        """`wakeup` is set when the device is revoked, by any process (R30)."""
        async with self._following(self._devices, device_id, wakeup):
            yield

    @contextlib.asynccontextmanager
    async def _following(
        self, followers_of: dict[int, set[asyncio.Event]], key: int, wakeup: asyncio.Event
    ) -> AsyncIterator[None]:
        followers_of[key].add(wakeup)
        try:  # from here on: a follower cancelled while it waits must still leave
            if self._task is None or self._task.done():
                self._ready = asyncio.Event()  # a cancelled predecessor must not touch its successor's
                self._task = asyncio.create_task(self._listen(self._ready), name="salescoord-listen")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), CONNECT_TIMEOUT)
            yield
        finally:
            followers = followers_of[key]
            followers.discard(wakeup)
            if not followers:
                del followers_of[key]
            if not self._followers and not self._devices and self._task is not None:
                self._task.cancel()  # the last follower left: give the connection back
                self._task = None

    @staticmethod
    async def wait(wakeup: asyncio.Event, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.wait(), timeout)

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self.notifications += 1
        if payload == EVERY_MEETING:
            self._wake_all()
            return
        with contextlib.suppress(ValueError):
            for wakeup in self._followers.get(int(payload), ()):
                wakeup.set()

    def _device_notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self.notifications += 1
        with contextlib.suppress(ValueError):
            for wakeup in self._devices.get(int(payload), ()):
                wakeup.set()

    def _wake_all(self) -> None:
        for followers in (*self._followers.values(), *self._devices.values()):
            for wakeup in followers:
                wakeup.set()

    async def _listen(self, ready: asyncio.Event) -> None:
        """Hold one LISTEN connection until cancelled, reconnecting with backoff."""
        failures = 0
        while True:
            try:
                connection = await asyncpg.connect(**{"timeout": CONNECT_TIMEOUT, **self.connect_arguments})
            except Exception as error:  # unreachable, refused, misconfigured: poll, and retry
                log.warning("LISTEN connection failed (%s); live updates poll until it is back", error)
            else:
                try:
                    await self._hold(connection, ready)
                    failures = 0
                    log.warning("LISTEN connection lost; reconnecting")
                except Exception as error:  # asyncpg's InterfaceError too: the task must live on
                    log.warning("LISTEN connection failed (%s); reconnecting", error)
                finally:
                    ready.clear()
                    if not connection.is_closed():
                        connection.terminate()  # no round trip: it may be gone, or we are cancelled
            ready.set()  # followers must not wait for it: their safety poll carries on
            await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
            failures += 1

    async def _hold(self, connection: asyncpg.Connection, ready: asyncio.Event) -> None:
        """LISTEN on `connection` until it closes."""
        lost = asyncio.get_running_loop().create_future()
        connection.add_termination_listener(lambda _c: lost.done() or lost.set_result(None))
        await connection.add_listener(CHANNEL, self._notified)
        await connection.add_listener(DEVICES_CHANNEL, self._device_notified)
        self.connected = True
        ready.set()
        self._wake_all()  # whatever was sent while nobody listened
        try:
            await lost
        finally:
            self.connected = False
