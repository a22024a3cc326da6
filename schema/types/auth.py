"""What signing in answers (R4): the token and the user it signs in; on the app also a refresh
token and the device (R30)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from salescoord.resolvers import auth as resolve
from salescoord.schema.enums import ScopeBasis
from salescoord.schema.guards import scoped
from salescoord.schema.types.devices import Device
from salescoord.schema.types.people import User


@strawberry.type
class LoginPayload:
    token: str = strawberry.field(description="Send as `Authorization: Bearer <token>`.")
    expires_at: datetime
    refresh_token: str | None = strawberry.field(
        description="The app only: trade it with `refreshSession` for the next pair of tokens, "
        "before or after `expiresAt` (R30). Keep it secret; each one is used once."
    )
    user_id: strawberry.Private[int]
    device_id: strawberry.Private[int | None]
    user: User | None = strawberry.field(resolver=resolve.user, extensions=[scoped()])
    device: Device | None = strawberry.field(
        resolver=resolve.device, extensions=[scoped(ScopeBasis.DEVICE)], description="The app only."
    )


@strawberry.type(
    description="What a password reset request answers, whether or not the address has an account: "
    "if it has, a reset link is on its way."
)
class PasswordResetReceipt:
    email: str
