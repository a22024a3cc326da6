"""Territories (a tree: region › territory) and the companies that sit in them."""

from __future__ import annotations

from datetime import datetime

from salescoord.db.models.base import NEVER_REUSE_IDS, created_at_field
from sqlmodel import Field, SQLModel

# What each text field holds at most: the column's length, and what the API accepts (R23).
TERRITORY_NAME_LENGTH = 200
COMPANY_NAME_LENGTH = 200


class Territory(SQLModel, table=True):
    __tablename__ = "territories"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=TERRITORY_NAME_LENGTH)
    parent_id: int | None = Field(default=None, foreign_key="territories.id", index=True)
    created_at: datetime = created_at_field()


class Company(SQLModel, table=True):
    __tablename__ = "companies"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=COMPANY_NAME_LENGTH, index=True)
    territory_id: int = Field(foreign_key="territories.id", index=True)
    created_at: datetime = created_at_field()
