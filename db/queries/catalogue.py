"""The content catalogue's lifecycle (R34): edited, archived and restored on the web.

Archived content keeps its rows and its place on every list (and so in every meeting) that
uses it, and stays readable wherever it is reached; it is no longer offered: the catalogue
leaves it out unless asked, and no list takes it any more (`offered`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from salescoord.db.models.base import utcnow
from salescoord.db.queries.audit import record
from salescoord.db.tables import contents
from salescoord.permissions.viewer import Viewer
from sqlalchemy.ext.asyncio import AsyncConnection

from salescoord.errors import Conflict

CONTENT = contents.c
ARCHIVED = "This content is archived: it is no longer offered."


async def offered(connection: AsyncConnection, content_id: int, field: str) -> None:
    """CONFLICT unless the content is offered (not archived). On PostgreSQL the row is read
    under a share lock, so an archive running beside an add waits for it, or the add sees it."""
    statement = sa.select(CONTENT.archived_at).where(CONTENT.id == content_id)
    if connection.dialect.name == "postgresql":
        statement = statement.with_for_update(read=True)
    if (await connection.execute(statement)).scalar() is not None:
        raise Conflict(ARCHIVED, field=field)


async def update_content(
    connection: AsyncConnection, actor: Viewer, content_id: int, changes: dict[str, Any]
) -> None:
    await connection.execute(contents.update().where(CONTENT.id == content_id).values(**changes))
    await record(connection, actor, "content.update", "Content", content_id, diff=changes)


async def set_archived(connection: AsyncConnection, actor: Viewer, content_id: int, archived: bool) -> None:
    """Archive offered content, or restore archived content; either the other way round is a
    CONFLICT (nothing to do, and nothing written)."""
    now = utcnow()
    statement = (
        contents.update()
        .where(CONTENT.id == content_id)
        .where(CONTENT.archived_at.is_(None) if archived else CONTENT.archived_at.is_not(None))
        .values(archived_at=now if archived else None)
    )
    if (await connection.execute(statement)).rowcount != 1:
        raise Conflict(
            "This content is archived already." if archived else "This content is not archived.", field="id"
        )
    action = "content.archive" if archived else "content.restore"
    await record(
        connection, actor, action, "Content", content_id, diff={"archived_at": now if archived else None}
    )
