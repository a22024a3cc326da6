"""Root fields for lists and content (R11, R13)."""

from __future__ import annotations

import strawberry

from permissions.enums import Channel, Permission
from permissions.guards import HasPermission, IsAuthenticated, OnChannel, ScopedBy
from resolvers import lists as resolve
from resolvers.keyed import keyed
from salescoord.context import Info
from schema.enums import ContentKind, ListKind, ScopeBasis
from schema.guards import guard, scoped
from schema.pagination import Connection
from schema.types.lists import Content, List
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
    create_list = strawberry.mutation(
        resolver=resolve.create_list,
        extensions=keyed(MAKES_LISTS),
        description="GLOBAL needs MANAGE_GLOBAL_LISTS; a BUYER list is an AM's, for one associated buyer.",
    )
    rename_list = strawberry.mutation(
        resolver=resolve.rename_list, extensions=keyed(CHANGES_LISTS), description="Your own list (R11)."
    )
    delete_list = strawberry.mutation(
        resolver=resolve.delete_list,
        extensions=keyed(CHANGES_LISTS),
        description="Your own list (R11). Returns the deleted list's id.",
    )
    add_list_item = strawberry.mutation(
        resolver=resolve.add_list_item,
        extensions=keyed(CHANGES_LISTS),
        description="At the end unless a position is given. Your own list, or through the app one "
        "attached to a meeting you host (R10).",
    )
    move_list_item = strawberry.mutation(
        resolver=resolve.move_list_item, extensions=keyed(CHANGES_LISTS), description="As addListItem."
    )
    remove_list_item = strawberry.mutation(
        resolver=resolve.remove_list_item,
        extensions=keyed(CHANGES_LISTS),
        description="As addListItem. Returns the removed item's id.",
    )
    update_list_item_note = strawberry.mutation(
        resolver=resolve.update_list_item_note,
        extensions=keyed(CHANGES_LISTS),
        description="Write an item's note over the version you read; a stale one is a CONFLICT (R17). "
        "Also on a list attached to a meeting you manage (R9); through the app, one you host (R10).",
    )

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
