"""The admins' views of the outbox (R20) and the audit trail (R25)."""

from __future__ import annotations

from datetime import datetime

from db.queries import audit
from resolvers.lookups import visible_row
from resolvers.pagination import top_connection
from salescoord.context import Info
from salescoord.outbox import queue
from schema.pagination import Connection
from schema.types.people import User
from schema.types.records import AuditEvent, OutboxEmail


async def outbox_emails(
    info: Info, status: str | None, first: int, after: str | None
) -> Connection[OutboxEmail]:
    statement = queue.outbox_statement(status)
    return await top_connection(info, statement, queue.EMAIL_ORDER, first, after, OutboxEmail.from_row)


async def audit_events(
    info: Info,
    action: str | None,
    actor_id: str | None,
    object_type: str | None,
    since: datetime | None,
    until: datetime | None,
    first: int,
    after: str | None,
) -> Connection[AuditEvent]:
    actor = (await visible_row(info, actor_id, User, "actorId")).id if actor_id is not None else None
    statement = audit.audit_events_statement(
        action=action, actor_id=actor, object_type=object_type, since=since, until=until
    )
    return await top_connection(info, statement, audit.AUDIT_ORDER, first, after, AuditEvent.from_row)
