"""The per-user request budget (`requests_per_user` per `user_window_seconds`) of one server
process, counted together with every other process in the shared `rate_counters` table.

Writing the shared counter on every request would turn every read into a write (on SQLite,
a write lock per request). A process therefore adds a user's hits to the shared counter in
batches, and decides in between on the shared total it last read plus its own hits since:

- a batch is `limit // 50` hits (at least 1), and a user's hits are added at least once a
  second, so a quiet user is counted at once and a busy one costs a write per batch;
- a request that would pass the limit on what the process knows is always checked against
  the shared counter, so a refusal is never based on stale numbers;
- across N processes a user can pass the limit by at most N batches in a window (12 hits
  per process at the default 600 per minute); with a limit under 100 every hit is counted
  at once, exactly.

    budget = UserBudget(limit=600, window=60)
    await budget.spend(context, str(viewer.id))   # RATE_LIMITED past the limit

The same machinery counts anonymous requests per IP (`bucket="anonymous"`, schema/anonymous_budget.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from salescoord.db.queries import rate_limits as counters
from salescoord.rate_limits import refusal

BUCKET = "user"
FLUSH_SECONDS = 1.0
MAX_TALLIES = 10_000  # users remembered per process before old windows are dropped


@dataclass(slots=True)
class _Tally:
    window_start: int
    shared: int = 0  # the shared counter as last read (this process's flushed hits included)
    pending: int = 0  # this process's hits not yet added to it
    flushed_at: float = float("-inf")


class UserBudget:
    def __init__(self, limit: int, window: int, bucket: str = BUCKET) -> None:
        self.limit, self.window, self.bucket = limit, window, bucket
        self.batch = max(1, limit // 50)
        self._tallies: dict[str, _Tally] = {}

    async def spend(self, context: Any, key: str) -> None:
        """Count one request of `key`; RATE_LIMITED when the window already holds the limit."""
        if self.limit <= 0:
            return
        now = time.time()
        start = counters.window_start(int(now), self.window)
        tally = self._tally(key, start)
        doubtful = tally.shared + tally.pending + 1 > self.limit
        tally.pending += 1
        if not (doubtful or tally.pending >= self.batch or now - tally.flushed_at >= FLUSH_SECONDS):
            return
        hits, window_end = await self._flush(context, key, tally, int(now))
        if hits > self.limit:
            raise refusal(context, self.bucket, max(window_end - int(now), 1))

    def _tally(self, key: str, start: int) -> _Tally:
        tally = self._tallies.get(key)
        if tally is None or tally.window_start != start:
            if len(self._tallies) >= MAX_TALLIES:
                self._tallies = {k: t for k, t in self._tallies.items() if t.window_start == start}
            tally = self._tallies[key] = _Tally(start)
        return tally

    async def _flush(self, context: Any, key: str, tally: _Tally, now: int) -> tuple[int, int]:
        pending, tally.pending, tally.flushed_at = tally.pending, 0, time.time()
        try:
            async with context.db.transaction() as connection:
                hits, window_end = await counters.count_hit(
                    connection, self.bucket, key, self.window, now, pending
                )
        except BaseException:
            tally.pending += pending  # not counted: the next flush carries them
            raise
        tally.shared = hits
        return hits, window_end
