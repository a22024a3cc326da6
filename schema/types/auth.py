"""What signing in answers (R4): the token and the user it signs in."""

from __future__ import annotations

from datetime import datetime

import strawberry
from salescoord.resolvers import auth as resolve
from salescoord.schema.guards import scoped
from salescoord.schema.types.people import User


@strawberry.type
class LoginPayload:
    token: str = strawberry.field(description="Send as `Authorization: Bearer <token>`.")
    expires_at: datetime
    user_id: strawberry.Private[int]
    user: User | None = strawberry.field(resolver=resolve.user, extensions=[scoped()])


@strawberry.type(
    description="What a password reset request answers, whether or not the address has an account: "
    "if it has, a reset link is on its way."
)
class PasswordResetReceipt:
    email: str
