"""The audit trail (R25): every write records who did what, on whose behalf, in the same
transaction as the write, so a rolled-back change leaves no event."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from salescoord.db.models.base import utcnow
from salescoord.db.tables import audit_events
from salescoord.permissions.viewer import Viewer
from sqlalchemy.ext.asyncio import AsyncConnection


async def record(
    connection: AsyncConnection,
    actor: Viewer | None,
    action: str,
    object_type: str,
    object_id: int | None,
    *,
    on_behalf_of: int | None = None,
    diff: dict[str, Any] | None = None,
) -> None:
    await connection.execute(
        audit_events.insert().values(
            actor_id=actor.id if actor else None,
            action=action,
            object_type=object_type,
            object_id=object_id,
            on_behalf_of_id=on_behalf_of,
            diff=_jsonable(diff),
            at=utcnow(),
        )
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def audit_events_statement(
    *,
    action: str | None = None,
    actor_id: int | None = None,
    object_type: str | None = None,
    since: Any = None,
    until: Any = None,
) -> sa.Select:
    """The trail for admins (R25), newest first: `newest` (the negated id) is the sort key,
    so keyset pages run backwards in time."""
    event = audit_events.c
    statement = sa.select(*audit_events.c, (-event.id).label("newest"))
    if action is not None:
        statement = statement.where(event.action == action)
    if actor_id is not None:
        statement = statement.where(event.actor_id == actor_id)
    if object_type is not None:
        statement = statement.where(event.object_type == object_type)
    if since is not None:
        statement = statement.where(event.at >= since)
    if until is not None:
        statement = statement.where(event.at < until)
    return statement


AUDIT_ORDER = ((-audit_events.c.id).label("newest"),)
