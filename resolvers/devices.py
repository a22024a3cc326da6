"""The app's devices (R30): listing them, signing out, revoking one. A revocation reaches
every server process: its sockets close at once (`salescoord.sockets`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import strawberry
from salescoord.db.queries import devices as queries
from salescoord.resolvers import node_types
from salescoord.resolvers.lookups import visible_row
from salescoord.resolvers.pagination import nested_connection
from salescoord.schema import types

from salescoord.context import Context, Info

if TYPE_CHECKING:
    from salescoord.schema.types.devices import Device


# A user's devices, oldest first, as far as you may see them: your own, or everyone's for an
# admin.
devices = nested_connection(queries.DEVICES_BY_USER, lambda: types.devices.Device)


def close_sockets_of(context: Context, device_ids: Iterable[int]) -> None:
    """Once the revoking transaction has committed: this process's sockets of the devices close
    at once (any database); other processes' hear the NOTIFY (PostgreSQL) or their poll."""
    if context.devices is not None:
        for device_id in device_ids:
            context.devices.revoked(device_id)


async def _revoke(info: Info, device_id: int, because: queries.RevokedBecause) -> Device | None:
    context = info.context
    async with context.db.transaction() as connection:
        revoked = await queries.revoke(connection, context.viewer, device_id, because)
    if revoked:
        close_sockets_of(context, [device_id])
    context.refresh()
    return await node_types.load(info, types.devices.Device, device_id)


async def revoke_device(info: Info, id: strawberry.ID) -> Device | None:
    """Revoke one of your devices, or as an admin anyone's; revoking a revoked one changes
    nothing. Its tokens stop working and its sockets close, in every process."""
    row = await visible_row(info, id, types.devices.Device, "id")
    return await _revoke(info, row.id, queries.RevokedBecause.REVOKED)


async def sign_out(info: Info) -> Device | None:
    """Sign the app out: its device is revoked, as `revokeDevice` does."""
    return await _revoke(info, info.context.viewer.device_id, queries.RevokedBecause.SIGNED_OUT)
