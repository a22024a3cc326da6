"""What the service keeps of itself, for admins: the email outbox (R20) and the audit trail (R25)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from salescoord.resolvers import records as resolve
from salescoord.schema.enums import EmailStatus
from salescoord.schema.guards import scoped
from salescoord.schema.types.people import User
from strawberry.scalars import JSON


@strawberry.type(description="An outgoing email in the outbox (R20).")
class OutboxEmail:
    id: int
    kind: str
    to_address: str
    subject: str
    body_text: str
    body_html: str | None
    status: EmailStatus
    attempts: int
    next_attempt_at: datetime | None = strawberry.field(
        description="PENDING: the next try; SENDING: when the worker's claim runs out."
    )
    last_error: str | None
    message_id: str | None = strawberry.field(description="The Message-ID it was sent with.")
    sent_at: datetime | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> OutboxEmail:
        return cls(
            id=row.id,
            kind=row.kind,
            to_address=row.to_address,
            subject=row.subject,
            body_text=row.body_text,
            body_html=row.body_html,
            status=EmailStatus(row.status),
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_error=row.last_error,
            message_id=row.message_id,
            sent_at=row.sent_at,
            created_at=row.created_at,
        )


@strawberry.type(description="Who did what to which object, when, on whose behalf (R25).")
class AuditEvent:
    id: int
    action: str
    object_type: str
    object_id: int | None
    at: datetime
    diff: JSON | None
    actor_id: strawberry.Private[int | None]
    on_behalf_of_id: strawberry.Private[int | None]
    actor: User | None = strawberry.field(
        resolver=resolve.actor, extensions=[scoped()], description="Null for an anonymous sign-up."
    )
    on_behalf_of: User | None = strawberry.field(
        resolver=resolve.on_behalf_of,
        extensions=[scoped()],
        description="The AM on whose behalf it was done.",
    )

    @classmethod
    def from_row(cls, row: Any) -> AuditEvent:
        return cls(
            id=row.id,
            action=row.action,
            object_type=row.object_type,
            object_id=row.object_id,
            at=row.at,
            diff=row.diff,
            actor_id=row.actor_id,
            on_behalf_of_id=row.on_behalf_of_id,
        )
