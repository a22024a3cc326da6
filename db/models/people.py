"""Users, their roles, and the two relationships that make up every scope (R1, R2)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from salescoord.db.models.base import NEVER_REUSE_IDS, created_at_field
from sqlmodel import Field, SQLModel

# What each text field holds at most: the column's length, and what the API accepts (R23).
EMAIL_LENGTH = 254  # RFC 5321's longest path
USER_NAME_LENGTH = 200


class Role(SQLModel, table=True):
    __tablename__ = "roles"

    name: str = Field(primary_key=True, max_length=40)
    permissions: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    updated_at: datetime = created_at_field()


class User(SQLModel, table=True):
    """Every person: admins, account managers, sales coordinators and buyers.

    A buyer has a company and may have one direct account manager; for the
    other roles both stay empty.
    """

    __tablename__ = "users"
    __table_args__ = (
        sa.Index("ix_users_role_name", "role", "name"),
        # the direct-buyer half of every scope (R1 a): a few rows of the table, by index
        sa.Index("ix_users_direct_am_id_role", "direct_am_id", "role"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=EMAIL_LENGTH, unique=True)  # stored lower-cased
    name: str = Field(max_length=USER_NAME_LENGTH)
    role: str = Field(foreign_key="roles.name", max_length=40)
    active: bool = Field(default=True)
    password_hash: str | None = Field(default=None, max_length=200)
    company_id: int | None = Field(default=None, foreign_key="companies.id", index=True)
    direct_am_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class AccountManagerCoordinator(SQLModel, table=True):
    """AM ↔ SC: one AM has many SCs, one SC supports many AMs (R5)."""

    __tablename__ = "account_manager_coordinators"

    am_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
    sc_id: int = Field(foreign_key="users.id", primary_key=True, index=True, ondelete="CASCADE")
    created_at: datetime = created_at_field()


class AccountManagerTerritory(SQLModel, table=True):
    __tablename__ = "account_manager_territories"

    am_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
    territory_id: int = Field(foreign_key="territories.id", primary_key=True, index=True, ondelete="CASCADE")
    created_at: datetime = created_at_field()
