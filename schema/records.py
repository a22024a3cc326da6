"""Root fields for admins: the email outbox (R20) and the audit trail (R25), on the web only:
an app token, an admin's too, lives 30 days on a device carried to buyers (R10)."""

from __future__ import annotations

import strawberry
from salescoord.permissions.enums import Permission
from salescoord.resolvers import records as resolve
from salescoord.schema.guards import back_office
from salescoord.schema.pagination import Connection
from salescoord.schema.types.records import AuditEvent, OutboxEmail


@strawberry.type
class RecordsQuery:
    outbox: Connection[OutboxEmail] = strawberry.field(
        resolver=resolve.outbox,
        extensions=[back_office(Permission.MANAGE_USERS, basis=None)],
        description="Every outgoing email, oldest first. With no SMTP configured they stay PENDING "
        "here (R20). A set-password link shows as a placeholder: the delivery worker writes it in "
        "when it sends the email, so no reader of the outbox holds a key to an account (R32).",
    )
    audit_events: Connection[AuditEvent] = strawberry.field(
        resolver=resolve.audit_events,
        extensions=[back_office(Permission.MANAGE_USERS, basis=None)],
        description="The audit trail, newest first (R25); `since` inclusive, `until` exclusive.",
    )
