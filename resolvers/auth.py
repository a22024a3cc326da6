"""Sign-in: email and password for a token of one channel, WEB or APP (R4, R10). Signing in
on the app registers a device, and answers a short-lived access token with a refresh token
that `refreshSession` trades for the next pair (R30, `db.queries.devices`)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from salescoord.db.models.devices import APP_VERSION_LENGTH, DEVICE_NAME_LENGTH
from salescoord.db.queries import devices
from salescoord.db.queries.activity import ActivityKind, record_activity
from salescoord.db.queries.people import VIEWER_BY_ID, account_by_email, viewer_from_row
from salescoord.permissions.viewer import Viewer
from salescoord.resolvers import inputs, node_types
from salescoord.resolvers.devices import close_sockets_of
from salescoord.schema import types
from salescoord.schema.enums import Channel
from salescoord.schema.ids import expect_id
from salescoord.schema.types.devices import DeviceInput

from salescoord.context import Info
from salescoord.errors import BadUserInput, ServiceError, Unauthenticated
from salescoord.rate_limits import client_ip, forget_failed_logins, rate_limit, reserve_login_attempt
from salescoord.tokens import issue_token, new_refresh_token, refresh_token_hash

if TYPE_CHECKING:
    from salescoord.schema.types.auth import LoginPayload
    from salescoord.schema.types.devices import Device
    from salescoord.schema.types.people import User

DEFAULT_DEVICE_NAME = "iPad"
NO_SUCH_DEVICE = "No device of yours, not revoked, has that id."
REFRESH_TOKEN_LENGTH = 200


DeviceId = Annotated[
    strawberry.ID | None,
    strawberry.argument(
        description="The app only: your own device, not revoked, signing in again (its refresh "
        "token expired). It keeps its mutation numbers (R31); its earlier tokens stop working."
    ),
]


async def login(
    info: Info,
    email: str,
    password: str,
    client: Channel,
    device: DeviceInput | None = None,
    device_id: DeviceId = None,
) -> LoginPayload:
    """Every failure reads the same, and costs one argon2 verification either way, so the
    answer does not tell whether an email has an account. Attempts are counted per IP, and
    failures per account: past either limit the answer is RATE_LIMITED until the window ends.
    An attempt counts as a failure until its password is found right."""
    email = inputs.email(email)
    named = device_input(device, client)
    if device_id is not None and client is not Channel.APP:
        raise BadUserInput("Only the app signs in with a device.", field="deviceId")
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
    if named is not None and device_id is not None:
        named = (*named[:2], await _own_device(info, device_id, row.id))
    async with info.context.db.transaction() as connection:
        await forget_failed_logins(connection, email)
        await record_activity(connection, user_id=row.id, kind=ActivityKind.SIGN_IN)
    return await sign_in(info, viewer_from_row(row, client), named)


async def _own_device(info: Info, device_id: str, user_id: int) -> int:
    """The key of `deviceId`, checked once the password is: the user's own device, not revoked.
    Anything else (somebody else's, revoked, missing, of another type, malformed) reads alike,
    the one answer of an anonymous field, and nothing is written."""
    try:
        pk = expect_id(device_id, "Device", field="deviceId")
    except ServiceError:
        pk = None
    if pk is None or await info.context.db.fetch_one(devices.own_device(pk, user_id)) is None:
        raise BadUserInput(NO_SUCH_DEVICE, field="deviceId")
    return pk


def device_input(device: DeviceInput | None, client: Channel) -> tuple[str, str | None, int | None] | None:
    """(name, app version, id of a device signing in again) for the app; the web has none."""
    if client is not Channel.APP:
        if device is not None:
            raise BadUserInput("Only the app signs in with a device.", field="device")
        return None
    if device is None:
        return DEFAULT_DEVICE_NAME, None, None
    name = inputs.text(device.name, "name", DEVICE_NAME_LENGTH)
    version = inputs.optional_text(device.app_version, "appVersion", APP_VERSION_LENGTH)
    return name, version, None


async def sign_in(
    info: Info, viewer: Viewer, device: tuple[str, str | None, int | None] | None
) -> LoginPayload:
    """The payload of a sign-in: a web token, or on the app a device (new, or the viewer's
    own signing in again) with its first pair of tokens."""
    context, settings = info.context, info.context.settings
    if viewer.channel is not Channel.APP:
        token, expires_at = issue_token(settings, viewer.id, viewer.channel)
        context.become(viewer)
        return _payload(token, expires_at, viewer.id)
    name, version, again = device or (DEFAULT_DEVICE_NAME, None, None)
    refresh, refresh_hash = new_refresh_token()
    async with context.db.transaction() as connection:
        if again is None:
            device_id = await devices.register(
                connection, viewer, name, version, refresh_hash, settings.app_refresh_token_days
            )
            generation = 1
        else:
            generation = await devices.sign_in_again(
                connection, viewer, again, name, version, refresh_hash, settings.app_refresh_token_days
            )
            if generation is None:
                raise BadUserInput(NO_SUCH_DEVICE, field="deviceId")
            device_id = again
    token, expires_at = issue_token(settings, viewer.id, Channel.APP, (device_id, generation))
    context.become(dataclasses.replace(viewer, channel=Channel.APP, device_id=device_id))
    return _payload(token, expires_at, viewer.id, refresh, device_id)


def _payload(
    token: str, expires_at: int, user_id: int, refresh: str | None = None, device_id: int | None = None
) -> LoginPayload:
    return types.auth.LoginPayload(
        token=token,
        expires_at=datetime.fromtimestamp(expires_at, UTC),
        refresh_token=refresh,
        user_id=user_id,
        device_id=device_id,
    )


async def refresh_session(info: Info, refresh_token: str) -> LoginPayload:
    """Trade the app's refresh token for a new access token and refresh token (R30). A refresh
    token is accepted while no pair issued after it has been used, so an app whose answer was
    lost may send the same one again; one presented after a later pair was used revokes the
    device. Every refusal reads alike: UNAUTHENTICATED, sign in again."""
    context, settings = info.context, info.context.settings
    refused = Unauthenticated("This refresh token is invalid, expired or revoked: sign in again.")
    if not 0 < len(refresh_token) <= REFRESH_TOKEN_LENGTH:
        raise refused
    refresh, refresh_hash = new_refresh_token()
    async with context.db.transaction() as connection:
        refreshed = await devices.rotate(
            connection, refresh_token_hash(refresh_token), refresh_hash, settings.app_refresh_token_days
        )
    if refreshed is None:
        raise refused
    if refreshed.reused:
        close_sockets_of(context, [refreshed.device_id])
        raise refused
    row = await context.db.fetch_one(VIEWER_BY_ID, {"viewer_id": refreshed.user_id})
    if row is None:
        raise refused
    generation = refreshed.generation
    token, expires_at = issue_token(settings, row.id, Channel.APP, (refreshed.device_id, generation))
    context.become(viewer_from_row(row, Channel.APP, device_id=refreshed.device_id))
    return _payload(token, expires_at, row.id, refresh, refreshed.device_id)


async def user(root: LoginPayload, info: Info) -> User | None:
    """The user signed in, as they see themselves."""
    return await node_types.load(info, types.people.User, root.user_id)


async def device(root: LoginPayload, info: Info) -> Device | None:
    """The device signed in (the app only)."""
    return await node_types.load(info, types.devices.Device, root.device_id)
