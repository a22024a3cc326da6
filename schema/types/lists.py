"""Lists, their items, and content (R11, R13)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from db.queries import lists as queries
from resolvers.pagination import child_connection
from resolvers.related import ToOne, one
from salescoord.context import Info
from schema.enums import ContentKind, ListKind, ScopeBasis
from schema.guards import scoped
from schema.ids import encode_id
from schema.node import Node
from schema.pagination import Connection
from schema.types.people import PAGE, User

OWNER = ToOne("owner_id")
BUYER = ToOne("buyer_id")
LIST = ToOne("list_id")
CONTENT = ToOne("content_id")

@strawberry.type(description="Something a buyer can be shown: a product, lookbook, video or document.")
class Content(Node):
    id: strawberry.ID
    title: str
    kind: ContentKind
    reference: str = strawberry.field(description="A SKU or a URL.")
    pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Any) -> Content:
        return cls(
            id=encode_id("Content", row.id),
            title=row.title,
            kind=ContentKind(row.kind),
            reference=row.reference,
            pk=row.id,
        )


@strawberry.type(description="A PERSONAL, GLOBAL or BUYER list of content, in order.")
class List(Node):
    id: strawberry.ID
    name: str
    kind: ListKind
    version: int
    updated_at: datetime
    pk: strawberry.Private[int]
    owner_id: strawberry.Private[int]
    buyer_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: Any) -> List:
        return cls(
            id=encode_id("List", row.id),
            name=row.name,
            kind=ListKind(row.kind),
            version=row.version,
            updated_at=row.updated_at,
            pk=row.id,
            owner_id=row.owner_id,
            buyer_id=row.buyer_id,
        )

    @strawberry.field(extensions=[scoped(), OWNER])
    def owner(self, info: Info) -> User | None:
        return one(info, OWNER, self)

    @strawberry.field(extensions=[scoped(), BUYER], description="The buyer a BUYER list is for.")
    def buyer(self, info: Info) -> User | None:
        return one(info, BUYER, self)

    @strawberry.field(extensions=[scoped(ScopeBasis.LIST_ACCESS)])
    async def items(self, info: Info, first: int = PAGE, after: str | None = None) -> Connection[ListItem]:
        return await child_connection(info, queries.ITEMS_BY_LIST, self.pk, first, after, ListItem.from_row)


@strawberry.type(description="One entry of a list: content at a position, with a note (R17).")
class ListItem(Node):
    id: strawberry.ID
    position: int
    note: str | None
    version: int
    updated_at: datetime
    pk: strawberry.Private[int]
    list_id: strawberry.Private[int]
    content_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Any) -> ListItem:
        return cls(
            id=encode_id("ListItem", row.id),
            position=row.position,
            note=row.note,
            version=row.version,
            updated_at=row.updated_at,
            pk=row.id,
            list_id=row.list_id,
            content_id=row.content_id,
        )

    def snapshot(self) -> dict[str, Any]:
        """The item as a CONFLICT carries it (R17)."""
        return {"id": self.id, "version": self.version, "note": self.note}

    @strawberry.field(extensions=[scoped(ScopeBasis.LIST_ACCESS), LIST])
    def list(self, info: Info) -> List | None:
        return one(info, LIST, self)

    @strawberry.field(extensions=[scoped(ScopeBasis.CATALOGUE), CONTENT])
    def content(self, info: Info) -> Content | None:
        return one(info, CONTENT, self)
