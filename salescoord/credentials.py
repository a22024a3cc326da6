"""Whether a bearer token still stands for a signed-in user: decided here and nowhere else,
for an HTTP request and for every operation of a websocket alike (R14, R29).

A token stands when its signature holds and it has not expired; a web token while it was
issued after its user's last new password (`users.sessions_valid_from`: a reset, or an
admin's new password, ends the sign-ins made before it); an app token while its device is
not revoked and the token is of the device's current pair (R30; the first request with a
new pair marks it used, `db.queries.devices`; a new password revokes every device). Its user
stands when the account exists and is active. Who they are, their role and its permissions
are read from the database at every check, never carried over from an earlier one.

    viewer = await signed_in(db, settings, token)    # TokenRefused, UserRefused

A websocket keeps presenting the token it opened with, so it is checked again for every
operation, at every delivery of a live subscription and on the safety poll; a refusal
closes the socket with the refusal's close code (graphql-transport-ws: 4401, 4403).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ClassVar

from salescoord.db.queries import devices
from salescoord.db.queries.devices import VIEWER_ON_DEVICE
from salescoord.db.queries.people import VIEWER_BY_ID, viewer_from_row
from salescoord.db.session import RequestDatabase
from salescoord.errors import Unauthenticated
from salescoord.permissions.viewer import Viewer
from salescoord.settings import Settings
from salescoord.tokens import read_token


class Refusal(Unauthenticated):
    """Over HTTP the caller reads as anonymous; a websocket is closed with `close_code`."""

    close_code: ClassVar[int]


class TokenRefused(Refusal):
    close_code = 4401

    def __init__(self) -> None:
        super().__init__("The token is invalid or has expired: sign in again.")


class DeviceRefused(Refusal):
    close_code = 4401

    def __init__(self) -> None:
        super().__init__("This device was signed out or revoked, or its token replaced: sign in again.")


class UserRefused(Refusal):
    close_code = 4403

    def __init__(self) -> None:
        super().__init__("This account is no longer active.")


async def signed_in(db: RequestDatabase, settings: Settings, token: str) -> Viewer:
    """The user `token` stands for, as they are now."""
    claims = read_token(settings, token)
    if claims is None:
        raise TokenRefused()
    if claims.device_id is None:
        row = await db.fetch_one(VIEWER_BY_ID, {"viewer_id": claims.user_id})
        if row is None:
            raise UserRefused()
        since = row.sessions_valid_from
        if since is not None and claims.issued_at < since.timestamp():
            raise TokenRefused()
        return viewer_from_row(row, claims.channel)
    row = await db.fetch_one(VIEWER_ON_DEVICE, {"viewer_id": claims.user_id, "device_id": claims.device_id})
    if row is None:
        raise UserRefused()
    if row.device_revoked_at is not None or row.device_generation != claims.generation:
        raise DeviceRefused()
    if row.device_used_generation < claims.generation:
        async with db.transaction() as connection:
            await devices.mark_used(connection, claims.device_id, claims.generation)
    return viewer_from_row(row, claims.channel, device_id=claims.device_id)


def seconds_left(settings: Settings, token: str) -> float:
    """How long `token` can stand at most (0 once it no longer does): a websocket is closed
    when it expires, not at the next poll after."""
    claims = read_token(settings, token)
    return 0.0 if claims is None else max(claims.expires_at - time.time(), 0.0)


@dataclass(frozen=True)
class Credentials:
    """The token a websocket signed in with, checked again by each of its operations and
    live deliveries; `on_refusal` closes the socket before the refusal is raised."""

    settings: Settings
    token: str
    on_refusal: Callable[[Refusal], Awaitable[None]]

    async def viewer(self, db: RequestDatabase) -> Viewer:
        try:
            return await signed_in(db, self.settings, self.token)
        except Refusal as refusal:
            await self.on_refusal(refusal)
            raise
