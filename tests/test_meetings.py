"""R9, R10, R13: who sees and changes a meeting, by role and by channel, on every path
(top-level `meetings`, a user's nested `meetings`, `node(id:)`, aliased duplicates, the
mutation's payload); who may be offered and added as an attendee; R25 audit of the setup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from salescoord.db.models.base import utcnow
from salescoord.db.tables import audit_events, meeting_attendees
from salescoord.permissions.enums import Channel

from tests.db_state import snapshot
from tests.helpers import codes, gid

WEB, APP = Channel.WEB, Channel.APP

# -- queries ------------------------------------------------------------------------------
SEES = """query($id: ID!, $host: ID!) {
  top: meetings(first: 100) { totalCount nodes { id } }
  a: node(id: $id) { id ... on Meeting { notes(first: 100) { nodes { id shared } } } }
  b: node(id: $id) { id }
  host: node(id: $host) { ... on User { meetings(first: 100) { nodes { id } } } }
}"""
NOTE_NODE = "query($id: ID!) { a: node(id: $id) { id } b: node(id: $id) { ... on Note { meeting { id } } } }"
PAST = """query($host: ID, $buyer: ID, $from: DateTime, $to: DateTime, $status: MeetingStatus) {
  meetings(first: 100, hostId: $host, buyerId: $buyer, from: $from, to: $to, status: $status) {
    nodes { id } } }"""
OFFERED = """query($host: ID!, $search: String) {
  offeredBuyers(hostId: $host, search: $search, first: 100) { totalCount nodes { id } } }"""
MEETING_TREE = """query($id: ID!) { node(id: $id) { ... on Meeting { id title status
  host { id } createdBy { id }
  attendees(first: 100) { nodes { id } }
  lists(first: 100) { nodes { id items(first: 100) { nodes { id } } } }
  notes(first: 100) { nodes { id text } } } } }"""

# -- mutations (each as the matrix sends it) ----------------------------------------------
CREATE = """mutation($host: ID!, $attendees: [ID!], $key: String) {
  createMeeting(hostId: $host, title: "Spring line", startsAt: "2026-12-01T10:00:00Z",
    attendeeIds: $attendees, allowDoubleBooking: true, clientMutationId: $key) {
    id title host { id } attendees(first: 10) { nodes { id } } } }"""
UPDATE = """mutation($id: ID!, $key: String) {
  updateMeeting(id: $id, title: "Renamed", clientMutationId: $key) { id title } }"""
ADD = """mutation($id: ID!, $buyers: [ID!]!, $key: String) {
  addAttendees(meetingId: $id, buyerIds: $buyers, clientMutationId: $key) {
    id attendees(first: 10) { nodes { id } } } }"""
REMOVE = """mutation($id: ID!, $buyers: [ID!]!, $key: String) {
  removeAttendees(meetingId: $id, buyerIds: $buyers, clientMutationId: $key) { id } }"""
ATTACH = """mutation($id: ID!, $list: ID!, $key: String) {
  attachList(meetingId: $id, listId: $list, clientMutationId: $key) {
    id lists(first: 10) { nodes { id } } } }"""
DETACH = """mutation($id: ID!, $list: ID!, $key: String) {
  detachList(meetingId: $id, listId: $list, clientMutationId: $key) { id } }"""
START = "mutation($id: ID!, $key: String) { startMeeting(id: $id, clientMutationId: $key) { id status } }"
END = "mutation($id: ID!, $key: String) { endMeeting(id: $id, clientMutationId: $key) { id status } }"
NOTE = """mutation($id: ID!, $key: String, $shared: Boolean) {
  createNote(meetingId: $id, text: "Bring samples", shared: $shared, clientMutationId: $key) {
    id phase version meeting { id } } }"""
EDIT_NOTE = """mutation($id: ID!, $version: Int!, $key: String) {
  updateNote(id: $id, version: $version, text: "Edited", clientMutationId: $key) { id version text } }"""


@dataclass
class World:
    admin: int
    am: int
    other_am: int
    sc: int
    other_sc: int
    buyer: int  # direct buyer of `am`, attends `meeting`
    sibling: int  # buyer of `am` by territory
    stranger: int  # buyer of `other_am`
    meeting: int  # hosted by `am`, set up by `sc`
    other_meeting: int  # hosted by `other_am`
    sc_meeting: int  # hosted by `sc` themselves
    public_note: int  # shared with the attendees
    secret_note: int  # internal
    buyer_list: int  # `am`'s BUYER list for `buyer`, attached to `meeting`
    am_personal: int


@pytest.fixture
async def world(make) -> World:
    north = await make.territory("North")
    south = await make.territory("South")
    northwind = await make.company(north, "Northwind")
    southwind = await make.company(south, "Southwind")
    admin = await make.admin("Admin")
    am = await make.am("AM", territories=[north])
    other_am = await make.am("Other AM", territories=[south])
    sc = await make.sc("SC", ams=[am])
    other_sc = await make.sc("Other SC", ams=[other_am])
    buyer = await make.buyer(northwind, "Buyer", direct_am=am)
    sibling = await make.buyer(northwind, "Sibling")
    stranger = await make.buyer(southwind, "Stranger")
    meeting = await make.meeting(host=am, created_by=sc)
    await make.execute(meeting_attendees.insert().values(meeting_id=meeting, buyer_id=buyer))
    buyer_list = await make.list(am, "BUYER", "For buyer", buyer=buyer)
    await make.attach_list(meeting, buyer_list)
    public_note = await make.note(meeting, author=sc, text="Public", shared=True)
    secret_note = await make.note(meeting, author=am, text="Secret")
    return World(
        admin=admin,
        am=am,
        other_am=other_am,
        sc=sc,
        other_sc=other_sc,
        buyer=buyer,
        sibling=sibling,
        stranger=stranger,
        meeting=meeting,
        other_meeting=await make.meeting(host=other_am),
        # a day apart from `meeting`: rehosting it to `am` is no double booking (R33)
        sc_meeting=await make.meeting(host=sc, starts_at=utcnow() + timedelta(days=1)),
        public_note=public_note,
        secret_note=secret_note,
        buyer_list=buyer_list,
        am_personal=await make.list(am, "PERSONAL", "AM personal"),
    )


# -- R9, R10, R13: who sees the meeting, on every path ------------------------------------
SEEN = [
    # (label, viewer, channel, sees the meeting, sees the host-only note)
    ("R9-sc-web-manages-their-AMs-meeting", "sc", WEB, True, True),
    ("R10-sc-app-not-host-sees-nothing", "sc", APP, False, False),
    ("R9-host-web", "am", WEB, True, True),
    ("R10-host-app", "am", APP, True, True),
    ("R9-other-am-web", "other_am", WEB, False, False),
    ("R10-other-am-app", "other_am", APP, False, False),
    ("R9-other-sc-web", "other_sc", WEB, False, False),
    ("R13-buyer-web-attends-without-host-only-notes", "buyer", WEB, True, False),
    ("R10-buyer-app-is-no-host", "buyer", APP, False, False),
    ("R13-sibling-does-not-attend", "sibling", WEB, False, False),
    ("R9-admin-web", "admin", WEB, True, True),
    ("R10-admin-app-is-no-host", "admin", APP, False, False),
]


async def test_R9_R10_R13_who_sees_a_meeting_on_every_path(client, world):
    for label, viewer, channel, sees, sees_secret in SEEN:
        await check_sight(client, world, label, viewer, channel, sees, sees_secret)


async def check_sight(client, world, label, viewer, channel, sees, sees_secret):
    meeting_id = gid("Meeting", world.meeting)
    data = await client.data(
        SEES,
        {"id": meeting_id, "host": gid("User", world.am)},
        as_user=getattr(world, viewer),
        channel=channel,
    )
    top = {n["id"] for n in data["top"]["nodes"]}
    assert (meeting_id in top) is sees, label
    assert (data["a"] is not None) is sees
    assert (data["b"] is not None) is sees, label
    if data["host"] is not None:  # the host is in sight: their nested meetings agree
        assert (meeting_id in {n["id"] for n in data["host"]["meetings"]["nodes"]}) is sees, label
    if sees:
        note_ids = {n["id"] for n in data["a"]["notes"]["nodes"]}
        assert gid("Note", world.public_note) in note_ids
        assert (gid("Note", world.secret_note) in note_ids) is sees_secret
    for note, visible in ((world.public_note, sees), (world.secret_note, sees_secret)):
        found = await client.data(
            NOTE_NODE, {"id": gid("Note", note)}, as_user=getattr(world, viewer), channel=channel
        )
        assert (found["a"] is not None) is visible, label
        assert (found["b"] is not None) is visible


async def test_R13_a_buyer_sees_only_themselves_among_attendees_and_only_shared_lists(client, world, make):
    await make.execute(meeting_attendees.insert().values(meeting_id=world.meeting, buyer_id=world.sibling))
    await make.attach_list(world.meeting, world.am_personal)
    data = await client.data(MEETING_TREE, {"id": gid("Meeting", world.meeting)}, as_user=world.buyer)
    meeting = data["node"]
    assert {n["id"] for n in meeting["attendees"]["nodes"]} == {gid("User", world.buyer)}
    assert {n["id"] for n in meeting["lists"]["nodes"]} == {gid("List", world.buyer_list)}
    staff = await client.data(MEETING_TREE, {"id": gid("Meeting", world.meeting)}, as_user=world.sc)
    assert {n["id"] for n in staff["node"]["attendees"]["nodes"]} == {
        gid("User", world.buyer),
        gid("User", world.sibling),
    }
    # R11: through the meeting the SC reaches the AM's BUYER list and its personal list
    assert {n["id"] for n in staff["node"]["lists"]["nodes"]} == {
        gid("List", world.buyer_list),
        gid("List", world.am_personal),
    }


# -- R9, R10: who changes the meeting -----------------------------------------------------
OK = None
MATRIX = [
    # (label, viewer, channel, outcome of each operation: None = allowed, else the error code)
    ("R9-sc-web", "sc", WEB, {"update": OK, "note": OK, "add": OK, "attach": OK, "start": "FORBIDDEN"}),
    (
        "R10-sc-app",
        "sc",
        APP,
        {
            "update": "NOT_FOUND",
            "note": "NOT_FOUND",
            "add": "NOT_FOUND",
            "attach": "NOT_FOUND",
            "start": "NOT_FOUND",
        },
    ),
    ("R9-host-web", "am", WEB, {"update": OK, "note": OK, "add": OK, "attach": OK, "start": "FORBIDDEN"}),
    ("R10-host-app", "am", APP, {"update": OK, "note": OK, "add": OK, "attach": OK, "start": OK}),
    (
        "R9-other-am-web",
        "other_am",
        WEB,
        {
            "update": "NOT_FOUND",
            "note": "NOT_FOUND",
            "add": "NOT_FOUND",
            "attach": "NOT_FOUND",
            "start": "FORBIDDEN",
        },
    ),
    (
        "R10-other-am-app",
        "other_am",
        APP,
        {
            "update": "NOT_FOUND",
            "note": "NOT_FOUND",
            "add": "NOT_FOUND",
            "attach": "NOT_FOUND",
            "start": "NOT_FOUND",
        },
    ),
    (
        "R13-buyer-web",
        "buyer",
        WEB,
        {
            "update": "FORBIDDEN",
            "note": "FORBIDDEN",
            "add": "FORBIDDEN",
            "attach": "FORBIDDEN",
            "start": "FORBIDDEN",
        },
    ),
    (
        "R10-buyer-app",
        "buyer",
        APP,
        {
            "update": "FORBIDDEN",
            "note": "FORBIDDEN",
            "add": "FORBIDDEN",
            "attach": "FORBIDDEN",
            "start": "NOT_FOUND",
        },
    ),
]
OPERATIONS = {
    "update": (UPDATE, lambda w: {}),
    "note": (NOTE, lambda w: {}),
    "add": (ADD, lambda w: {"buyers": [gid("User", w.sibling)]}),
    "attach": (ATTACH, lambda w: {"list": gid("List", w.buyer_list)}),
    "start": (START, lambda w: {}),
}


async def test_R9_R10_who_changes_a_meeting(client, world, engine):
    for label, viewer, channel, outcomes in MATRIX:
        await check_changes(client, world, engine, label, viewer, channel, outcomes)


async def check_changes(client, world, engine, label, viewer, channel, outcomes):
    meeting_id = gid("Meeting", world.meeting)
    for operation, expected in outcomes.items():
        query, extra = OPERATIONS[operation]
        variables = {"id": meeting_id, "key": f"{operation}-{viewer}-{channel}", **extra(world)}
        before = await snapshot(engine)
        body = await client.post(query, variables, as_user=getattr(world, viewer), channel=channel)
        if expected is None:
            assert not body.get("errors"), (label, operation, body)
            payload = next(iter(body["data"].values()))
            assert payload is not None and meeting_id in str(payload), label
        else:
            assert codes(body) == [expected], (label, operation, body)
            assert await snapshot(engine) == before, (label, operation)  # a refusal writes nothing


async def test_R10_only_the_host_ends_the_meeting_and_writes_in_meeting_notes(client, world):
    meeting_id = gid("Meeting", world.meeting)
    await client.data(START, {"id": meeting_id, "key": "s1"}, as_user=world.am, channel=APP)
    # once started, an SC on the web may no longer add notes (in-meeting notes are the host's)
    body = await client.post(NOTE, {"id": meeting_id}, as_user=world.sc)
    assert codes(body) == ["FORBIDDEN"]
    note = await client.data(NOTE, {"id": meeting_id, "key": "n1"}, as_user=world.am, channel=APP)
    assert note["createNote"]["phase"] == "IN_MEETING"
    body = await client.post(END, {"id": meeting_id, "key": "e1"}, as_user=world.sc, channel=APP)
    assert codes(body) == ["NOT_FOUND"]
    ended = await client.data(END, {"id": meeting_id, "key": "e1"}, as_user=world.am, channel=APP)
    assert ended["endMeeting"]["status"] == "ENDED"
    # a second end (a new key) is no second effect: CONFLICT
    body = await client.post(END, {"id": meeting_id, "key": "e2"}, as_user=world.am, channel=APP)
    assert codes(body) == ["CONFLICT"]


async def test_R16_the_app_must_send_a_client_mutation_id(client, world, engine):
    before = await snapshot(engine)
    body = await client.post(NOTE, {"id": gid("Meeting", world.meeting)}, as_user=world.am, channel=APP)
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "clientMutationId"
    assert await snapshot(engine) == before


# -- R9: setup on behalf of an AM, and the buyers offered ---------------------------------
async def test_R9_an_sc_sets_up_a_meeting_for_their_am_who_is_the_host(client, world, engine):
    data = await client.data(
        CREATE, {"host": gid("User", world.am), "attendees": [gid("User", world.buyer)]}, as_user=world.sc
    )
    created = data["createMeeting"]
    assert created["host"]["id"] == gid("User", world.am)
    assert created["attendees"]["nodes"] == [{"id": gid("User", world.buyer)}]
    async with engine.connect() as connection:
        event = (
            await connection.execute(sa.select(audit_events).where(audit_events.c.action == "meeting.create"))
        ).one()
    assert (event.actor_id, event.on_behalf_of_id) == (world.sc, world.am)  # R25


# A host in the viewer's sight whom they may not set up meetings for is FORBIDDEN; one out of
# their sight is NOT_FOUND, exactly like an id of nobody (docs/security.md).
HOSTS = [
    ("R9-sc-for-own-am", "sc", "am", None),
    ("R9-sc-hosts-themselves", "sc", "sc", None),
    ("R9-sc-not-for-another-am-out-of-sight", "sc", "other_am", "NOT_FOUND"),
    ("R9-sc-not-for-a-buyer-in-sight", "sc", "buyer", "FORBIDDEN"),
    ("R9-am-for-themselves", "am", "am", None),
    ("R9-am-not-for-another-am-out-of-sight", "am", "other_am", "NOT_FOUND"),
    ("R9-am-not-for-their-sc-in-sight", "am", "sc", "FORBIDDEN"),
    ("R9-admin-for-any-am", "admin", "other_am", None),
    ("R9-buyer-never", "buyer", "am", "FORBIDDEN"),
    ("R9-not-a-buyer-as-host", "admin", "buyer", "FORBIDDEN"),
]


async def test_R9_who_may_be_host(client, world):
    for label, viewer, host, error in HOSTS:
        await check_host(client, world, label, viewer, host, error)


async def check_host(client, world, label, viewer, host, error):
    body = await client.post(
        CREATE, {"host": gid("User", getattr(world, host))}, as_user=getattr(world, viewer)
    )
    assert codes(body) == ([error] if error else [])


async def test_R9_offered_buyers_are_exactly_the_host_ams_associated_buyers(client, world):
    offered = await client.data(OFFERED, {"host": gid("User", world.am)}, as_user=world.sc)
    assert {n["id"] for n in offered["offeredBuyers"]["nodes"]} == {
        gid("User", world.buyer),
        gid("User", world.sibling),
    }
    searched = await client.data(OFFERED, {"host": gid("User", world.am), "search": "sib"}, as_user=world.sc)
    assert [n["id"] for n in searched["offeredBuyers"]["nodes"]] == [gid("User", world.sibling)]
    # an SC hosting themselves is offered the buyers of the AMs they support
    mine = await client.data(OFFERED, {"host": gid("User", world.sc)}, as_user=world.sc)
    assert {n["id"] for n in mine["offeredBuyers"]["nodes"]} == {
        gid("User", world.buyer),
        gid("User", world.sibling),
    }
    body = await client.post(OFFERED, {"host": gid("User", world.other_am)}, as_user=world.sc)
    assert codes(body) == ["NOT_FOUND"]  # out of the SC's sight
    body = await client.post(OFFERED, {"host": gid("User", world.buyer)}, as_user=world.sc)
    assert codes(body) == ["FORBIDDEN"]  # in sight, but no host


ATTENDEES = [
    # (viewer, the person named as an attendee, the answer)
    ("admin", "stranger", "FORBIDDEN"),  # the admin sees everyone: another AM's buyer
    ("admin", "other_am", "FORBIDDEN"),
    ("admin", "admin", "FORBIDDEN"),
    ("sc", "am", "FORBIDDEN"),  # in the SC's sight, but no buyer
    ("sc", "stranger", "NOT_FOUND"),  # out of the SC's sight: like an id of nobody
    ("sc", "other_am", "NOT_FOUND"),
    ("sc", "admin", "NOT_FOUND"),
]


async def test_R9_adding_a_buyer_not_associated_with_the_host_is_forbidden(client, world, engine):
    before = await snapshot(engine)
    for viewer, outsider, code in ATTENDEES:
        named = [gid("User", getattr(world, outsider))]
        for mutation, variables in (
            (ADD, {"id": gid("Meeting", world.meeting), "buyers": named}),
            (CREATE, {"host": gid("User", world.am), "attendees": named}),
        ):
            body = await client.post(mutation, variables, as_user=getattr(world, viewer))
            assert codes(body) == [code], (viewer, outsider)
    assert await snapshot(engine) == before


async def test_R9_changing_the_host_keeps_only_associated_attendees(client, world):
    change = """mutation($id: ID!, $host: ID!) { updateMeeting(id: $id, hostId: $host) { id host { id } } }"""
    body = await client.post(
        change,
        {"id": gid("Meeting", world.meeting), "host": gid("User", world.other_am)},
        as_user=world.admin,
    )
    assert codes(body) == ["FORBIDDEN"]  # the buyer is not other_am's
    data = await client.data(
        change, {"id": gid("Meeting", world.sc_meeting), "host": gid("User", world.am)}, as_user=world.sc
    )
    assert data["updateMeeting"]["host"]["id"] == gid("User", world.am)


async def test_R9_past_meetings_filter_by_host_buyer_dates_and_status(client, world):
    async def ids(**variables):
        data = await client.data(PAST, variables, as_user=world.sc)
        return {n["id"] for n in data["meetings"]["nodes"]}

    meeting, sc_meeting = gid("Meeting", world.meeting), gid("Meeting", world.sc_meeting)
    assert await ids() == {meeting, sc_meeting}
    assert await ids(host=gid("User", world.am)) == {meeting}
    assert await ids(buyer=gid("User", world.buyer)) == {meeting}
    assert await ids(status="SCHEDULED") == {meeting, sc_meeting}
    assert await ids(status="ENDED") == set()
    assert await ids(**{"from": "2000-01-01T00:00:00Z", "to": "2001-01-01T00:00:00Z"}) == set()
    assert await ids(**{"from": "2000-01-01T00:00:00Z"}) == {meeting, sc_meeting}


async def test_R11_attach_only_lists_you_may_open_and_detach(client, world, make):
    other_list = await make.list(world.other_am, "PERSONAL", "Not yours")
    body = await client.post(
        ATTACH, {"id": gid("Meeting", world.meeting), "list": gid("List", other_list)}, as_user=world.sc
    )
    assert codes(body) == ["NOT_FOUND"]
    await client.data(
        DETACH, {"id": gid("Meeting", world.meeting), "list": gid("List", world.buyer_list)}, as_user=world.am
    )
    # R11: with the list detached, the SC no longer reaches the AM's BUYER list
    data = await client.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": gid("List", world.buyer_list)}, as_user=world.sc
    )
    assert data["node"] is None


ATTACHING = [
    # (label, who attaches, which list, to which meeting, allowed)
    ("R37-sc-carries-another-AMs-list-to-this-AM", "sc", "other_buyer_list", "meeting", False),
    ("R37-admin-shows-no-list-to-another-host", "admin", "other_buyer_list", "meeting", False),
    ("R37-sc-shows-the-host-a-list-of-the-sc", "sc", "sc_personal", "meeting", True),
    ("R37-a-global-list-every-staff-member-sees", "sc", "global_list", "meeting", True),
    ("R37-the-hosts-list-already-in-their-meeting", "sc", "buyer_list", "second_meeting", True),
    ("R37-the-host-shows-their-own-list", "am", "am_personal", "meeting", True),
]  # fmt: skip


async def test_R37_attaching_a_list_never_shows_it_to_anyone_who_could_not_see_it(
    client, world, make, engine
):
    """The SC supports both AMs and reaches the other AM's BUYER list through that AM's meeting;
    attaching it to this AM's meeting would show it to this AM: FORBIDDEN, nothing written."""
    w = world
    await make.link_sc(w.other_am, w.sc)
    other_buyer_list = await make.list(w.other_am, "BUYER", "Stranger's", buyer=w.stranger)
    await make.attach_list(w.other_meeting, other_buyer_list)
    named = {
        "other_buyer_list": other_buyer_list,
        "sc_personal": await make.list(w.sc, "PERSONAL", "SC's"),
        "global_list": await make.list(w.admin, "GLOBAL", "Everyone's"),
        "buyer_list": w.buyer_list,
        "am_personal": w.am_personal,
        "meeting": w.meeting,
        "second_meeting": await make.meeting(host=w.am, created_by=w.sc),
    }
    for n, (label, who, list_name, meeting, allowed) in enumerate(ATTACHING):
        variables = {
            "id": gid("Meeting", named[meeting]),
            "list": gid("List", named[list_name]),
            "key": f"a{n}",
        }
        before = await snapshot(engine)
        body = await client.post(ATTACH, variables, as_user=getattr(w, who))
        if allowed:
            assert not body.get("errors"), (label, body)
        else:
            assert codes(body) == ["FORBIDDEN"], (label, body)
            assert body["errors"][0]["extensions"]["field"] == "listId", label
            assert await snapshot(engine) == before, label
    reached = await client.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": gid("List", other_buyer_list)}, as_user=w.am
    )
    assert reached["node"] is None  # the host still cannot open the other AM's list


