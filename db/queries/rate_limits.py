"""Fixed-window hit counters: one upsert per counted call, atomic on both databases
(INSERT ... ON CONFLICT DO UPDATE), so concurrent processes never lose a hit."""

from __future__ import annotations

import sqlalchemy as sa
from salescoord.db.tables import rate_counters
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

KEEP_EXPIRED_SECONDS = 3600


def window_start(now: int, window: int) -> int:
    return now - now % window


async def count_hit(
    conn: AsyncConnection, bucket: str, key: str, window: int, now: int, cost: int = 1
) -> tuple[int, int]:
    """Add `cost` hits to the key's current window: (hits so far, when the window ends)."""
    start = window_start(now, window)
    insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(rate_counters)
    statement = insert.values(
        bucket=bucket, key=key, window_start=start, hits=cost, expires_at=start + window
    )
    same_window = rate_counters.c.window_start == statement.excluded.window_start
    statement = statement.on_conflict_do_update(
        index_elements=[rate_counters.c.bucket, rate_counters.c.key],
        set_={
            "hits": sa.case((same_window, rate_counters.c.hits + statement.excluded.hits), else_=cost),
            "window_start": statement.excluded.window_start,
            "expires_at": statement.excluded.expires_at,
        },
    ).returning(rate_counters.c.hits)
    hits = (await conn.execute(statement)).scalar_one()
    return hits, start + window


async def forget(conn: AsyncConnection, bucket: str, key: str) -> None:
    await conn.execute(
        rate_counters.delete().where(rate_counters.c.bucket == bucket, rate_counters.c.key == key)
    )


async def purge_expired(conn: AsyncConnection, now: int) -> None:
    """Rows of windows that ended an hour ago: nobody reads them again."""
    await conn.execute(rate_counters.delete().where(rate_counters.c.expires_at < now - KEEP_EXPIRED_SECONDS))
