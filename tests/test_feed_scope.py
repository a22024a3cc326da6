"""R18, R13, R37: the change feed is complete (attendees and the catalogue are in it) and quiet
(no entry names an id the viewer never could see: DELETED and REMOVED_FROM_VIEW only for what
was in their view at the cursor's time), its cursors are signed for the user they were handed
to, and its retention is a setting."""

from __future__ import annotations

import base64
import dataclasses
import json
import time

import httpx
import pytest
import sqlalchemy as sa
from salescoord.db.queries.pages import encode_cursor
from salescoord.db.tables import contents, meetings
from salescoord.permissions.enums import Channel

from salescoord.app import create_app
from salescoord.sync.cursors import _signature, cursor_at
from tests.conftest import attach_engine
from tests.helpers import Client, codes, gid

WEB, APP = Channel.WEB, Channel.APP

CHANGES = """query($since: String) { changes(since: $since, first: 100) {
  cursor hasMore entries { kind typeName id meetingId node { id } } } }"""
SYNC_CURSOR = "{ syncCursor }"
ATTACH = """mutation($m: ID!, $l: ID!) { attachList(meetingId: $m, listId: $l) { id } }"""
DETACH = """mutation($m: ID!, $l: ID!) { detachList(meetingId: $m, listId: $l) { id } }"""
ADD = """mutation($m: ID!, $b: [ID!]!) { addAttendees(meetingId: $m, buyerIds: $b) { id } }"""
REMOVE = """mutation($m: ID!, $b: [ID!]!) { removeAttendees(meetingId: $m, buyerIds: $b) { id } }"""
CREATE_LIST = """mutation($b: ID) { createList(name: "For you", kind: BUYER, buyerId: $b) { id } }"""
DELETE_LIST = """mutation($id: ID!) { deleteList(id: $id) }"""
CREATE_MEETING = """mutation($h: ID!) {
  createMeeting(hostId: $h, title: "Later", startsAt: "2027-01-05T10:00:00Z") { id } }"""
CREATE_CONTENT = (
    """mutation { createContent(title: "Blue range", kind: PRODUCT, reference: "SKU-9") { id } }"""
)


@dataclasses.dataclass
class World:
    am: int
    sc: int
    admin: int
    buyer: int
    other_buyer: int
    meeting: int
    personal: int


@pytest.fixture
async def world(make) -> World:
    north = await make.territory("North")
    company = await make.company(north, "Northwind")
    am = await make.am("AM", territories=[north])
    sc = await make.sc("SC", ams=[am])
    admin = await make.admin("Admin")
    buyer = await make.buyer(company, "Buyer", direct_am=am)
    other_buyer = await make.buyer(company, "Other buyer", direct_am=am)
    meeting = await make.meeting(host=am, created_by=sc)
    await make.attendee(meeting, buyer)
    personal = await make.list(am, "PERSONAL", "AM's own")
    return World(am, sc, admin, buyer, other_buyer, meeting, personal)


async def head(client: Client, user: int, channel: Channel = WEB) -> str:
    return (await client.data(SYNC_CURSOR, as_user=user, channel=channel))["syncCursor"]


async def entries(client: Client, user: int, since: str, channel: Channel = WEB) -> list[dict]:
    found, cursor = [], since
    while True:
        feed = (await client.data(CHANGES, {"since": cursor}, as_user=user, channel=channel))["changes"]
        found += feed["entries"]
        cursor = feed["cursor"]
        if not feed["hasMore"]:
            return found


def named(found: list[dict]) -> set[tuple[str, str, str]]:
    return {(e["kind"], e["typeName"], e["id"]) for e in found}


async def test_R18_R37_a_buyer_never_hears_of_a_list_attached_to_their_meeting(client, world):
    """Attaching a list to a meeting shows it to nobody who could not see it (R37): the buyer
    attending gets neither an UPSERT nor a REMOVED_FROM_VIEW naming it, on attach or detach.
    The SC who manages the meeting saw it, and is told it left."""
    meeting, lst = gid("Meeting", world.meeting), gid("List", world.personal)
    buyer_cursor, sc_cursor = await head(client, world.buyer), await head(client, world.sc)
    await client.data(ATTACH, {"m": meeting, "l": lst}, as_user=world.am)
    sc_middle = await head(client, world.sc)
    await client.data(DETACH, {"m": meeting, "l": lst}, as_user=world.am)
    assert all(e["id"] != lst for e in await entries(client, world.buyer, buyer_cursor))
    assert ("REMOVED_FROM_VIEW", "List", lst) in named(await entries(client, world.sc, sc_middle))
    # from before the attach, the SC never held it: the list was not in their view then either
    assert all(e["id"] != lst for e in await entries(client, world.sc, sc_cursor))


