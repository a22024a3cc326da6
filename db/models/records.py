"""What the service keeps of itself: email outbox (R20), audit trail (R25), activity (R12)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from salescoord.db.models.base import NEVER_REUSE_IDS, created_at_field, json_field, moment_field
from sqlmodel import Field, SQLModel


class EmailStatus(StrEnum):
    """PENDING until a worker claims it (SENDING, under a lease), then SENT, or FAILED for good (R20)."""

    PENDING = "PENDING"
    SENDING = "SENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class PeriodUnit(StrEnum):
    """How reporting buckets activity in time (R12); the values are PostgreSQL's `date_trunc` units."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Email(SQLModel, table=True):
    __tablename__ = "emails"
    __table_args__ = (sa.Index("ix_emails_status_next_attempt", "status", "next_attempt_at"), NEVER_REUSE_IDS)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)  # REGISTRATION_NOTICE, DECISION_NOTICE, INVITATION, PASSWORD_RESET, ...
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body_text: str
    body_html: str | None = None
    # whose set-password link the worker writes in at sending time: never the link itself (R32)
    set_password_user_id: int | None = Field(default=None, foreign_key="users.id")
    status: str = Field(default=EmailStatus.PENDING, max_length=20)
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = moment_field()
    last_error: str | None = Field(default=None, max_length=2000)
    message_id: str | None = Field(default=None, max_length=300)
    sent_at: datetime | None = moment_field()
    created_at: datetime = created_at_field()


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    action: str = Field(max_length=80, index=True)
    object_type: str = Field(max_length=40)
    object_id: int | None = None
    on_behalf_of_id: int | None = Field(default=None, foreign_key="users.id")
    diff: dict[str, Any] | None = json_field()
    at: datetime = created_at_field()


class Activity(SQLModel, table=True):
    """One row per countable event; reporting aggregates these in SQL (R12)."""

    __tablename__ = "activities"
    __table_args__ = (sa.Index("ix_activities_user_at", "user_id", "at"), NEVER_REUSE_IDS)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    kind: str = Field(max_length=40)  # MEETING_HELD, NOTE_WRITTEN, ITEM_ADDED, SUMMARY_SENT, ...
    subject_id: int | None = Field(default=None, foreign_key="users.id")
    meeting_id: int | None = Field(default=None, foreign_key="meetings.id")
    at: datetime = created_at_field()
