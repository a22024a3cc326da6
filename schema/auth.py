"""Signing in (R4): the only root fields besides `register` open to anonymous callers; and the
app's devices (R30): refreshing, signing out, revoking."""

from __future__ import annotations

import strawberry
from salescoord.permissions.enums import Channel, ScopeBasis
from salescoord.permissions.guards import OnChannel, ScopedBy
from salescoord.resolvers import auth as resolve
from salescoord.resolvers import devices as resolve_devices
from salescoord.schema.guards import guard, scoped
from salescoord.schema.types.auth import LoginPayload
from salescoord.schema.types.devices import Device


@strawberry.type
class AuthMutation:
    login: LoginPayload = strawberry.mutation(
        resolver=resolve.login,
        description="Sign in for one client: WEB for the CMS, APP for the iPad (R10). On the app "
        "it registers `device` and answers a refresh token as well (R30).",
    )
    refresh_session: LoginPayload = strawberry.mutation(
        resolver=resolve.refresh_session,
        description="The app's next pair of tokens for its refresh token (R30). Sending the same "
        "refresh token again is accepted until the pair it was traded for has been used; after "
        "that it is reuse, and the device is revoked.",
    )
    sign_out: Device | None = strawberry.mutation(
        resolver=resolve_devices.sign_out,
        extensions=[guard(OnChannel(Channel.APP), ScopedBy(ScopeBasis.DEVICE))],
        description="Sign the app out: its device is revoked, its tokens and sockets end (R30).",
    )
    revoke_device: Device | None = strawberry.mutation(
        resolver=resolve_devices.revoke_device,
        extensions=[scoped(ScopeBasis.DEVICE)],
        description="Revoke one of your devices (an admin: anyone's). Its tokens stop working and its "
        "sockets close at once, in every server process (R30).",
    )
