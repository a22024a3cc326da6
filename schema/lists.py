"""Root fields for lists and content (R11, R13)."""

from __future__ import annotations

import strawberry
from salescoord.permissions.enums import Channel, Permission
from salescoord.permissions.guards import HasPermission, IsAuthenticated, OnChannel, ScopedBy
from salescoord.resolvers import catalogue
from salescoord.resolvers import lists as resolve
from salescoord.resolvers.keyed import keyed
from salescoord.schema.enums import ScopeBasis
from salescoord.schema.guards import guard, scoped
from salescoord.schema.pagination import Connection
from salescoord.schema.types.lists import Content, List, ListItem

KEEPS_CATALOGUE = [
    guard(
        HasPermission(Permission.MANAGE_GLOBAL_LISTS), OnChannel(Channel.WEB), ScopedBy(ScopeBasis.CATALOGUE)
    )
]
MAKES_LISTS = [guard(IsAuthenticated(), ScopedBy(ScopeBasis.LIST_ACCESS))]
CHANGES_LISTS = [guard(IsAuthenticated(), ScopedBy(ScopeBasis.LIST_CHANGES))]


@strawberry.type
class ListsQuery:
    lists: Connection[List] = strawberry.field(
        resolver=resolve.lists,
        extensions=[scoped(ScopeBasis.LISTS_SECTION)],
        description="The Lists section: your lists and every GLOBAL list; a buyer's shared lists (R11).",
    )
    contents: Connection[Content] = strawberry.field(
        resolver=resolve.contents,
        extensions=[scoped(ScopeBasis.CATALOGUE)],
        description="The content catalogue, by title: what is offered, and with includeArchived "
        "the archived content too (R34).",
    )


@strawberry.type
class ListsMutation:
    create_list: List | None = strawberry.mutation(
        resolver=resolve.create_list,
        extensions=keyed(MAKES_LISTS, also_keyed_by="client_id", added_later=("client_id",)),
        description="GLOBAL needs MANAGE_GLOBAL_LISTS; a BUYER list is an AM's, for one associated buyer.",
    )
    rename_list: List | None = strawberry.mutation(
        resolver=resolve.rename_list, extensions=keyed(CHANGES_LISTS), description="Your own list (R11)."
    )
    delete_list: strawberry.ID = strawberry.mutation(
        resolver=resolve.delete_list,
        extensions=keyed(CHANGES_LISTS),
        description="Your own list (R11). Returns the deleted list's id.",
    )
    add_list_item: ListItem | None = strawberry.mutation(
        resolver=resolve.add_list_item,
        extensions=keyed(CHANGES_LISTS, also_keyed_by="client_id", added_later=("client_id",)),
        description="At the end unless a position is given. Your own list, or through the app one "
        "attached to a meeting you host (R10).",
    )
    move_list_item: ListItem | None = strawberry.mutation(
        resolver=resolve.move_list_item, extensions=keyed(CHANGES_LISTS), description="As addListItem."
    )
    remove_list_item: strawberry.ID = strawberry.mutation(
        resolver=resolve.remove_list_item,
        extensions=keyed(CHANGES_LISTS),
        description="As addListItem. Returns the removed item's id.",
    )
    update_list_item_note: ListItem | None = strawberry.mutation(
        resolver=resolve.update_list_item_note,
        extensions=keyed(CHANGES_LISTS),
        description="Write an item's note over the version you read; a stale one is a CONFLICT (R17). "
        "Also on a list attached to a meeting you manage (R9); through the app, one you host (R10).",
    )
    create_content: Content = strawberry.mutation(
        resolver=resolve.create_content,
        extensions=KEEPS_CATALOGUE,
        description="The catalogue is kept on the web.",
    )
    update_content: Content | None = strawberry.mutation(
        resolver=catalogue.update_content,
        extensions=keyed(KEEPS_CATALOGUE),
        description="Change a title, kind or reference; the rest stays (R34).",
    )
    archive_content: Content | None = strawberry.mutation(
        resolver=catalogue.archive_content,
        extensions=keyed(KEEPS_CATALOGUE),
        description="No longer offered: left out of the catalogue and refused by addListItem; kept on "
        "the lists and meetings that use it (R34).",
    )
    restore_content: Content | None = strawberry.mutation(
        resolver=catalogue.restore_content,
        extensions=keyed(KEEPS_CATALOGUE),
        description="Offer archived content again (R34).",
    )
