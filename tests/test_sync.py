"""R16, R17, R18: the iPad sync contract. Exactly-once mutations (also 100 concurrent
replays), versioned notes (a stale write is a CONFLICT and overwrites nothing), and the change
feed: deletions, objects leaving sight, late commits on PostgreSQL, RESYNC_REQUIRED."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

import asyncpg
import pytest
import sqlalchemy as sa
from salescoord.db.queries.pages import encode_cursor
from salescoord.db.tables import am_coordinators, meeting_attendees, notes
from salescoord.permissions.enums import Channel
from sqlalchemy import event

from tests.db_state import snapshot
from tests.helpers import codes, gid

WEB, APP = Channel.WEB, Channel.APP

ADD_NOTE = """mutation($meeting: ID!, $text: String!, $key: String, $clientId: ID) {
  createNote(meetingId: $meeting, text: $text, clientMutationId: $key, clientId: $clientId) {
    id text version clientId } }"""
UPDATE_NOTE = """mutation($id: ID!, $version: Int!, $text: String, $shared: Boolean, $key: String) {
  updateNote(id: $id, version: $version, text: $text, shared: $shared, clientMutationId: $key) {
    id text version } }"""
DELETE_NOTE = """mutation($id: ID!, $version: Int!, $key: String) {
  deleteNote(id: $id, version: $version, clientMutationId: $key) }"""
CHANGES = """query($since: String, $first: Int!) { changes(since: $since, first: $first) {
  cursor hasMore caughtUp entries { kind typeName id } } }"""
DETACH = """mutation($id: ID!, $list: ID!) { detachList(meetingId: $id, listId: $list) { id } }"""
REHOST = """mutation($id: ID!, $host: ID!) { updateMeeting(id: $id, hostId: $host) { id } }"""


@dataclass
class World:
    am: int
    other_am: int
    sc: int
    buyer: int
    meeting: int
    buyer_list: int


@pytest.fixture
async def world(make) -> World:
    north = await make.territory("North")
    company = await make.company(north, "Northwind")
    am = await make.am("AM", territories=[north])
    other_am = await make.am("Other AM", territories=[north])
    sc = await make.sc("SC", ams=[am, other_am])
    buyer = await make.buyer(company, "Buyer", direct_am=am)
    meeting = await make.meeting(host=am, created_by=sc)
    await make.execute(meeting_attendees.insert().values(meeting_id=meeting, buyer_id=buyer))
    buyer_list = await make.list(am, "BUYER", "For buyer", buyer=buyer)
    await make.attach_list(meeting, buyer_list)
    return World(am, other_am, sc, buyer, meeting, buyer_list)


async def note_rows(engine) -> list:
    async with engine.connect() as connection:
        return (await connection.execute(sa.select(notes.c.id, notes.c.text, notes.c.version))).all()


# -- R16: exactly once --------------------------------------------------------------------
async def test_R16_a_hundred_concurrent_replays_of_one_add_note_make_one_note(client, world, engine):
    variables = {"meeting": gid("Meeting", world.meeting), "text": "Samples in blue", "key": "c0ffee-1"}
    bodies = await asyncio.gather(
        *(client.post(ADD_NOTE, variables, as_user=world.am, channel=APP) for _ in range(100))
    )
    assert [codes(body) for body in bodies] == [[]] * 100
    payloads = {repr(body["data"]["createNote"]) for body in bodies}
    assert len(payloads) == 1  # every replay answers with the same payload
    rows = await note_rows(engine)
    assert [(row.text, row.version) for row in rows] == [("Samples in blue", 1)]


async def test_R16_the_note_client_uuid_is_a_key_too(client, world, engine):
    variables = {
        "meeting": gid("Meeting", world.meeting),
        "text": "Hello",
        "clientId": "0b7e4c1a-3f2d-4e5b-9a61-2c8d7f9e0a42",
    }
    first = await client.data(ADD_NOTE, variables, as_user=world.am, channel=APP)
    again = await client.data(ADD_NOTE, variables, as_user=world.am, channel=APP)
    assert first == again and first["createNote"]["clientId"] == variables["clientId"]
    assert len(await note_rows(engine)) == 1


async def test_R16_same_key_with_another_request_is_refused_and_writes_nothing(client, world, engine):
    meeting = gid("Meeting", world.meeting)
    await client.data(
        ADD_NOTE, {"meeting": meeting, "text": "One", "key": "k"}, as_user=world.am, channel=APP
    )
    before = await snapshot(engine)
    body = await client.post(
        ADD_NOTE, {"meeting": meeting, "text": "Two", "key": "k"}, as_user=world.am, channel=APP
    )
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "clientMutationId"
    assert await snapshot(engine) == before


async def test_R16_keys_are_per_user(client, world, engine):
    meeting = gid("Meeting", world.meeting)
    await client.data(
        ADD_NOTE, {"meeting": meeting, "text": "Host's", "key": "k"}, as_user=world.am, channel=APP
    )
    await client.data(ADD_NOTE, {"meeting": meeting, "text": "SC's", "key": "k"}, as_user=world.sc)
    assert sorted(row.text for row in await note_rows(engine)) == ["Host's", "SC's"]


async def test_R16_replaying_a_deletion_answers_like_the_deletion(client, world, make, engine):
    note = await make.note(world.meeting, author=world.am)
    variables = {"id": gid("Note", note), "version": 1, "key": "del-1"}
    first = await client.data(DELETE_NOTE, variables, as_user=world.am, channel=APP)
    again = await client.data(DELETE_NOTE, variables, as_user=world.am, channel=APP)
    assert first == again == {"deleteNote": gid("Note", note)}
    assert await note_rows(engine) == []


# -- R17: versions ------------------------------------------------------------------------
async def test_R17_a_stale_version_is_a_conflict_carrying_the_current_note(client, world, make, engine):
    note = await make.note(world.meeting, author=world.sc, text="Original")
    note_id = gid("Note", note)
    web = await client.data(
        UPDATE_NOTE, {"id": note_id, "version": 1, "text": "From the web"}, as_user=world.sc
    )
    assert web["updateNote"]["version"] == 2
    before = await snapshot(engine)
    body = await client.post(
        UPDATE_NOTE,
        {"id": note_id, "version": 1, "text": "From the app", "key": "u1"},
        as_user=world.am,
        channel=APP,
    )
    assert codes(body) == ["CONFLICT"]
    current = body["errors"][0]["extensions"]["current"]
    assert current == {"id": note_id, "version": 2, "text": "From the web", "shared": False}
    assert await snapshot(engine) == before  # nothing overwritten, no outcome stored
    assert [(r.text, r.version) for r in await note_rows(engine)] == [("From the web", 2)]
    body = await client.post(
        DELETE_NOTE, {"id": note_id, "version": 1, "key": "d1"}, as_user=world.am, channel=APP
    )
    assert codes(body) == ["CONFLICT"]
    assert len(await note_rows(engine)) == 1


# -- R18: the change feed -----------------------------------------------------------------
async def feed(
    client, viewer: int, since: str | None, channel: Channel = WEB, *, wait: bool = True
) -> tuple[list, str]:
    """Every entry after `since`, page by page (small pages, to cross page boundaries); with
    `wait`, until caught up (on PostgreSQL a transaction of the database still running holds it back)."""
    entries: list = []
    for _ in range(200):
        data = await client.data(CHANGES, {"since": since, "first": 3}, as_user=viewer, channel=channel)
        entries += [(e["kind"], e["id"]) for e in data["changes"]["entries"]]
        since = data["changes"]["cursor"]
        if data["changes"]["hasMore"]:
            continue
        if data["changes"]["caughtUp"] or not wait:
            return entries, since
        await asyncio.sleep(0.05)
    raise AssertionError("the feed never caught up")


async def start(client, viewer: int, channel: Channel = WEB) -> str:
    data = await client.data(CHANGES, {"since": None, "first": 1}, as_user=viewer, channel=channel)
    assert data["changes"]["entries"] == []
    return data["changes"]["cursor"]


async def test_R18_creations_updates_and_deletions_of_notes_reach_those_who_see_them(client, world):
    sc_cursor, other_cursor = await start(client, world.sc), await start(client, world.buyer, APP)
    meeting = gid("Meeting", world.meeting)
    created = await client.data(ADD_NOTE, {"meeting": meeting, "text": "Pre"}, as_user=world.sc)
    note_id = created["createNote"]["id"]
    entries, sc_cursor = await feed(client, world.sc, sc_cursor)
    assert ("UPSERT", note_id) in entries
    await client.data(DELETE_NOTE, {"id": note_id, "version": 1}, as_user=world.sc)
    entries, sc_cursor = await feed(client, world.sc, sc_cursor)
    assert ("DELETED", note_id) in entries
    assert ("UPSERT", note_id) not in entries
    # the buyer through the app is no host: they hear nothing of the meeting or its notes
    heard = {object_id for _, object_id in (await feed(client, world.buyer, other_cursor, APP))[0]}
    assert heard.isdisjoint({note_id, gid("Meeting", world.meeting)})


async def test_R18_objects_leaving_sight_are_removed_from_view_not_deleted(client, world, make, engine):
    meeting, buyer_list = gid("Meeting", world.meeting), gid("List", world.buyer_list)
    secret = await make.note(world.meeting, author=world.am, text="Visible for now", shared=True)
    sc_cursor, buyer_cursor = await start(client, world.sc), await start(client, world.buyer)
    # a note made internal leaves the buyer's sight
    await client.data(
        UPDATE_NOTE, {"id": gid("Note", secret), "version": 1, "shared": False}, as_user=world.am
    )
    entries, buyer_cursor = await feed(client, world.buyer, buyer_cursor)
    assert ("REMOVED_FROM_VIEW", gid("Note", secret)) in entries
    # a detached list leaves the SC's sight (R11: the meeting was the only way to it)
    await client.data(DETACH, {"id": meeting, "list": buyer_list}, as_user=world.am)
    entries, sc_cursor = await feed(client, world.sc, sc_cursor)
    assert ("REMOVED_FROM_VIEW", buyer_list) in entries
    # an AM unlinked from the SC takes their meetings out of the SC's sight
    await make.execute(am_coordinators.delete().where(am_coordinators.c.am_id == world.am))
    entries, sc_cursor = await feed(client, world.sc, sc_cursor)
    assert ("REMOVED_FROM_VIEW", meeting) in entries
    assert not any(kind == "DELETED" for kind, _ in entries)


async def test_R18_a_new_host_takes_the_meeting_and_its_lists_out_of_sight(client, world, make):
    other_sc = await make.sc("Other SC", ams=[world.other_am])
    _ = other_sc
    lone_sc = await make.sc("Lone SC", ams=[world.am])
    cursor = await start(client, lone_sc)
    await client.data(
        REHOST, {"id": gid("Meeting", world.meeting), "host": gid("User", world.other_am)}, as_user=world.sc
    )
    entries, _ = await feed(client, lone_sc, cursor)
    assert ("REMOVED_FROM_VIEW", gid("Meeting", world.meeting)) in entries
    assert ("REMOVED_FROM_VIEW", gid("List", world.buyer_list)) in entries


async def test_R18_a_cursor_older_than_the_retention_must_resync(client, world):
    ancient = encode_cursor((0, 0, 0))
    body = await client.post(CHANGES, {"since": ancient, "first": 10}, as_user=world.sc)
    assert codes(body) == ["RESYNC_REQUIRED"]
    body = await client.post(CHANGES, {"since": "bm9wZQ==", "first": 10}, as_user=world.sc)
    assert codes(body) == ["BAD_USER_INPUT"]


async def test_R18_a_late_commit_is_never_skipped(client, world, backend, engine):
    """Two concurrent transactions on PostgreSQL: the one holding the lower change-log id
    commits last. The feed must hold its cursor before the early one's row until then."""
    if backend[0] != "postgresql":
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE): ids grow in commit order")
    from salescoord.db.models.base import utcnow

    cursor = await start(client, world.sc)

    def note(text: str) -> dict:
        now = utcnow()
        values = {"author_id": world.am, "phase": "PRE_MEETING", "shared": True, "version": 1}
        return {**values, "meeting_id": world.meeting, "text": text, "created_at": now, "updated_at": now}

    slow = await engine.connect()
    try:
        await slow.begin()
        late = (await slow.execute(notes.insert().values(**note("late")).returning(notes.c.id))).scalar()
        async with engine.begin() as fast:
            early = (
                await fast.execute(notes.insert().values(**note("early")).returning(notes.c.id))
            ).scalar()
        assert late < early
        data = await client.data(CHANGES, {"since": cursor, "first": 100}, as_user=world.sc)
        entries = [(e["kind"], e["id"]) for e in data["changes"]["entries"]]
        held = data["changes"]["cursor"]
        assert ("UPSERT", gid("Note", early)) not in entries  # held back behind the running one
        assert data["changes"]["caughtUp"] is False  # and the app is told to ask again
        await slow.commit()
    finally:
        await slow.close()
    entries, _ = await feed(client, world.sc, held)
    assert {("UPSERT", gid("Note", late)), ("UPSERT", gid("Note", early))} <= set(entries)


