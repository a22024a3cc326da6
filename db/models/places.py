"""Territories (a tree: region › territory) and the companies that sit in them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from db.models.base import NEVER_REUSE_IDS, created_at_field


class Territory(SQLModel, table=True):
    __tablename__ = "territories"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    parent_id: int | None = Field(default=None, foreign_key="territories.id", index=True)
    created_at: datetime = created_at_field()


class Company(SQLModel, table=True):
    __tablename__ = "companies"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    territory_id: int = Field(foreign_key="territories.id", index=True)
    created_at: datetime = created_at_field()
