"""A user's own password, set through a password link (R7, R32): once per link."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from salescoord.db.models.base import utcnow
from salescoord.db.queries.audit import record
from salescoord.db.queries.people import VIEWER_BY_ID, sessions_end_now, viewer_from_row
from salescoord.db.tables import users
from salescoord.permissions.enums import Channel
from sqlalchemy.ext.asyncio import AsyncConnection


async def set_password_once(
    connection: AsyncConnection,
    user_id: int,
    link_matches: Callable[[str | None], bool],
    new_hash: str,
    channel: Channel,
    *,
    action: str = "user.set_password",
    via: str = "set-password link",
) -> Any:
    """Replace the password of an active user whose current hash the link was made for.
    The UPDATE is conditional on that hash, so of two uses of one link (also concurrent)
    exactly one succeeds. Returns the user as a Viewer, or None when the link is spent."""
    with_hash = VIEWER_BY_ID.add_columns(users.c.password_hash)
    account = (await connection.execute(with_hash, {"viewer_id": user_id})).first()
    if account is None or not link_matches(account.password_hash):
        return None
    same_hash = (
        users.c.password_hash.is_(None)
        if account.password_hash is None
        else users.c.password_hash == account.password_hash
    )
    result = await connection.execute(
        users.update()
        .where(users.c.id == user_id, same_hash)
        .values(password_hash=new_hash, updated_at=utcnow(), sessions_valid_from=sessions_end_now())
    )
    if result.rowcount != 1:
        return None
    viewer = viewer_from_row(account, channel)
    await record(connection, viewer, action, "User", user_id, diff={"via": via})
    return viewer


def link_account(user_id: int) -> sa.Select:
    """The active account a password link names, with its current hash (whether the link is
    spent); no row when it is gone or deactivated."""
    return sa.select(users.c.id, users.c.password_hash).where(users.c.id == user_id, users.c.active.is_(True))


async def account_for_reset(connection: AsyncConnection, email: str) -> Any:
    """The active account signed in with `email` (id, name, email), for a password reset."""
    statement = sa.select(users.c.id, users.c.name, users.c.email).where(
        users.c.email == email.strip().lower(), users.c.active.is_(True)
    )
    return (await connection.execute(statement)).first()
