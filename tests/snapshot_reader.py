"""A reader of salescoord/sync/snapshot.graphql as docs/sync-protocol.md tells an app to use it:
the cursor first, then every page of every connection, into one local store. The tests compare
the store with the database; `scripts/snapshot-size` reports what it took.

    store, tally = await read_snapshot(post, start, end)   # post(operation, variables) -> body
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

DOCUMENT = (Path(__file__).parent.parent / "salescoord" / "sync" / "snapshot.graphql").read_text()
Post = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass
class Store:
    """The app's local copy: objects by global id, and which belong to which."""

    cursor: str | None = None
    meetings: dict[str, dict] = field(default_factory=dict)
    attendees: dict[str, set[str]] = field(default_factory=dict)  # meeting -> buyers
    people: dict[str, dict] = field(default_factory=dict)
    notes: dict[str, dict] = field(default_factory=dict)  # with "meeting"
    meeting_lists: dict[str, set[str]] = field(default_factory=dict)  # meeting -> lists
    lists: dict[str, dict] = field(default_factory=dict)
    section: set[str] = field(default_factory=set)  # the Lists section
    items: dict[str, dict] = field(default_factory=dict)  # with "list"
    contents: dict[str, dict] = field(default_factory=dict)

    def objects(self) -> int:
        return sum(
            len(group)
            for group in (self.meetings, self.people, self.notes, self.lists, self.items, self.contents)
        )


@dataclass
class Tally:
    """What the snapshot took: requests, and per request the bounds' measures."""

    requests: int = 0
    cost: int = 0  # the sum of every request's computed cost
    largest_cost: int = 0
    largest_nodes: int = 0
    by_operation: dict[str, int] = field(default_factory=dict)


class Reader:
    def __init__(self, post: Post, pages: dict[str, int] | None = None) -> None:
        self.post, self.pages = post, pages or {}
        self.store, self.tally = Store(), Tally()

    async def ask(self, operation: str, **variables: Any) -> dict[str, Any]:
        body = await self.post(operation, {**self.pages.get(operation, {}), **variables})
        assert not body.get("errors"), (operation, body.get("errors"))
        cost = body.get("extensions", {}).get("cost", {})
        tally = self.tally
        tally.requests += 1
        tally.cost += cost.get("requested", 0)
        tally.largest_cost = max(tally.largest_cost, cost.get("requested", 0))
        tally.largest_nodes = max(tally.largest_nodes, cost.get("nodes", 0))
        tally.by_operation[operation] = tally.by_operation.get(operation, 0) + 1
        return body["data"]

    async def read(self, start: datetime, end: datetime) -> None:
        self.store.cursor = (await self.ask("SyncCursor"))["syncCursor"]
        after = None
        while True:
            page = (
                await self.ask(
                    "SnapshotMeetings", **{"from": start.isoformat(), "to": end.isoformat()}, after=after
                )
            )["meetings"]
            for meeting in page["nodes"]:
                await self.meeting(meeting)
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        after = None
        while True:
            page = (await self.ask("SnapshotLists", after=after))["lists"]
            for lst in page["nodes"]:
                self.store.section.add(lst["id"])
                await self.list(lst)
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        after = None
        while True:
            page = (await self.ask("SnapshotCatalogue", after=after))["contents"]
            for content in page["nodes"]:
                self.store.contents[content["id"]] = content
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]

    async def meeting(self, meeting: dict[str, Any]) -> None:
        store, id = self.store, meeting["id"]
        store.meetings[id] = {k: v for k, v in meeting.items() if k not in ("attendees", "notes", "lists")}
        store.attendees.setdefault(id, set())
        store.meeting_lists.setdefault(id, set())
        connection = meeting["attendees"]
        while True:
            for person in connection["nodes"]:
                store.people[person["id"]] = person
                store.attendees[id].add(person["id"])
            if not connection["pageInfo"]["hasNextPage"]:
                break
            node = await self.ask(
                "SnapshotMeetingAttendees", meeting=id, after=connection["pageInfo"]["endCursor"]
            )
            connection = node["node"]["attendees"]
        connection = meeting["notes"]
        while True:
            for note in connection["nodes"]:
                store.notes[note["id"]] = {**note, "meeting": id}
            if not connection["pageInfo"]["hasNextPage"]:
                break
            node = await self.ask(
                "SnapshotMeetingNotes", meeting=id, after=connection["pageInfo"]["endCursor"]
            )
            connection = node["node"]["notes"]
        connection = meeting["lists"]
        while True:
            for lst in connection["nodes"]:
                store.meeting_lists[id].add(lst["id"])
                await self.list(lst)
            if not connection["pageInfo"]["hasNextPage"]:
                break
            node = await self.ask(
                "SnapshotMeetingLists", meeting=id, after=connection["pageInfo"]["endCursor"]
            )
            connection = node["node"]["lists"]

    async def list(self, lst: dict[str, Any]) -> None:
        store, id = self.store, lst["id"]
        store.lists[id] = {k: v for k, v in lst.items() if k != "items"}
        connection = lst["items"]
        while True:
            for item in connection["nodes"]:
                store.items[item["id"]] = {**item, "list": id}
            if not connection["pageInfo"]["hasNextPage"]:
                break
            node = await self.ask("SnapshotListItems", list=id, after=connection["pageInfo"]["endCursor"])
            connection = node["node"]["items"]


async def read_snapshot(
    post: Post, start: datetime, end: datetime, pages: dict[str, dict[str, int]] | None = None
) -> tuple[Store, Tally]:
    """The store an app fills by the documented operations; `pages` overrides page sizes per
    operation (the tests use small ones to walk every continuation)."""
    reader = Reader(post, pages)
    await reader.read(start, end)
    return reader.store, reader.tally
