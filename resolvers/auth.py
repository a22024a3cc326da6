"""Sign-in: email and password for a token of one channel, WEB or APP (R4, R10)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from salescoord.db.queries.activity import ActivityKind, record_activity
from salescoord.db.queries.people import account_by_email, viewer_from_row
from salescoord.resolvers import inputs, node_types
from salescoord.schema import types
from salescoord.schema.enums import Channel

from salescoord.context import Info
from salescoord.errors import Unauthenticated
from salescoord.rate_limits import client_ip, forget_failed_logins, rate_limit, reserve_login_attempt
from salescoord.tokens import issue_token

if TYPE_CHECKING:
    from salescoord.schema.types.auth import LoginPayload
    from salescoord.schema.types.people import User


async def login(info: Info, email: str, password: str, client: Channel) -> LoginPayload:
    """Every failure reads the same, and costs one argon2 verification either way, so the
    answer does not tell whether an email has an account. Attempts are counted per IP, and
    failures per account: past either limit the answer is RATE_LIMITED until the window ends.
    An attempt counts as a failure until its password is found right."""
    email = inputs.email(email)
    context, settings = info.context, info.context.settings
    await rate_limit(
        context, "login", client_ip(context), settings.login_attempts_per_ip, settings.login_window_seconds
    )
    await reserve_login_attempt(context, email)
    if len(password) > 200:
        password = password[:200]
    row = await info.context.db.fetch_one(account_by_email(email))
    valid = await context.passwords.verify(row.password_hash if row else None, password)
    if row is None or not valid or not row.active:
        raise Unauthenticated("Wrong email or password.")
    async with info.context.db.transaction() as connection:
        await forget_failed_logins(connection, email)
        await record_activity(connection, user_id=row.id, kind=ActivityKind.SIGN_IN)
    token, expires_at = issue_token(info.context.settings, row.id, client)
    info.context.become(viewer_from_row(row, client))
    return types.auth.LoginPayload(
        token=token, expires_at=datetime.fromtimestamp(expires_at, UTC), user_id=row.id
    )


async def user(root: LoginPayload, info: Info) -> User | None:
    """The user signed in, as they see themselves."""
    return await node_types.load(info, types.people.User, root.user_id)
