"""`changes(since:, first:)`: the change feed for the app (R18), and its cursors.

A cursor is (xid, id, issued-at): the position in the change log, and when it was handed
out. One older than the retention period is refused with RESYNC_REQUIRED: the rows it
would need may be purged, and a silent gap would leave ghost records on the device.
`since: null` starts a client: no entries, a cursor at the head (take the snapshot after).
"""

from __future__ import annotations

import time

from strawberry.types import Info

from db.queries.pages import MAX_PAGE_SIZE, decode_cursor, encode_cursor
from db.storable import BIGINT, INTEGER, fits
from resolvers.node import nodes
from salescoord.errors import BadUserInput, ResyncRequired
from salescoord.sync import feed as queries
from schema.ids import encode_id
from schema.types.changes import Change, ChangeFeed

PURGE_EVERY = 3600.0
_last_purge = {"at": 0.0}  # per process: the purge is housekeeping, not per request


def _position(since: str) -> tuple[int, int]:
    key = decode_cursor(since)
    if len(key) != 3 or not all(isinstance(part, int) for part in key):
        raise BadUserInput("Malformed cursor.", field="since")
    xid, row_id, issued = key
    if not (fits(xid, BIGINT) and fits(row_id, INTEGER)):  # the change log's columns
        raise BadUserInput("Malformed cursor.", field="since")
    if issued < time.time() - queries.RETENTION.total_seconds():
        raise ResyncRequired(
            "This cursor is older than the feed's retention: fetch a snapshot and start again.",
            field="since",
            retentionDays=queries.RETENTION.days,
        )
    return xid, row_id


def _cursor(position: tuple[int, int]) -> str:
    return encode_cursor((position[0], position[1], int(time.time())))


async def changes(info: Info, since: str | None, first: int) -> ChangeFeed:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise BadUserInput(f"first must be between 1 and {MAX_PAGE_SIZE}.", field="first")
    db = info.context.db
    await _purge_now_and_then(info)
    if since is None:
        position = await queries.start(db)
        return ChangeFeed(entries=[], cursor=_cursor(position), has_more=False, caught_up=True)
    feed = await queries.read(db, info.context.scope, _position(since), first)
    ids = [encode_id(entry.type_name, entry.pk) for entry in feed.entries]
    upserted = [id for id, entry in zip(ids, feed.entries, strict=True) if entry.kind == "UPSERT"]
    found = dict(zip(upserted, await nodes(info, upserted), strict=True))  # one lookup per type
    built = [
        Change(kind=entry.kind, type_name=entry.type_name, id=id, found=found.get(id))
        for id, entry in zip(ids, feed.entries, strict=True)
        if entry.kind != "UPSERT" or found[id] is not None  # out of sight since: not for you
    ]
    return ChangeFeed(
        entries=built, cursor=_cursor(feed.position), has_more=feed.more, caught_up=feed.caught_up
    )


async def _purge_now_and_then(info: Info) -> None:
    now = time.monotonic()
    if now - _last_purge["at"] < PURGE_EVERY:
        return
    _last_purge["at"] = now
    async with info.context.db.transaction() as connection:
        await queries.purge(connection)
