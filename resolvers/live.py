"""`meetingChanges(meetingId:)`: one meeting's changes as they commit (R19), each object as the
viewer may see it when it is delivered. When and how the subscription looks is
`salescoord.sync.live`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

import strawberry
from salescoord.db.loaders import Loaders
from salescoord.db.models.sync import ChangeKind
from salescoord.resolvers import node_types
from salescoord.resolvers.lookups import primary_keys
from salescoord.schema import types
from salescoord.schema.ids import encode_id

from salescoord.context import Info
from salescoord.errors import Unauthenticated
from salescoord.sync import live
from salescoord.sync.feed import Entry

if TYPE_CHECKING:
    from salescoord.schema.types.changes import Change


async def meeting_changes(info: Info, meeting_id: strawberry.ID) -> AsyncGenerator[Change, None]:
    credentials = info.context.credentials
    if info.context.viewer is None or credentials is None:
        raise Unauthenticated()
    # a client id too (R31); whether the meeting is in sight is the first look's to say
    [pk] = await primary_keys(info, [meeting_id], types.meetings.Meeting, "meetingId")
    await info.context.db.release()  # each look reads through a connection of its own
    async for change in live.follow_meeting(
        info.context.db.engine,
        info.context.listener,
        credentials,
        pk,
        info.context.settings.live_safety_poll_seconds,
        _delivered,
    ):
        yield change


async def _delivered(loaders: Loaders, entries: list[Entry]) -> list[Change]:
    """The entries as the viewer may see them now, their objects looked up together (one
    statement per type, not per entry); an object out of sight since is left out."""
    upserts = [entry for entry in entries if entry.kind is ChangeKind.UPSERT]
    rows = await asyncio.gather(*(_kind(entry).rows(loaders).load(entry.pk) for entry in upserts))
    found = {(entry.node_type, entry.pk): row for entry, row in zip(upserts, rows, strict=True)}
    delivered = []
    for entry in entries:
        row = found.get((entry.node_type, entry.pk))
        if entry.kind is ChangeKind.UPSERT and row is None:
            continue
        built = _kind(entry).build(row) if row is not None else None
        delivered.append(
            types.changes.Change(
                kind=entry.kind,
                type_name=entry.type_name,
                id=encode_id(entry.node_type, entry.pk),
                meeting_id=encode_id("Meeting", entry.meeting_pk) if entry.meeting_pk is not None else None,
                found=built,
            )
        )
    return delivered


def _kind(entry: Entry) -> node_types.NodeKind:
    kind = node_types.named(entry.node_type)
    assert kind is not None, entry  # the feed names Node types only
    return kind
