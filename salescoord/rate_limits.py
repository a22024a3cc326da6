"""Rate limits (abuse controls): anonymous calls per IP, signed-in calls per user, failed
sign-ins per account. The counters live in the database (`rate_counters`), so several
server processes behind a load balancer count together (R27) and the embedded SQLite
default needs no extra service such as Redis (R26).

    settings = info.context.settings
    await rate_limit(
        info.context, "register", client_ip(info.context),
        settings.registrations_per_ip, settings.register_window_seconds,
    )

Over the limit: RATE_LIMITED, with `retryAfter` (seconds) in the error's extensions and a
`Retry-After` header on the HTTP response. A limit of 0 turns the check off.
"""

from __future__ import annotations

import random
import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from salescoord.db.queries import rate_limits as counters
from salescoord.errors import RateLimited

PURGE_ONE_CALL_IN = 500


def client_ip(context: Any) -> str:
    """The caller's address as the ASGI server saw it. Behind a proxy, run uvicorn with
    `--forwarded-allow-ips` so that this is the client's, not the proxy's."""
    client = getattr(getattr(context, "request", None), "client", None)
    return client.host if client is not None and client.host else "unknown"


def refusal(context: Any, bucket: str, retry_after: int) -> RateLimited:
    response = getattr(context, "response", None)
    if response is not None:
        response.headers["Retry-After"] = str(retry_after)
    return RateLimited(
        f"Too many requests ({bucket}); retry in {retry_after} seconds.",
        bucket=bucket,
        retryAfter=retry_after,
    )


async def rate_limit(context: Any, bucket: str, key: str, limit: int, window: int, cost: int = 1) -> None:
    """Count a call of `key` in `bucket`; refuse it when the window already holds `limit`."""
    if limit <= 0:
        return
    now = int(time.time())
    async with context.db.transaction() as conn:
        hits, window_end = await counters.count_hit(conn, bucket, key, window, now, cost)
        if random.randrange(PURGE_ONE_CALL_IN) == 0:
            await counters.purge_expired(conn, now)
    if hits > limit:
        raise refusal(context, bucket, max(window_end - now, 1))


FAILED_LOGINS = "failed-login"


async def reserve_login_attempt(context: Any, email: str) -> None:
    """Count a sign-in to `email` as failed before its password is checked; refuse it unchecked
    once the window holds `failed_logins_per_account` failures, whatever the password, so
    guessing slows to a crawl. The count comes first, in one atomic upsert: had it been read
    first and written after a failed check, every guess sent at once would have been checked.
    A sign-in that succeeds clears the count (`forget_failed_logins`)."""
    settings = context.settings
    limit, window = settings.failed_logins_per_account, settings.failed_login_window_seconds
    if limit <= 0:
        return
    now = int(time.time())
    async with context.db.transaction() as conn:
        failures, window_end = await counters.count_hit(conn, FAILED_LOGINS, email, window, now)
    if failures > limit:
        raise refusal(context, FAILED_LOGINS, max(window_end - now, 1))


async def forget_failed_logins(conn: AsyncConnection, email: str) -> None:
    """In the successful sign-in's own transaction."""
    await counters.forget(conn, FAILED_LOGINS, email)
