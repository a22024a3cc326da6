"""Sign-up requests waiting for an SC, an AM or an admin to decide them (R6, R7)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from salescoord.db.models.base import NEVER_REUSE_IDS, created_at_field, moment_field
from salescoord.db.models.people import EMAIL_LENGTH
from sqlmodel import Field, SQLModel

# What each text field holds at most: the column's length, and what the API accepts (R23).
APPLICANT_NAME_LENGTH = 200
APPLICANT_COMPANY_LENGTH = 200
MESSAGE_LENGTH = 2_000
DECISION_REASON_LENGTH = 2_000


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
            sqlite_where=sa.text(f"status = '{RegistrationStatus.PENDING}'"),
            postgresql_where=sa.text(f"status = '{RegistrationStatus.PENDING}'"),
        ),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=APPLICANT_NAME_LENGTH)
    email: str = Field(max_length=EMAIL_LENGTH, index=True)
    company_name: str = Field(max_length=APPLICANT_COMPANY_LENGTH)
    requested_am_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    territory_id: int | None = Field(default=None, foreign_key="territories.id", index=True)
    company_id: int | None = Field(default=None, foreign_key="companies.id")
    message: str | None = Field(default=None, max_length=MESSAGE_LENGTH)
    status: str = Field(default=RegistrationStatus.PENDING, max_length=20, index=True)
    decided_by_id: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = moment_field()
    decision_reason: str | None = Field(default=None, max_length=DECISION_REASON_LENGTH)
    buyer_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = created_at_field()
