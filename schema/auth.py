"""Signing in (R4): the only root field besides `register` open to anonymous callers."""

from __future__ import annotations

import strawberry
from salescoord.resolvers import auth as resolve
from salescoord.schema.types.auth import LoginPayload


@strawberry.type
class AuthMutation:
    login: LoginPayload = strawberry.mutation(
        resolver=resolve.login,
        description="Sign in for one client: WEB for the CMS, APP for the iPad (R10).",
    )
