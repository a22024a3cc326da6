"""The app's devices (R30): who signed in where, their refresh tokens, and the outcomes of
their numbered mutations (R31)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from salescoord.db.models.base import NEVER_REUSE_IDS, UTCDateTime, created_at_field, moment_field
from sqlmodel import Field, SQLModel

DEVICE_NAME_LENGTH = 100
APP_VERSION_LENGTH = 40


class Device(SQLModel, table=True):
    """One sign-in of the app (R30). `generation` numbers the device's current access and
    refresh token pair (each refresh issues the next); `used_generation` is the newest pair
    the app has been seen using (a refresh with its refresh token, or a request with its
    access token): what tells a lost refresh answer from a stolen token. `last_mutation_number`
    is the number of the device's last applied mutation (R31)."""

    __tablename__ = "devices"
    __table_args__ = (sa.Index("ix_devices_user_id", "user_id"), NEVER_REUSE_IDS)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    name: str = Field(max_length=DEVICE_NAME_LENGTH)
    app_version: str | None = Field(default=None, max_length=APP_VERSION_LENGTH)
    created_at: datetime = created_at_field()
    last_seen_at: datetime = created_at_field()
    revoked_at: datetime | None = moment_field()
    revoked_reason: str | None = Field(default=None, max_length=40)
    generation: int = Field(default=1)
    used_generation: int = Field(default=0)
    last_mutation_number: int = Field(default=0, sa_type=sa.BigInteger, nullable=False)


class RefreshToken(SQLModel, table=True):
    """A refresh token a device was given, by the SHA-256 of its text (the text itself is never
    stored): kept, also once rotated, until it expires, so that a reused one is recognised."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (sa.Index("ix_refresh_tokens_device_id", "device_id"),)

    token_hash: str = Field(primary_key=True, max_length=64)
    device_id: int = Field(foreign_key="devices.id", ondelete="CASCADE")
    generation: int
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class DeviceOutcome(SQLModel, table=True):
    """The outcome of one numbered mutation of a device (R31): inserted in the mutation's own
    transaction; the device's most recent ones are kept (KEPT_OUTCOMES_PER_DEVICE)."""

    __tablename__ = "device_outcomes"

    device_id: int = Field(foreign_key="devices.id", ondelete="CASCADE", primary_key=True)
    mutation_number: int = Field(sa_type=sa.BigInteger, primary_key=True, nullable=False)
    operation: str = Field(max_length=60)
    request_hash: str = Field(max_length=64)
    result_type: str | None = Field(default=None, max_length=40)
    result_id: int | None = None
    created_at: datetime = created_at_field()
