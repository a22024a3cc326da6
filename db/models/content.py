"""What a buyer can be shown, and the ordered lists that collect it (R11)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from salescoord.db.models.base import NEVER_REUSE_IDS, created_at_field, moment_field
from sqlmodel import Field, SQLModel

# What each text field holds at most: the column's length, and what the API accepts (R23).
CONTENT_TITLE_LENGTH = 200
REFERENCE_LENGTH = 500
LIST_NAME_LENGTH = 200
CLIENT_ID_LENGTH = 36  # a UUID in its canonical form: the id the app gives what it creates (R31)
ITEM_NOTE_LENGTH = 5_000


class ContentKind(StrEnum):
    PRODUCT = "PRODUCT"
    LOOKBOOK = "LOOKBOOK"
    VIDEO = "VIDEO"
    DOCUMENT = "DOCUMENT"


class ListKind(StrEnum):
    """PERSONAL and GLOBAL lists belong to their owner; a BUYER list is an AM's for one buyer (R11)."""

    PERSONAL = "PERSONAL"
    GLOBAL = "GLOBAL"
    BUYER = "BUYER"


class Content(SQLModel, table=True):
    __tablename__ = "contents"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=CONTENT_TITLE_LENGTH, index=True)
    kind: str = Field(max_length=20)  # a ContentKind
    reference: str = Field(max_length=REFERENCE_LENGTH)  # SKU or URL
    created_at: datetime = created_at_field()
    # set while archived: kept wherever it is used already, no longer offered (R34)
    archived_at: datetime | None = moment_field()


class List(SQLModel, table=True):
    """PERSONAL and GLOBAL lists belong to their owner; a BUYER list is an AM's list for a buyer."""

    __tablename__ = "lists"
    __table_args__ = (
        sa.Index("ix_lists_kind_name", "kind", "name"),
        sa.Index("uq_lists_owner_client_id", "owner_id", "client_id", unique=True),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="users.id", index=True)
    kind: str = Field(max_length=20)  # a ListKind
    name: str = Field(max_length=LIST_NAME_LENGTH)
    buyer_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    version: int = Field(default=1)
    client_id: str | None = Field(default=None, max_length=CLIENT_ID_LENGTH)  # its creator's UUID (R31)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class ListItem(SQLModel, table=True):
    __tablename__ = "list_items"
    __table_args__ = (
        sa.Index("ix_list_items_list_position", "list_id", "position"),
        sa.Index("uq_list_items_creator_client_id", "created_by_id", "client_id", unique=True),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    list_id: int = Field(foreign_key="lists.id", ondelete="CASCADE")
    content_id: int = Field(foreign_key="contents.id", index=True)
    position: int
    note: str | None = Field(default=None, max_length=ITEM_NOTE_LENGTH)
    version: int = Field(default=1)
    # who added it (null for items added before this was recorded) and the UUID their app gave it
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    client_id: str | None = Field(default=None, max_length=CLIENT_ID_LENGTH)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
