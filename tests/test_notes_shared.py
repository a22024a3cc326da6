"""R37 (refines R13): a note reaches the attending buyers only when its writer shares it; one
written without saying so is internal (the host and those who manage the meeting), on every
path: queries, the change feed, summaries and subscriptions. Migration 0008 keeps the
visibility of every note written before it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from alembic import command
from salescoord.db.migrate import alembic_config
from salescoord.db.models.base import utcnow
from salescoord.db.session import create_engine
from salescoord.db.tables import emails, meeting_attendees, notes

from salescoord.app import attach_engine, create_app
from tests.db_state import snapshot
from tests.helpers import codes, gid
from tests.test_live import Socket
from tests.test_sync import feed, start

WRITE = """mutation($m: ID!, $text: String!, $shared: Boolean) {
  createNote(meetingId: $m, text: $text, shared: $shared) { id shared hostOnly } }"""
WRITE_DEFAULT = (
    """mutation($m: ID!, $text: String!) { createNote(meetingId: $m, text: $text) { id shared } }"""
)
SHARE = """mutation($id: ID!, $version: Int!, $shared: Boolean!) {
  updateNote(id: $id, version: $version, shared: $shared) { id version shared } }"""
MEETING_NOTES = """query($m: ID!, $n: ID!) {
  meeting: node(id: $m) { ... on Meeting { notes(first: 100) { totalCount nodes { id text } } } }
  note: node(id: $n) { id } }"""
SUMMARY = "mutation($m: ID!) { sendMeetingSummary(meetingId: $m) { id } }"
SUBSCRIBE = """subscription($m: ID!) { meetingChanges(meetingId: $m) {
  kind typeName id node { ... on Note { text } } } }"""
INTERNAL, SHARED = "Prep: price sensitive, push the bundle", "Bring the spring samples"


@dataclass
class World:
    am: int
    sc: int
    buyer: int
    meeting: int


@pytest.fixture
async def world(make) -> World:
    north = await make.territory("North")
    company = await make.company(north, "Northwind")
    am = await make.am("AM", territories=[north])
    sc = await make.sc("SC", ams=[am])
    buyer = await make.buyer(company, "Buyer", direct_am=am)
    meeting = await make.meeting(host=am, created_by=sc)
    await make.execute(meeting_attendees.insert().values(meeting_id=meeting, buyer_id=buyer))
    return World(am, sc, buyer, meeting)


async def test_R37_a_note_written_without_sharing_reaches_no_buyer_in_queries_feed_or_summary(
    client, engine, world
):
    meeting = gid("Meeting", world.meeting)
    buyer_cursor = await start(client, world.buyer)
    internal = (await client.data(WRITE_DEFAULT, {"m": meeting, "text": INTERNAL}, as_user=world.sc))[
        "createNote"
    ]
    assert internal["shared"] is False  # the SC said nothing: internal
    shared = (await client.data(WRITE, {"m": meeting, "text": SHARED, "shared": True}, as_user=world.sc))[
        "createNote"
    ]
    assert (shared["shared"], shared["hostOnly"]) == (True, False)
    # queries: the buyer reads the shared note only; the host and the SC read both
    for viewer, texts in (
        (world.buyer, [SHARED]),
        (world.am, [INTERNAL, SHARED]),
        (world.sc, [INTERNAL, SHARED]),
    ):
        data = await client.data(MEETING_NOTES, {"m": meeting, "n": internal["id"]}, as_user=viewer)
        assert sorted(n["text"] for n in data["meeting"]["notes"]["nodes"]) == sorted(texts), viewer
        assert data["meeting"]["notes"]["totalCount"] == len(texts)
        assert (data["note"] is not None) is (INTERNAL in texts), viewer
    # the change feed
    heard = {object_id for _, object_id in (await feed(client, world.buyer, buyer_cursor))[0]}
    assert shared["id"] in heard and internal["id"] not in heard
    # the summary emailed to the attendee
    await client.data(SUMMARY, {"m": meeting}, as_user=world.sc)
    async with engine.connect() as connection:
        (summary,) = (
            await connection.execute(sa.select(emails).where(emails.c.kind == "MEETING_SUMMARY"))
        ).all()
    assert SHARED in summary.body_text and SHARED in summary.body_html
    assert INTERNAL not in summary.body_text and INTERNAL not in summary.body_html


async def test_R37_a_subscribed_buyer_receives_a_shared_note_and_never_an_internal_one(
    client, engine, settings, world
):
    app = create_app(settings)
    attach_engine(app, engine)
    socket = Socket(app)
    await socket.open()
    await socket.send(
        {"type": "connection_init", "payload": {"authorization": f"Bearer {client.token(world.buyer)}"}}
    )
    assert (await socket.receive())["type"] == "connection_ack"
    variables = {"m": gid("Meeting", world.meeting)}
    await socket.send(
        {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE, "variables": variables}}
    )
    await asyncio.sleep(0.5)  # the subscription has taken its place in the log
    await client.data(WRITE_DEFAULT, {**variables, "text": INTERNAL}, as_user=world.sc)
    written = await client.data(WRITE, {**variables, "text": SHARED, "shared": True}, as_user=world.sc)
    event = await socket.receive()
    while event["payload"]["data"]["meetingChanges"]["typeName"] == "Meeting":
        event = await socket.receive()  # on a busy server the meeting's own creation may come first
    # the internal note was committed first: had it been delivered, it would come first
    assert event["payload"]["data"]["meetingChanges"] == {
        "kind": "UPSERT",
        "typeName": "Note",
        "id": written["createNote"]["id"],
        "node": {"text": SHARED},
    }
    await socket.close()


async def test_R37_only_the_writer_shares_a_note_and_anyone_who_edits_it_may_make_it_internal(
    client, engine, world
):
    meeting = gid("Meeting", world.meeting)
    note = (await client.data(WRITE_DEFAULT, {"m": meeting, "text": INTERNAL}, as_user=world.sc))[
        "createNote"
    ]
    before = await snapshot(engine)
    # the retired argument is refused loudly, never read as a share
    retired = 'mutation($m: ID!) { createNote(meetingId: $m, text: "x", hostOnly: false) { id } }'
    assert codes(await client.post(retired, {"m": meeting}, as_user=world.sc)) == ["BAD_USER_INPUT"]
    refused = await client.post(SHARE, {"id": note["id"], "version": 1, "shared": True}, as_user=world.am)
    assert codes(refused) == ["FORBIDDEN"]
    assert refused["errors"][0]["extensions"]["field"] == "shared"
    assert await snapshot(engine) == before
    shared = await client.data(SHARE, {"id": note["id"], "version": 1, "shared": True}, as_user=world.sc)
    assert shared["updateNote"] == {"id": note["id"], "version": 2, "shared": True}
    internal = await client.data(SHARE, {"id": note["id"], "version": 2, "shared": False}, as_user=world.am)
    assert internal["updateNote"]["shared"] is False


def _table(name: str, *columns: str) -> sa.TableClause:
    return sa.table(name, *(sa.column(column) for column in columns))


async def test_R37_migration_0008_keeps_the_visibility_of_every_existing_note(empty_database):
    """host_only notes become internal, the others shared; the notes' change-log triggers read
    the new column (an internal note written after it is logged as hidden from buyers)."""
    await asyncio.to_thread(command.upgrade, alembic_config(empty_database), "0007")
    engine = create_engine(empty_database)
    try:
        now = utcnow()
        stamps = {"created_at": now, "updated_at": now}
        async with engine.begin() as connection:
            am = (
                await connection.execute(
                    _table("users", "id", "email", "name", "role", "active", "created_at", "updated_at")
                    .insert()
                    .values(email="am@example.com", name="AM", role="ACCOUNT_MANAGER", active=True, **stamps)
                    .returning(sa.column("id"))
                )
            ).scalar_one()
            meeting = (
                await connection.execute(
                    _table("meetings", "id", "host_id", "created_by_id", "title", "starts_at", "status",
                           "version", "created_at", "updated_at")
                    .insert()
                    .values(host_id=am, created_by_id=am, title="Review", starts_at=now, status="SCHEDULED",
                            version=1, **stamps)
                    .returning(sa.column("id"))
                )
            ).scalar_one()  # fmt: skip
            old_notes = _table("notes", "meeting_id", "author_id", "phase", "host_only", "text", "version",
                               "created_at", "updated_at")  # fmt: skip
            for text, host_only in (("for the host", True), ("for everyone", False)):
                await connection.execute(
                    old_notes.insert().values(
                        meeting_id=meeting, author_id=am, phase="PRE_MEETING", host_only=host_only,
                        text=text, version=1, **stamps,
                    )
                )  # fmt: skip
            logged_before = (
                await connection.execute(sa.text("SELECT count(*) FROM change_log"))
            ).scalar_one()
        await asyncio.to_thread(command.upgrade, alembic_config(empty_database), "0008")
        async with engine.begin() as connection:
            rows = dict((await connection.execute(sa.select(notes.c.text, notes.c.shared))).all())
            assert rows == {"for the host": False, "for everyone": True}
            log = "SELECT entity, host_only FROM change_log ORDER BY id"
            assert (
                len((await connection.execute(sa.text(log))).all()) == logged_before
            )  # the copy logged nothing
            await connection.execute(
                notes.insert().values(meeting_id=meeting, author_id=am, phase="PRE_MEETING", text="new",
                                      version=1, **stamps)
            )  # fmt: skip
            last = (await connection.execute(sa.text(log))).all()[-1]
        assert (last.entity, bool(last.host_only)) == ("NOTE", True)  # written without sharing: internal
    finally:
        await engine.dispose()