async def test_R18_no_deleted_entry_for_an_object_made_after_the_cursor(client, world):
    """A BUYER list made and deleted after the buyer's cursor was never on their device: the
    feed does not name it. One made before the cursor is DELETED."""
    cursor = await head(client, world.buyer)
    made = await client.data(CREATE_LIST, {"b": gid("User", world.buyer)}, as_user=world.am)
    lst = made["createList"]["id"]
    between = await head(client, world.buyer)
    await client.data(DELETE_LIST, {"id": lst}, as_user=world.am)
    assert all(e["id"] != lst for e in await entries(client, world.buyer, cursor))
    assert ("DELETED", "List", lst) in named(await entries(client, world.buyer, between))


async def test_R18_R13_a_buyer_added_and_removed_after_the_cursor_hears_nothing(client, world):
    """A web buyer sees a meeting by attending it: one they joined and left after their cursor
    was never in their view at that time, so no REMOVED_FROM_VIEW names it."""
    other = await client.data(
        CREATE_MEETING,
        {"h": gid("User", world.am)},
        as_user=world.am,
    )
    meeting = other["createMeeting"]["id"]
    cursor = await head(client, world.buyer)
    await client.data(ADD, {"m": meeting, "b": [gid("User", world.buyer)]}, as_user=world.am)
    between = await head(client, world.buyer)
    await client.data(REMOVE, {"m": meeting, "b": [gid("User", world.buyer)]}, as_user=world.am)
    assert all(e["id"] != meeting for e in await entries(client, world.buyer, cursor))
    assert ("REMOVED_FROM_VIEW", "Meeting", meeting) in named(await entries(client, world.buyer, between))


async def test_R18_a_meeting_that_came_into_reach_and_left_after_the_cursor_is_not_named(client, world, make):
    """An SC sees the meetings of their AMs. A meeting of another AM, moved to the SC's AM and
    back after the SC's cursor, was never in their view then: nothing names it. From a cursor
    taken while it was theirs, it is REMOVED_FROM_VIEW."""
    other_am = await make.am("Other AM")
    meeting = await make.meeting(other_am)
    cursor = await head(client, world.sc)
    rehost = meetings.update().where(meetings.c.id == meeting)
    await make.execute(rehost.values(host_id=world.am))
    middle = await head(client, world.sc)
    await make.execute(rehost.values(host_id=other_am))
    assert all(e["id"] != gid("Meeting", meeting) for e in await entries(client, world.sc, cursor))
    assert ("REMOVED_FROM_VIEW", "Meeting", gid("Meeting", meeting)) in named(
        await entries(client, world.sc, middle)
    )


@pytest.mark.parametrize("channel", [WEB, APP])
async def test_R18_attendees_are_in_the_feed(client, world, channel):
    """Adding a buyer is an Attendee UPSERT naming the buyer (node: the User) and the meeting;
    removing one is DELETED, on the web and for the host's app."""
    meeting, buyer = gid("Meeting", world.meeting), gid("User", world.other_buyer)
    cursor = await head(client, world.am, channel)
    await client.data(ADD, {"m": meeting, "b": [buyer]}, as_user=world.am)
    added = [e for e in await entries(client, world.am, cursor, channel) if e["typeName"] == "Attendee"]
    assert added == [
        {"kind": "UPSERT", "typeName": "Attendee", "id": buyer, "meetingId": meeting, "node": {"id": buyer}}
    ]
    cursor = await head(client, world.am, channel)
    await client.data(REMOVE, {"m": meeting, "b": [buyer]}, as_user=world.am)
    removed = [e for e in await entries(client, world.am, cursor, channel) if e["typeName"] == "Attendee"]
    assert removed == [
        {"kind": "DELETED", "typeName": "Attendee", "id": buyer, "meetingId": meeting, "node": None}
    ]


