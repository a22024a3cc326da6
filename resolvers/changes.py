"""`changes(since:, first:)`: the change feed for the app (R18). What the feed holds and how
cursors age are `salescoord.sync.feed` and `salescoord.sync.cursors`; here its entries become
the objects the viewer may see now. `since: null` starts a client: no entries, a cursor at
the head (take the snapshot after).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from salescoord.db.models.sync import ChangeKind
from salescoord.db.queries.pages import MAX_PAGE_SIZE
from salescoord.resolvers.node import MAX_NODES, nodes
from salescoord.schema import types
from salescoord.schema.ids import encode_id

from salescoord.context import Info
from salescoord.errors import BadUserInput
from salescoord.sync import feed
from salescoord.sync.cursors import cursor_at, position_of, purge_now_and_then

if TYPE_CHECKING:
    from salescoord.schema.node import Node
    from salescoord.schema.types.changes import Change, ChangeFeed


async def changes(info: Info, since: str | None = None, first: int = 100) -> ChangeFeed:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise BadUserInput(f"first must be between 1 and {MAX_PAGE_SIZE}.", field="first")
    db, settings, viewer_id = info.context.db, info.context.settings, info.context.viewer.id
    await purge_now_and_then(db, settings)
    if since is None:
        return types.changes.ChangeFeed(
            entries=[], cursor=await sync_cursor(info), has_more=False, caught_up=True
        )
    page = await feed.read(db, info.context.scope, position_of(since, settings, viewer_id), first)
    ids = [encode_id(entry.node_type, entry.pk) for entry in page.entries]
    upserted = sorted(
        {id for id, entry in zip(ids, page.entries, strict=True) if entry.kind is ChangeKind.UPSERT}
    )
    found = dict(zip(upserted, await _nodes(info, upserted), strict=True))  # one lookup per type
    built = [
        types.changes.Change(
            kind=entry.kind,
            type_name=entry.type_name,
            id=id,
            meeting_id=encode_id("Meeting", entry.meeting_pk) if entry.meeting_pk is not None else None,
            found=found.get(id),
        )
        for id, entry in zip(ids, page.entries, strict=True)
        if entry.kind is not ChangeKind.UPSERT or found[id] is not None  # out of sight since: not for you
    ]
    return types.changes.ChangeFeed(
        entries=built,
        cursor=cursor_at(page.position, settings, viewer_id),
        has_more=page.more,
        caught_up=page.caught_up,
    )


async def _nodes(info: Info, ids: list[str]) -> list[Node | None]:
    """`nodes(ids:)` in slices of its bound: a page's entries may name more objects than it."""
    found: list[Node | None] = []
    for start in range(0, len(ids), MAX_NODES):
        found += await nodes(info, ids[start : start + MAX_NODES])
    return found


async def sync_cursor(info: Info) -> str:
    """`syncCursor`: the feed's cursor at its head now, for an app about to take a snapshot
    (the same as `changes(since: null)`). Take it *before* reading the snapshot: changes
    committed meanwhile come again in the feed, and applying them twice is harmless."""
    position = await feed.start(info.context.db)
    return cursor_at(position, info.context.settings, info.context.viewer.id)


def node(root: Change) -> Node | None:
    """Found when the feed was read, through the viewer's scope: an UPSERT's object."""
    return root.found
