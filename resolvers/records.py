"""The admins' views of the outbox (R20) and the audit trail (R25)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry
from salescoord.db.queries import audit
from salescoord.resolvers import node_types
from salescoord.resolvers.lookups import visible_row
from salescoord.resolvers.pagination import top_connection
from salescoord.schema import types
from salescoord.schema.enums import EmailStatus
from salescoord.schema.pagination import Connection

from salescoord.context import Info
from salescoord.outbox import queue

if TYPE_CHECKING:
    from salescoord.schema.types.people import User
    from salescoord.schema.types.records import AuditEvent, OutboxEmail


async def outbox(
    info: Info,
    status: EmailStatus | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[OutboxEmail]:
    statement = queue.outbox_statement(status)
    return await top_connection(
        info, statement, queue.EMAIL_ORDER, first, after, last, before, types.records.OutboxEmail.from_row
    )


async def audit_events(
    info: Info,
    action: str | None = None,
    actor_id: strawberry.ID | None = None,
    object_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[AuditEvent]:
    actor = (
        (await visible_row(info, actor_id, types.people.User, "actorId")).id if actor_id is not None else None
    )
    statement = audit.audit_events_statement(
        action=action, actor_id=actor, object_type=object_type, since=since, until=until
    )
    return await top_connection(
        info, statement, audit.AUDIT_ORDER, first, after, last, before, types.records.AuditEvent.from_row
    )


# -- the fields of an audit event -----------------------------------------------------------
async def actor(root: AuditEvent, info: Info) -> User | None:
    return await node_types.load(info, types.people.User, root.actor_id)


async def on_behalf_of(root: AuditEvent, info: Info) -> User | None:
    return await node_types.load(info, types.people.User, root.on_behalf_of_id)
