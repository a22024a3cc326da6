"""The app's devices (R30): signing in registers one, refresh tokens rotate, and a device is
revoked by its user, an admin, signing out or a reused refresh token.

Refresh tokens rotate: each refresh answers a new access token and a new refresh token, the
next *generation* of the device's pair, and only the current generation's access token is
accepted. A refresh token is accepted when no pair issued after it has been used
(`used_generation`, the newest pair seen in use: refreshed with, or a request made with its
access token). So an app whose refresh answer was lost may present the same refresh token
again: the unused successor is retired and a new pair issued. Once a later pair has been
used, an older refresh token is a stolen copy or a replay of one, and presenting it revokes
the whole device (OAuth 2.0 Security BCP, refresh token rotation with reuse detection).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from salescoord.db.models.base import utcnow
from salescoord.db.queries.audit import record
from salescoord.db.queries.pages import Relation
from salescoord.db.queries.people import USER, VIEWER_STATEMENT
from salescoord.db.tables import devices, refresh_tokens
from salescoord.permissions.scope import Scope
from salescoord.permissions.viewer import Viewer
from sqlalchemy.ext.asyncio import AsyncConnection

DEVICE = devices.c
TOKEN = refresh_tokens.c
DEVICE_ORDER = (DEVICE.created_at, DEVICE.id)
NOTIFY_CHANNEL = "salescoord_devices"  # the payload: the revoked device's id


class RevokedBecause(enum.StrEnum):
    SIGNED_OUT = "SIGNED_OUT"
    REVOKED = "REVOKED"  # by its user or an admin
    REFRESH_TOKEN_REUSED = "REFRESH_TOKEN_REUSED"
    PASSWORD_RESET = "PASSWORD_RESET"  # whoever held the old password may hold a device too


def devices_statement(scope: Scope) -> sa.Select:
    return sa.select(*devices.c).where(scope.devices())


def _devices_of_users(scope: Scope) -> tuple[sa.Select, Any]:
    return devices_statement(scope), DEVICE.user_id


DEVICES_BY_USER = Relation("devices_by_user", _devices_of_users, DEVICE_ORDER)


# An app request's viewer and their device, read at every request with {"viewer_id", "device_id"}.
VIEWER_ON_DEVICE = (
    VIEWER_STATEMENT.add_columns(
        DEVICE.revoked_at.label("device_revoked_at"),
        DEVICE.generation.label("device_generation"),
        DEVICE.used_generation.label("device_used_generation"),
    )
    .join(devices, DEVICE.user_id == USER.id)
    .where(
        USER.id == sa.bindparam("viewer_id"),
        USER.active.is_(True),
        DEVICE.id == sa.bindparam("device_id"),
    )
)


def own_device(device_id: int, user_id: int) -> sa.Select:
    """The user's device, while it is not revoked."""
    return sa.select(DEVICE.id).where(
        DEVICE.id == device_id, DEVICE.user_id == user_id, DEVICE.revoked_at.is_(None)
    )


async def mark_used(connection: AsyncConnection, device_id: int, generation: int) -> None:
    """The pair of `generation` has been used: older refresh tokens are now reuse."""
    await connection.execute(
        devices.update()
        .where(DEVICE.id == device_id, DEVICE.used_generation < generation)
        .values(used_generation=generation, last_seen_at=utcnow())
    )


