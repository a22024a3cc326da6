"""Signing in (R4): the only root field besides `register` open to anonymous callers."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from resolvers import auth as resolve
from resolvers import node_types
from salescoord.context import Info
from schema.enums import Channel
from schema.guards import scoped
from schema.types.people import User


@strawberry.type
class LoginPayload:
    token: str = strawberry.field(description="Send as `Authorization: Bearer <token>`.")
    expires_at: datetime
    user_id: strawberry.Private[int]

    @strawberry.field(extensions=[scoped()])
    async def user(self, info: Info) -> User | None:
        return await node_types.load(info, User, self.user_id)


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Sign in for one client: WEB for the CMS, APP for the iPad (R10).")
    async def login(self, info: Info, email: str, password: str, client: Channel) -> LoginPayload:
        signed = await resolve.login(info, email, password, client)
        return LoginPayload(
            token=signed.token,
            expires_at=datetime.fromtimestamp(signed.expires_at, UTC),
            user_id=signed.user_id,
        )
