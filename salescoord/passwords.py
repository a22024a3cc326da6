"""Password hashing with argon2id (RFC 9106 low-memory profile: t=3, m=64 MiB, p=4).

A check against an unknown account still runs one verification against a dummy
hash, so response time does not tell which emails exist.

A server process hashes through `PasswordWork`, off the event loop; `hash_password`
and `verify_password` themselves block for the whole computation (about 130 ms).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)
_DUMMY_HASH = _hasher.hash("not a password anyone has")
T = TypeVar("T")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


class PasswordWork:
    """The argon2 work of one server process, in worker threads, `at_once` at a time.

    On the event loop each check stalled every other request of the process for its
    whole ~130 ms. argon2 releases the GIL, so in a thread it leaves the loop free; the
    bound keeps a burst of sign-ins from taking every core and 64 MiB per check.

        work = PasswordWork(at_once=settings.password_hash_concurrency)
        valid = await work.verify(row.password_hash if row else None, password)
    """

    def __init__(self, at_once: int) -> None:
        self.at_once = max(1, at_once)
        self._slots = asyncio.Semaphore(self.at_once)
        self._threads = ThreadPoolExecutor(max_workers=self.at_once, thread_name_prefix="argon2")
        self.verifications = 0  # since the process started: what a sign-in cost

    async def verify(self, password_hash: str | None, password: str) -> bool:
        self.verifications += 1
        return await self._off_loop(verify_password, password_hash, password)

    async def hash(self, password: str) -> str:
        return await self._off_loop(hash_password, password)

    async def _off_loop(self, work: Callable[..., T], *args: object) -> T:
        """A slot is given back when its thread ends, also when the caller was cancelled
        meanwhile: a running hash cannot be stopped, and the bound is on hashes running."""
        await self._slots.acquire()
        try:
            running = asyncio.get_running_loop().run_in_executor(self._threads, work, *args)
        except BaseException:
            self._slots.release()
            raise
        running.add_done_callback(lambda _: self._slots.release())
        return await asyncio.shield(running)
