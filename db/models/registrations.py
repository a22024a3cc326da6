"""Sign-up requests waiting for an SC, an AM or an admin to decide them (R6, R7)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.models.base import NEVER_REUSE_IDS, created_at_field, moment_field


class RegistrationStatus(StrEnum):
    """A registration is decided once (R7): PENDING until it is APPROVED or REJECTED."""

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class Registration(SQLModel, table=True):
    __tablename__ = "registrations"
    __table_args__ = (
        # One pending request per email, also when two arrive at once (R7's "decided once"
        # needs one request to decide): the database refuses the second.
        sa.Index(
            "ux_registrations_pending_email",
            "email",
            unique=True,
            sqlite_where=sa.text("status = 'PENDING'"),
            postgresql_where=sa.text("status = 'PENDING'"),
        ),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254, index=True)
    company_name: str = Field(max_length=200)
    requested_am_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    territory_id: int | None = Field(default=None, foreign_key="territories.id", index=True)
    company_id: int | None = Field(default=None, foreign_key="companies.id")
    message: str | None = Field(default=None, max_length=2000)
    status: str = Field(default=RegistrationStatus.PENDING, max_length=20, index=True)
    decided_by_id: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = moment_field()
    decision_reason: str | None = Field(default=None, max_length=2000)
    buyer_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = created_at_field()
