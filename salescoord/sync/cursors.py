"""The change feed's cursors (R18), and its retention.

A cursor is (xid, id, issued-at): the position in the change log, and when it was handed
out, signed with the service's key (HMAC-SHA256) for the user it was handed to. A cursor
whose signature does not verify (tampered, forged, another user's) is BAD_USER_INPUT; one
older than the retention period (FEED_RETENTION_DAYS, 30 by default) is refused with
RESYNC_REQUIRED: the rows it would need may be purged, and a silent gap would leave ghost
records on the device. A cursor handed out before cursors were signed (three numbers, no
signature) is old by definition: RESYNC_REQUIRED, so an app in the field starts again
rather than stalls.

    position = position_of(since, settings, viewer_id)  # BAD_USER_INPUT, RESYNC_REQUIRED
    cursor = cursor_at(page.position, settings, viewer_id)  # stamped now, signed
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import timedelta

from salescoord.db.queries.pages import decode_cursor, encode_cursor
from salescoord.db.session import RequestDatabase
from salescoord.db.storable import BIGINT, INTEGER, fits
from salescoord.errors import BadUserInput, ResyncRequired
from salescoord.settings import Settings
from salescoord.sync import feed

PURGE_EVERY = 3600.0
_last_purge = {"at": 0.0}  # per process: the purge is housekeeping, not per request
MALFORMED = "Malformed cursor."


def retention(settings: Settings) -> timedelta:
    return timedelta(days=max(1, settings.feed_retention_days))


def _signature(key: str, viewer_id: int, body: str) -> str:
    mac = hmac.new(key.encode(), f"feed-cursor:{viewer_id}:{body}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def position_of(since: str, settings: Settings, viewer_id: int) -> tuple[int, int]:
    body, dot, signature = since.partition(".")
    key = decode_cursor(body)
    if len(key) != 3 or not all(isinstance(part, int) and not isinstance(part, bool) for part in key):
        raise BadUserInput(MALFORMED, field="since")
    xid, row_id, issued = key
    if not (fits(xid, BIGINT) and fits(row_id, INTEGER)):  # the change log's columns
        raise BadUserInput(MALFORMED, field="since")
    signed_by_us = any(
        hmac.compare_digest(signature, _signature(k, viewer_id, body)) for k in settings.secret_keys
    )
    if dot and not signed_by_us:  # every configured key verifies, so cursors outlive a key rotation
        raise BadUserInput("This cursor was not handed to you by the feed.", field="since")
    kept = retention(settings)
    if not dot or issued < time.time() - kept.total_seconds():
        raise ResyncRequired(
            "This cursor is older than the feed's retention: fetch a snapshot and start again.",
            field="since",
            retentionDays=kept.days,
        )
    return xid, row_id


def cursor_at(position: tuple[int, int], settings: Settings, viewer_id: int) -> str:
    body = encode_cursor((position[0], position[1], int(time.time())))
    return f"{body}.{_signature(settings.secret_keys[0], viewer_id, body)}"


async def purge_now_and_then(db: RequestDatabase, settings: Settings) -> None:
    """Drop the log's rows past retention, at most once every PURGE_EVERY in this process."""
    now = time.monotonic()
    if now - _last_purge["at"] < PURGE_EVERY:
        return
    _last_purge["at"] = now
    async with db.transaction() as connection:
        await feed.purge(connection, retention(settings))