async def _store_refresh_token(
    connection: AsyncConnection, device_id: int, generation: int, token_hash: str, days: int
) -> None:
    now = utcnow()
    await connection.execute(
        refresh_tokens.insert().values(
            token_hash=token_hash,
            device_id=device_id,
            generation=generation,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )


async def register(
    connection: AsyncConnection,
    viewer: Viewer,
    name: str,
    app_version: str | None,
    token_hash: str,
    refresh_days: int,
) -> int:
    """A new device of the viewer, at generation 1, with its first refresh token."""
    now = utcnow()
    device_id = (
        await connection.execute(
            devices.insert()
            .values(
                user_id=viewer.id,
                name=name,
                app_version=app_version,
                created_at=now,
                last_seen_at=now,
                generation=1,
                used_generation=0,
                last_mutation_number=0,
            )
            .returning(DEVICE.id)
        )
    ).scalar_one()
    await _store_refresh_token(connection, device_id, 1, token_hash, refresh_days)
    await record(connection, viewer, "device.register", "Device", device_id, diff={"name": name})
    return device_id


async def sign_in_again(
    connection: AsyncConnection,
    viewer: Viewer,
    device_id: int,
    name: str,
    app_version: str | None,
    token_hash: str,
    refresh_days: int,
) -> int | None:
    """The viewer's own device, not revoked, signing in with a password again: it keeps its
    mutation numbers (R31); its earlier refresh tokens are dropped and its earlier access
    tokens stop working (the generation moves on). None for any other device."""
    device = (
        await connection.execute(
            devices.update()
            .where(DEVICE.id == device_id, DEVICE.user_id == viewer.id, DEVICE.revoked_at.is_(None))
            .values(
                name=name,
                app_version=app_version,
                last_seen_at=utcnow(),
                generation=DEVICE.generation + 1,
                used_generation=DEVICE.generation,
            )
            .returning(DEVICE.generation)
        )
    ).first()
    if device is None:
        return None
    await connection.execute(refresh_tokens.delete().where(TOKEN.device_id == device_id))
    await _store_refresh_token(connection, device_id, device.generation, token_hash, refresh_days)
    await record(connection, viewer, "device.sign_in", "Device", device_id, diff={"name": name})
    return device.generation


@dataclass(frozen=True)
class Refreshed:
    """A refresh's outcome: the new pair's generation, or `reused` (the device is revoked)."""

    device_id: int
    user_id: int
    generation: int | None
    reused: bool = False


async def rotate(
    connection: AsyncConnection, token_hash: str, new_hash: str, refresh_days: int
) -> Refreshed | None:
    """Trade a refresh token for the device's next generation; None when the token is unknown,
    expired, its device revoked or its user inactive. The device's row is locked first, so
    concurrent refreshes of one device are decided one after the other."""
    now = utcnow()
    device_of_token = sa.select(TOKEN.device_id).where(TOKEN.token_hash == token_hash).scalar_subquery()
    device = (
        await connection.execute(
            devices.update()
            .where(DEVICE.id == device_of_token, DEVICE.revoked_at.is_(None))
            .values(last_seen_at=now)
            .returning(DEVICE.id, DEVICE.user_id, DEVICE.generation, DEVICE.used_generation)
        )
    ).first()
    if device is None:
        return None
    token = (
        await connection.execute(
            sa.select(TOKEN.generation, TOKEN.expires_at).where(TOKEN.token_hash == token_hash)
        )
    ).first()
    active = (await connection.execute(sa.select(USER.active).where(USER.id == device.user_id))).scalar()
    if token is None or token.expires_at <= now or not active:
        return None
    if device.used_generation > token.generation:
        await revoke(connection, None, device.id, RevokedBecause.REFRESH_TOKEN_REUSED)
        return Refreshed(device.id, device.user_id, None, reused=True)
    generation = device.generation + 1
    await connection.execute(
        devices.update()
        .where(DEVICE.id == device.id)
        .values(generation=generation, used_generation=token.generation)
    )
    await connection.execute(
        refresh_tokens.delete().where(TOKEN.device_id == device.id, TOKEN.expires_at <= now)
    )
    await _store_refresh_token(connection, device.id, generation, new_hash, refresh_days)
    return Refreshed(device.id, device.user_id, generation)


async def revoke(
    connection: AsyncConnection, actor: Viewer | None, device_id: int, because: RevokedBecause
) -> bool:
    """Revoke the device (False: it was already)."""
    return bool(await _revoke_where(connection, actor, DEVICE.id == device_id, because))


async def revoke_every_device(
    connection: AsyncConnection, actor: Viewer | None, user_id: int, because: RevokedBecause
) -> list[int]:
    """Revoke every device of the user still signed in; the ids revoked now."""
    return await _revoke_where(connection, actor, DEVICE.user_id == user_id, because)


async def _revoke_where(
    connection: AsyncConnection, actor: Viewer | None, which: sa.ColumnElement[bool], because: RevokedBecause
) -> list[int]:
    """Revoke the devices `which` names that are not revoked yet, in one statement, and drop
    their refresh tokens; each is audited. On PostgreSQL every server process hears of each
    when the transaction commits (NOTIFY), and closes its sockets."""
    revoked = (
        (
            await connection.execute(
                devices.update()
                .where(which, DEVICE.revoked_at.is_(None))
                .values(revoked_at=utcnow(), revoked_reason=because.value)
                .returning(DEVICE.id)
            )
        )
        .scalars()
        .all()
    )
    if not revoked:
        return []
    await connection.execute(refresh_tokens.delete().where(TOKEN.device_id.in_(revoked)))
    for device_id in sorted(revoked):
        await record(connection, actor, "device.revoke", "Device", device_id, diff={"because": because.value})
        if connection.dialect.name == "postgresql":
            await connection.execute(sa.select(sa.func.pg_notify(NOTIFY_CHANNEL, str(device_id))))
    return sorted(revoked)
