"""Rate-limit counters, kept in the database so that every server process counts the same
hits (R27) and the embedded SQLite default needs no other service (R26)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class RateCounter(SQLModel, table=True):
    """Hits of one key (an IP, a user id, an email) in one bucket, in the current fixed
    window; a row is reused for the next window and purged once long expired."""

    __tablename__ = "rate_counters"

    bucket: str = Field(primary_key=True, max_length=40)
    key: str = Field(primary_key=True, max_length=320)
    window_start: int = Field(sa_type=sa.BigInteger)  # epoch seconds
    hits: int
    expires_at: int = Field(sa_type=sa.BigInteger, index=True)  # epoch seconds
