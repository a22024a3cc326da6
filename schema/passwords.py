"""Passwords chosen with an emailed link (R32): the anonymous reset request and the reset.
Setting a first password (`setPassword`) sits with the registrations that send its link."""

from __future__ import annotations

import strawberry
from salescoord.resolvers import passwords as resolve
from salescoord.schema.types.auth import LoginPayload, PasswordResetReceipt


@strawberry.type
class PasswordsMutation:
    request_password_reset: PasswordResetReceipt = strawberry.mutation(
        resolver=resolve.request_password_reset,
        description="Email a reset-password link to the account signed in with this address (R32, "
        "open to anyone). The answer and its time are the same whether or not the address has an "
        "account; counted per IP and per address (RATE_LIMITED past either).",
    )
    reset_password: LoginPayload = strawberry.mutation(
        resolver=resolve.reset_password,
        description="Choose a new password with the link from a reset email, and sign in. A link "
        "works once and expires; a password changed since it was sent has spent it. One that does "
        "not work is UNAUTHENTICATED with `extensions.reason` INVALID, EXPIRED or USED.",
    )
