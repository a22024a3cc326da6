"""Revocations of the app's devices, heard by the sockets of this process (R30).

A revoked device's sockets close at once: the process that revokes it wakes its own sockets
of the device (`revoked`, after the revoking transaction commits; the only way on SQLite, one
process), and on PostgreSQL the revoking transaction sends `NOTIFY salescoord_devices,
'<device id>'`, which every process's LISTEN connection hears (`salescoord.sync.listen`). A
woken socket checks its sign-in again, finds the device revoked and closes (4401).

    async with watch.follow(device_id) as wakeup:    # an asyncio.Event
        await ChangeListener.wait(wakeup, timeout)     # revoked, or the safety poll's timeout
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Callable

from salescoord.sync.listen import ChangeListener


class DeviceWatch:
    """This process's sockets by device."""

    def __init__(self, listener: Callable[[], ChangeListener | None]) -> None:
        self._listener = listener  # made on first use, once the engine is known
        self._followers: dict[int, set[asyncio.Event]] = defaultdict(set)

    @contextlib.asynccontextmanager
    async def follow(self, device_id: int) -> AsyncIterator[asyncio.Event]:
        wakeup = asyncio.Event()
        self._followers[device_id].add(wakeup)
        try:
            listener = self._listener()
            if listener is None:
                yield wakeup
            else:
                async with listener.follow_device(device_id, wakeup):
                    yield wakeup
        finally:
            followers = self._followers[device_id]
            followers.discard(wakeup)
            if not followers:
                del self._followers[device_id]

    def revoked(self, device_id: int) -> None:
        for wakeup in self._followers.get(device_id, ()):
            wakeup.set()
