"""The audit trail (R25): every write records who did what, on whose behalf, in the same
transaction as the write, so a rolled-back change leaves no event."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from db.models.base import utcnow
from db.tables import audit_events
from permissions.viewer import Viewer


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
