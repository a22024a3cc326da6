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

from db.queries import rate_limits as counters
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


async def refuse_locked_account(context: Any, email: str) -> int:
    """After `failed_logins_per_account` failures in the window, sign-ins to that account
    wait for the window to end, whatever the password: guessing slows to a crawl."""
    settings = context.settings
    limit, window = settings.failed_logins_per_account, settings.failed_login_window_seconds
    if limit <= 0:
        return 0
    now = int(time.time())
    failures = await context.db.scalar(counters.hits(FAILED_LOGINS, email, window, now)) or 0
    if failures >= limit:
        raise refusal(context, FAILED_LOGINS, max(counters.window_start(now, window) + window - now, 1))
    return failures


async def record_failed_login(context: Any, email: str) -> None:
    settings = context.settings
    if settings.failed_logins_per_account <= 0:
        return
    async with context.db.transaction() as conn:
        await counters.count_hit(
            conn, FAILED_LOGINS, email, settings.failed_login_window_seconds, int(time.time())
        )


async def forget_failed_logins(context: Any, email: str) -> None:
    async with context.db.transaction() as conn:
        await counters.forget(conn, FAILED_LOGINS, email)