async def test_R13_R18_a_buyer_hears_of_no_other_attendee(client, world):
    cursor = await head(client, world.buyer)
    await client.data(
        ADD, {"m": gid("Meeting", world.meeting), "b": [gid("User", world.other_buyer)]}, as_user=world.am
    )
    await client.data(
        REMOVE, {"m": gid("Meeting", world.meeting), "b": [gid("User", world.other_buyer)]}, as_user=world.am
    )
    assert all(e["id"] != gid("User", world.other_buyer) for e in await entries(client, world.buyer, cursor))


async def test_R18_the_catalogue_is_in_the_feed(client, world, engine):
    """New content is an UPSERT for staff; content deleted is DELETED for staff. A buyer, who
    sees content only through the lists shared with them, hears of neither."""
    am_cursor, buyer_cursor = await head(client, world.am), await head(client, world.buyer)
    content = (await client.data(CREATE_CONTENT, as_user=world.admin))["createContent"]["id"]
    assert ("UPSERT", "Content", content) in named(await entries(client, world.am, am_cursor))
    am_cursor = await head(client, world.am)
    async with engine.begin() as connection:
        await connection.execute(contents.delete().where(contents.c.id == int(_pk(content))))
    assert ("DELETED", "Content", content) in named(await entries(client, world.am, am_cursor))
    assert all(e["typeName"] != "Content" for e in await entries(client, world.buyer, buyer_cursor))


def _pk(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":")[1]


async def test_R18_a_tampered_or_foreign_cursor_is_refused(client, world):
    cursor = await head(client, world.am)
    body, signature = cursor.split(".")
    xid, row_id, issued = _decoded(body)
    forged = encode_cursor((xid, max(0, row_id - 5), issued))
    for bad in (f"{forged}.{signature}", f"{body}.{signature[:-2]}AA", f"{body}.", "not a cursor"):
        answer = await client.post(CHANGES, {"since": bad}, as_user=world.am)
        assert codes(answer) == ["BAD_USER_INPUT"], bad
    # another user's cursor is not theirs to use
    assert codes(await client.post(CHANGES, {"since": cursor}, as_user=world.sc)) == ["BAD_USER_INPUT"]
    assert codes(await client.post(CHANGES, {"since": cursor}, as_user=world.am)) == []


def _decoded(body: str) -> tuple[int, int, int]:
    return tuple(json.loads(base64.urlsafe_b64decode(body)))


async def test_R18_retention_is_a_setting_and_an_old_signed_cursor_is_resync_required(
    engine, settings, world
):
    """FEED_RETENTION_DAYS (30 by default): a genuine cursor issued longer ago answers
    RESYNC_REQUIRED with the retention in days; one within it is accepted."""
    assert settings.feed_retention_days == 30
    short = dataclasses.replace(settings, feed_retention_days=2)
    app = create_app(short)
    attach_engine(app, engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as http:
        client = Client(http, short)

        def issued(days_ago: float) -> str:
            body = encode_cursor((0, 0, int(time.time() - days_ago * 86400)))
            return f"{body}.{_signature(short.secret_keys[0], world.am, body)}"

        answer = await client.post(CHANGES, {"since": issued(3)}, as_user=world.am)
        assert codes(answer) == ["RESYNC_REQUIRED"]
        assert answer["errors"][0]["extensions"]["retentionDays"] == 2
        assert codes(await client.post(CHANGES, {"since": issued(1)}, as_user=world.am)) == []
        assert (
            codes(await client.post(CHANGES, {"since": cursor_at((0, 0), short, world.am)}, as_user=world.am))
            == []
        )


async def test_R18_sync_cursor_is_the_head_of_the_feed(client, world, engine):
    """`syncCursor` and `changes(since: null)` both start at the head: nothing before it is
    handed out again, everything after it is."""
    cursor = await head(client, world.am)
    assert (await entries(client, world.am, cursor)) == []
    start = (await client.data(CHANGES, {"since": None}, as_user=world.am))["changes"]["cursor"]
    await client.data(
        ATTACH, {"m": gid("Meeting", world.meeting), "l": gid("List", world.personal)}, as_user=world.am
    )
    for since in (cursor, start):
        assert ("UPSERT", "List", gid("List", world.personal)) in named(
            await entries(client, world.am, since)
        )
    async with engine.connect() as connection:
        assert await connection.scalar(sa.text("SELECT count(*) FROM change_log WHERE op = 'INSERT'")) > 0
