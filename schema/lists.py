"""Root fields for lists and content (R11, R13)."""

from __future__ import annotations

import strawberry

from permissions.enums import Channel, Permission
from permissions.guards import HasPermission, IsAuthenticated, OnChannel, ScopedBy
from resolvers import lists as resolve
from salescoord.context import Info
from schema.enums import ContentKind, ListKind, ScopeBasis
from schema.guards import guard, scoped
from schema.keys import Key
from schema.pagination import Connection
from schema.types.lists import Content, List, ListItem
from schema.types.people import PAGE

MAKES_LISTS = [guard(IsAuthenticated(), ScopedBy(ScopeBasis.LIST_ACCESS))]
CHANGES_LISTS = [guard(IsAuthenticated(), ScopedBy(ScopeBasis.LIST_CHANGES))]


@strawberry.type
class ListsQuery:
    @strawberry.field(
        extensions=[scoped(ScopeBasis.LISTS_SECTION)],
        description="The Lists section: your lists and every GLOBAL list; a buyer's shared lists (R11).",
    )
    async def lists(
        self,
        info: Info,
        first: int = PAGE,
        after: str | None = None,
        kind: ListKind | None = None,
    ) -> Connection[List]:
        return await resolve.lists(info, first, after, kind)

    @strawberry.field(
        extensions=[scoped(ScopeBasis.CATALOGUE)], description="The content catalogue, by title."
    )
    async def contents(
        self, info: Info, first: int = PAGE, after: str | None = None, search: str | None = None
    ) -> Connection[Content]:
        return await resolve.contents(info, first, after, search)


@strawberry.type
class ListsMutation:
    @strawberry.mutation(
        extensions=MAKES_LISTS,
        description="GLOBAL needs MANAGE_GLOBAL_LISTS; a BUYER list is an AM's, for one associated buyer.",
    )
    async def create_list(
        self,
        info: Info,
        name: str,
        kind: ListKind,
        buyer_id: strawberry.ID | None = None,
        client_mutation_id: Key = None,
    ) -> List | None:
        return await resolve.create_list(info, name, kind, buyer_id, client_mutation_id)

    @strawberry.mutation(extensions=CHANGES_LISTS, description="Your own list (R11).")
    async def rename_list(
        self, info: Info, id: strawberry.ID, name: str, client_mutation_id: Key = None
    ) -> List | None:
        return await resolve.rename_list(info, id, name, client_mutation_id)

    @strawberry.mutation(
        extensions=CHANGES_LISTS, description="Your own list (R11). Returns the deleted list's id."
    )
    async def delete_list(
        self, info: Info, id: strawberry.ID, client_mutation_id: Key = None
    ) -> strawberry.ID:
        return await resolve.delete_list(info, id, client_mutation_id)

    @strawberry.mutation(
        extensions=CHANGES_LISTS,
        description="At the end unless a position is given. Your own list, or through the app one "
        "attached to a meeting you host (R10).",
    )
    async def add_list_item(
        self,
        info: Info,
        list_id: strawberry.ID,
        content_id: strawberry.ID,
        position: int | None = None,
        note: str | None = None,
        client_mutation_id: Key = None,
    ) -> ListItem | None:
        return await resolve.add_list_item(info, list_id, content_id, position, note, client_mutation_id)

    @strawberry.mutation(extensions=CHANGES_LISTS, description="As addListItem.")
    async def move_list_item(
        self, info: Info, id: strawberry.ID, position: int, client_mutation_id: Key = None
    ) -> ListItem | None:
        return await resolve.move_list_item(info, id, position, client_mutation_id)

    @strawberry.mutation(
        extensions=CHANGES_LISTS, description="As addListItem. Returns the removed item's id."
    )
    async def remove_list_item(
        self, info: Info, id: strawberry.ID, client_mutation_id: Key = None
    ) -> strawberry.ID:
        return await resolve.remove_list_item(info, id, client_mutation_id)

    @strawberry.mutation(
        extensions=CHANGES_LISTS,
        description="Write an item's note over the version you read; a stale one is a CONFLICT (R17). "
        "Also on a list attached to a meeting you manage (R9); through the app, one you host (R10).",
    )
    async def update_list_item_note(
        self,
        info: Info,
        id: strawberry.ID,
        note: str | None,
        version: int,
        client_mutation_id: Key = None,
    ) -> ListItem | None:
        return await resolve.update_list_item_note(info, id, note, version, client_mutation_id)

    @strawberry.mutation(
        extensions=[
            guard(
                HasPermission(Permission.MANAGE_GLOBAL_LISTS),
                OnChannel(Channel.WEB),
                ScopedBy(ScopeBasis.CATALOGUE),
            )
        ],
        description="The catalogue is kept on the web.",
    )
    async def create_content(self, info: Info, title: str, kind: ContentKind, reference: str) -> Content:
        return await resolve.create_content(info, title, kind, reference)
