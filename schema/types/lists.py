"""Lists, their items, and content (R11, R13)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from salescoord.resolvers import lists as resolve
from salescoord.resolvers.lookups import own_client_id
from salescoord.resolvers.related import ToOne
from salescoord.schema.enums import ContentKind, ListKind, ScopeBasis
from salescoord.schema.guards import scoped
from salescoord.schema.ids import encode_id
from salescoord.schema.node import Node
from salescoord.schema.pagination import Connection
from salescoord.schema.types.people import User
from salescoord.schema.types.visibility import Visibility, explained

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
    archived_at: datetime | None = strawberry.field(
        description="When it was archived: no longer offered, still on the lists that use it (R34)."
    )
    pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Any) -> Content:
        return cls(
            id=encode_id("Content", row.id),
            title=row.title,
            kind=ContentKind(row.kind),
            reference=row.reference,
            archived_at=row.archived_at,
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
    creator_id: strawberry.Private[int]
    stored_client_id: strawberry.Private[str | None]
    client_id: strawberry.ID | None = strawberry.field(
        resolver=own_client_id,
        description="The UUID your app gave it when it made it (R31); null when someone else made it.",
    )
    owner: User | None = strawberry.field(resolver=resolve.owner, extensions=[scoped(), OWNER])
    buyer: User | None = strawberry.field(
        resolver=resolve.buyer, extensions=[scoped(), BUYER], description="The buyer a BUYER list is for."
    )
    items: Connection[ListItem] = strawberry.field(
        resolver=resolve.items, extensions=[scoped(ScopeBasis.LIST_ACCESS)]
    )
    visibility: Visibility | None = explained("list")

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
            creator_id=row.owner_id,
            stored_client_id=row.client_id,
        )


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
    creator_id: strawberry.Private[int | None]
    stored_client_id: strawberry.Private[str | None]
    client_id: strawberry.ID | None = strawberry.field(
        resolver=own_client_id,
        description="The UUID your app gave it when it made it (R31); null when someone else made it.",
    )
    list: List | None = strawberry.field(
        resolver=resolve.item_list, extensions=[scoped(ScopeBasis.LIST_ACCESS), LIST]
    )
    content: Content | None = strawberry.field(
        resolver=resolve.content, extensions=[scoped(ScopeBasis.CATALOGUE), CONTENT]
    )

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
            creator_id=row.created_by_id,
            stored_client_id=row.client_id,
        )

    def snapshot(self) -> dict[str, Any]:
        """The item as a CONFLICT carries it (R17)."""
        return {"id": self.id, "version": self.version, "note": self.note}
