"""Users, their roles, and the two relationships that make up every scope (R1, R2)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from salescoord.db.models.base import NEVER_REUSE_IDS, created_at_field, moment_field
from sqlmodel import Field, SQLModel

# What each text field holds at most: the column's length, and what the API accepts (R23).
EMAIL_LENGTH = 254  # RFC 5321's longest path
USER_NAME_LENGTH = 200


ROLE_NAME_LENGTH = 40
BUILT_IN_ROLE_IDS = {"ADMIN": 1, "ACCOUNT_MANAGER": 2, "SALES_COORDINATOR": 3, "BUYER": 4}
"""The built-in roles' ids, given by the migration that made roles addressable (R34)."""


class Role(SQLModel, table=True):
    """A role: the four built-in ones (named as their kind, never renamed or deleted) and the
    custom ones admins make (R34). `kind` (ADMIN, ACCOUNT_MANAGER, SALES_COORDINATOR, BUYER)
    is fixed when the role is made and decides its holders' scope; `permissions` are free.
    `name` is the key the users' kind refers to, which is why only a custom role, whose name
    nobody refers to, may be renamed; `id` is the role's stable identity."""

    __tablename__ = "roles"
    __table_args__ = (sa.Index("ix_roles_id", "id", unique=True),)

    name: str = Field(primary_key=True, max_length=ROLE_NAME_LENGTH)
    id: int = Field(nullable=False)
    kind: str = Field(max_length=40, nullable=False)
    built_in: bool = Field(default=False, nullable=False)
    permissions: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    updated_at: datetime = created_at_field()


class User(SQLModel, table=True):
    """Every person: admins, account managers, sales coordinators and buyers.

    A buyer has a company and may have one direct account manager; for the
    other roles both stay empty. `role` is the kind of the user's role, which is what every
    scope reads (R1-R13): for a built-in role its name. `role_id` names a custom role of that
    kind, or is null for the built-in role of that name (R34).
    """

    __tablename__ = "users"
    __table_args__ = (
        # every list of users is read in (name, id) order: by this index, with no sort (0015)
        sa.Index("ix_users_role_name_id", "role", "name", "id"),
        # the direct-buyer half of every scope (R1 a): a few rows of the table, by index
        sa.Index("ix_users_direct_am_id_role", "direct_am_id", "role"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=EMAIL_LENGTH, unique=True)  # stored lower-cased
    name: str = Field(max_length=USER_NAME_LENGTH)
    role: str = Field(foreign_key="roles.name", max_length=40)
    role_id: int | None = Field(default=None, foreign_key="roles.id", index=True)
    active: bool = Field(default=True)
    password_hash: str | None = Field(default=None, max_length=200)
    company_id: int | None = Field(default=None, foreign_key="companies.id", index=True)
    direct_am_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    # Web sign-ins made before this moment no longer stand: a new password ends them (R29).
    sessions_valid_from: datetime | None = moment_field()


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
