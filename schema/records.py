"""Root fields for admins: the email outbox (R20) and the audit trail (R25), on the web only:
an app token, an admin's too, lives 30 days on a device carried to buyers (R10)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from permissions.enums import Permission
from resolvers import records as resolve
from salescoord.context import Info
from schema.enums import EmailStatus
from schema.guards import back_office
from schema.pagination import Connection
from schema.types.people import PAGE
from schema.types.records import AuditEvent, OutboxEmail


@strawberry.type
class RecordsQuery:
    @strawberry.field(
        extensions=[back_office(Permission.MANAGE_USERS, basis=None)],
        description="Every outgoing email, oldest first. With no SMTP configured they stay PENDING "
        "here (R20). A set-password link shows as a placeholder: the delivery worker writes it in "
        "when it sends the email, so no reader of the outbox holds a key to an account (R32).",
    )
    async def outbox(
        self, info: Info, status: EmailStatus | None = None, first: int = PAGE, after: str | None = None
    ) -> Connection[OutboxEmail]:
        return await resolve.outbox_emails(info, status.value if status else None, first, after)

    @strawberry.field(
        extensions=[back_office(Permission.MANAGE_USERS, basis=None)],
        description="The audit trail, newest first (R25); `since` inclusive, `until` exclusive.",
    )
    async def audit_events(
        self,
        info: Info,
        action: str | None = None,
        actor_id: strawberry.ID | None = None,
        object_type: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        first: int = PAGE,
        after: str | None = None,
    ) -> Connection[AuditEvent]:
        return await resolve.audit_events(info, action, actor_id, object_type, since, until, first, after)
