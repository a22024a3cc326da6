"""The change feed's cursors (R18), and its retention.

A cursor is (xid, id, issued-at): the position in the change log, and when it was handed
out. One older than the retention period is refused with RESYNC_REQUIRED: the rows it
would need may be purged, and a silent gap would leave ghost records on the device.

    position = position_of(since)          # BAD_USER_INPUT, or RESYNC_REQUIRED past retention
    cursor = cursor_at(page.position)      # stamped now
"""

from __future__ import annotations

import time

from salescoord.db.queries.pages import decode_cursor, encode_cursor
from salescoord.db.session import RequestDatabase
from salescoord.db.storable import BIGINT, INTEGER, fits
from salescoord.errors import BadUserInput, ResyncRequired
from salescoord.sync import feed

PURGE_EVERY = 3600.0
_last_purge = {"at": 0.0}  # per process: the purge is housekeeping, not per request


def position_of(since: str) -> tuple[int, int]:
    key = decode_cursor(since)
    if len(key) != 3 or not all(isinstance(part, int) for part in key):
        raise BadUserInput("Malformed cursor.", field="since")
    xid, row_id, issued = key
    if not (fits(xid, BIGINT) and fits(row_id, INTEGER)):  # the change log's columns
        raise BadUserInput("Malformed cursor.", field="since")
    if issued < time.time() - feed.RETENTION.total_seconds():
        raise ResyncRequired(
            "This cursor is older than the feed's retention: fetch a snapshot and start again.",
            field="since",
            retentionDays=feed.RETENTION.days,
        )
    return xid, row_id


def cursor_at(position: tuple[int, int]) -> str:
    return encode_cursor((position[0], position[1], int(time.time())))


async def purge_now_and_then(db: RequestDatabase) -> None:
    """Drop the log's rows past retention, at most once every PURGE_EVERY in this process."""
    now = time.monotonic()
    if now - _last_purge["at"] < PURGE_EVERY:
        return
    _last_purge["at"] = now
    async with db.transaction() as connection:
        await feed.purge(connection)
