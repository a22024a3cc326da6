"""The app's devices (R30): one per sign-in on the app, listed and revoked by their user and
by admins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from salescoord.schema.ids import encode_id
from salescoord.schema.node import Node


@strawberry.type(description="A sign-in of the iPad app: revoking it ends its sockets and tokens (R30).")
class Device(Node):
    id: strawberry.ID
    name: str
    app_version: str | None
    created_at: datetime
    last_seen_at: datetime = strawberry.field(
        description="The last sign-in, refresh or first request with a new access token: "
        "accurate to the access token's lifetime."
    )
    revoked_at: datetime | None
    revoked_reason: str | None = strawberry.field(
        description="SIGNED_OUT, REVOKED (by its user or an admin), REFRESH_TOKEN_REUSED or "
        "PASSWORD_RESET (a reset, or an admin's new password, signs every device of the account out, R30)."
    )
    last_mutation_number: int = strawberry.field(
        description="The number of the device's last applied mutation (R31): the app's next is one more."
    )
    pk: strawberry.Private[int]
    user_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Any) -> Device:
        return cls(
            id=encode_id("Device", row.id),
            name=row.name,
            app_version=row.app_version,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            revoked_at=row.revoked_at,
            revoked_reason=row.revoked_reason,
            last_mutation_number=row.last_mutation_number,
            pk=row.id,
            user_id=row.user_id,
        )


@strawberry.input(description="The device signing in on the app (R30).")
class DeviceInput:
    name: str = strawberry.field(description='1 to 100 characters, e.g. "Ann\'s iPad".')
    app_version: str | None = strawberry.field(default=None, description="Up to 40 characters.")
