"""A user's own password, set through a set-password link (R7): once per link."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from salescoord.db.models.base import utcnow
from salescoord.db.queries.audit import record
from salescoord.db.queries.people import VIEWER_BY_ID, viewer_from_row
from salescoord.db.tables import users
from salescoord.permissions.enums import Channel
from sqlalchemy.ext.asyncio import AsyncConnection


async def set_password_once(
    connection: AsyncConnection,
    user_id: int,
    link_matches: Callable[[str | None], bool],
    new_hash: str,
    channel: Channel,
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
        .values(password_hash=new_hash, updated_at=utcnow())
    )
    if result.rowcount != 1:
        return None
    viewer = viewer_from_row(account, channel)
    await record(connection, viewer, "user.set_password", "User", user_id, diff={"via": "set-password link"})
    return viewer