class HeldTransaction(threading.Thread):
    """A PostgreSQL transaction with a transaction id, held open on a thread (and event loop) of
    its own, so that it can be ended from inside a statement hook of the server under test."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        self.started, self.release, self.ended = threading.Event(), threading.Event(), threading.Event()

    def run(self) -> None:
        asyncio.run(self._hold())

    async def _hold(self) -> None:
        connection = await asyncpg.connect(self.dsn)
        try:
            async with connection.transaction():
                await connection.fetchval("SELECT pg_current_xact_id()")  # takes an id: the horizon
                self.started.set()
                await asyncio.to_thread(self.release.wait, 10)
        finally:
            await connection.close()
            self.ended.set()

    def end(self) -> None:
        self.release.set()
        assert self.ended.wait(10)


async def test_R18_the_feed_never_claims_to_be_caught_up_past_a_change_it_held_back(
    client, world, backend, engine
):
    """A note commits while an older transaction runs, so the feed holds it back. If that
    transaction ends between the statement that reads the page and the one that decides
    `caughtUp`, the answer must still say `caughtUp: false`: an app that stops syncing on
    `caughtUp: true` would otherwise never receive the note (R18)."""
    if backend[0] != "postgresql":
        pytest.skip("SQLite serialises writers: nothing is ever held back")
    cursor = await start(client, world.sc)
    older = HeldTransaction(backend[1])
    older.start()
    assert older.started.wait(10)
    written = await client.data(
        ADD_NOTE, {"meeting": gid("Meeting", world.meeting), "text": "Behind an older one"}, as_user=world.sc
    )

    def end_older_after_the_page(_conn, _cursor, statement, *_args) -> None:
        if "ORDER BY change_log.xid, change_log.id" in statement and not older.ended.is_set():
            older.end()

    event.listen(engine.sync_engine, "after_cursor_execute", end_older_after_the_page)
    try:
        data = await client.data(CHANGES, {"since": cursor, "first": 100}, as_user=world.sc)
    finally:
        event.remove(engine.sync_engine, "after_cursor_execute", end_older_after_the_page)
    assert older.ended.is_set()  # the older transaction did end in the middle of the request
    note = ("UPSERT", written["createNote"]["id"])
    feed_page = data["changes"]
    if note not in [(e["kind"], e["id"]) for e in feed_page["entries"]]:
        assert feed_page["caughtUp"] is False
    entries, _ = await feed(client, world.sc, feed_page["cursor"])
    assert note in entries or note in [(e["kind"], e["id"]) for e in feed_page["entries"]]


async def test_R18_a_long_transaction_in_another_database_of_the_server_holds_nothing_back(
    client, world, backend
):
    """Only this database's transactions can write its change log: one running in another
    database of the same server (a bulk load, another service) must not stall the feed."""
    if backend[0] != "postgresql":
        pytest.skip("SQLite has no other databases on a server")
    from tests.conftest import PG_URL

    cursor = await start(client, world.sc)
    elsewhere = HeldTransaction(PG_URL)  # the server's own database, beside the test's
    elsewhere.start()
    assert elsewhere.started.wait(10)
    try:
        written = await client.data(
            ADD_NOTE, {"meeting": gid("Meeting", world.meeting), "text": "Not held"}, as_user=world.sc
        )
        data = await client.data(CHANGES, {"since": cursor, "first": 100}, as_user=world.sc)
    finally:
        elsewhere.end()
    assert ("UPSERT", written["createNote"]["id"]) in [
        (e["kind"], e["id"]) for e in data["changes"]["entries"]
    ]
    assert data["changes"]["caughtUp"] is True


async def test_R18_a_page_of_the_feed_costs_the_same_statements_for_two_entries_as_for_twenty(
    client, world, make, statements
):
    """The objects of a page are looked up together, one statement per type, not per entry."""
    cost = {}
    for count in (2, 20):
        since = await start(client, world.sc)
        for n in range(count):
            await make.note(world.meeting, author=world.sc, text=f"Note {n}")
        statements["count"] = 0
        data = await client.data(CHANGES, {"since": since, "first": 100}, as_user=world.sc)
        assert len([e for e in data["changes"]["entries"] if e["typeName"] == "Note"]) == count
        cost[count] = statements["count"]
    assert cost[2] == cost[20], cost