async def test_R9_remove_attendees(client, world, engine):
    await client.data(
        REMOVE, {"id": gid("Meeting", world.meeting), "buyers": [gid("User", world.buyer)]}, as_user=world.sc
    )
    async with engine.connect() as connection:
        left = (await connection.execute(sa.select(meeting_attendees))).all()
    assert left == []
    data = await client.data(
        SEES, {"id": gid("Meeting", world.meeting), "host": gid("User", world.am)}, as_user=world.buyer
    )
    assert data["a"] is None  # R13: no longer attending, no longer seen


# -- R21: summaries through the outbox ----------------------------------------------------
SUMMARY = """mutation($id: ID!, $buyers: [ID!], $key: String) {
  sendMeetingSummary(meetingId: $id, buyerIds: $buyers, clientMutationId: $key) { id } }"""


async def test_R21_a_summary_goes_to_the_outbox_in_text_and_html_without_internal_notes(
    client, world, engine, make
):
    from salescoord.db.tables import emails

    content = await make.content("Blue jacket")
    await make.item(world.buyer_list, content, 0, note="Size M")
    meeting = gid("Meeting", world.meeting)
    body = await client.post(SUMMARY, {"id": meeting, "key": "s"}, as_user=world.sc, channel=APP)
    assert codes(body) == ["NOT_FOUND"]  # R10: through the app only the host sends it
    await client.data(SUMMARY, {"id": meeting, "key": "s"}, as_user=world.am, channel=APP)
    await client.data(SUMMARY, {"id": meeting, "key": "s"}, as_user=world.am, channel=APP)  # a replay
    await client.data(SUMMARY, {"id": meeting, "buyers": [gid("User", world.buyer)]}, as_user=world.sc)  # R9
    body = await client.post(
        SUMMARY, {"id": meeting, "buyers": [gid("User", world.sibling)]}, as_user=world.sc
    )
    assert codes(body) == ["BAD_USER_INPUT"]  # not an attendee
    async with engine.connect() as connection:
        sent = (await connection.execute(sa.select(emails).order_by(emails.c.id))).all()
        events = (
            await connection.execute(
                sa.select(audit_events.c.actor_id).where(audit_events.c.action == "meeting.summary.send")
            )
        ).all()
    assert len(sent) == 2  # the first send and the web re-send; the replay added nothing
    assert [e.actor_id for e in events] == [world.am, world.sc]
    for email in sent:
        assert (email.kind, email.status) == ("MEETING_SUMMARY", "PENDING")
        for part in (email.body_text, email.body_html):
            assert "Public" in part and "Blue jacket" in part and "Size M" in part and "Buyer" in part
            assert "Secret" not in part  # R13, R37: an internal note never reaches a buyer
