"""R16, R31: objects the app creates take a client-generated UUID, and mutations queued behind
the create name the object by it before the server has answered. The server answers with
global ids and the client id; another user's client id, or one that names nothing, reads
exactly like an unknown global id (NOT_FOUND, null from node); a malformed one is
BAD_USER_INPUT and writes nothing."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from salescoord.db.tables import list_items, lists, meetings, notes
from salescoord.permissions.enums import Channel

from tests.db_state import snapshot
from tests.helpers import codes, gid

APP, WEB = Channel.APP, Channel.WEB

CREATE_LIST = """mutation($c: ID, $k: String) {
  createList(name: "Show today", kind: PERSONAL, clientId: $c, clientMutationId: $k) { id clientId } }"""
ADD_ITEM = """mutation($l: ID!, $content: ID!, $c: ID, $k: String) {
  addListItem(listId: $l, contentId: $content, note: "blue", clientId: $c, clientMutationId: $k) {
    id clientId list { id clientId } } }"""
ITEM_NOTE = """mutation($id: ID!, $k: String) {
  updateListItemNote(id: $id, note: "in blue and red", version: 1, clientMutationId: $k) {
    id note version } }"""
CREATE_MEETING = """mutation($host: ID!, $c: ID, $k: String) {
  createMeeting(hostId: $host, title: "Visit", startsAt: "2027-01-05T10:00:00Z", clientId: $c,
                clientMutationId: $k) { id clientId } }"""
ATTACH = """mutation($m: ID!, $l: ID!, $k: String) {
  attachList(meetingId: $m, listId: $l, clientMutationId: $k) {
    id lists { edges { node { id clientId } } } } }"""
CREATE_NOTE = """mutation($m: ID!, $c: ID, $k: String) {
  createNote(meetingId: $m, text: "Wants the blue range", clientId: $c, clientMutationId: $k) {
    id clientId meeting { id clientId } } }"""
UPDATE_NOTE = """mutation($id: ID!, $k: String) {
  updateNote(id: $id, version: 1, text: "Wants the red range", clientMutationId: $k) {
    id text version clientId } }"""
NODE = """query($id: ID!) { node(id: $id) { id ... on List { clientId } ... on Note { clientId } } }"""
NODES = """query($ids: [ID!]!) { nodes(ids: $ids) { id } }"""


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class World:
    am: int
    other_am: int
    content: int


@pytest.fixture
async def world(make) -> World:
    north = await make.territory("North")
    am = await make.am("AM", territories=[north])
    other_am = await make.am("Other AM", territories=[north])
    return World(am, other_am, await make.content("Blue range"))


def queue(w: World) -> list[tuple[str, dict]]:
    """What an app queued offline, in order, naming every new object by its client id only."""
    lst, item, meeting, note = new_id(), new_id(), new_id(), new_id()
    return [
        (CREATE_LIST, {"c": lst, "k": new_id()}),
        (ADD_ITEM, {"l": lst, "content": gid("Content", w.content), "c": item, "k": new_id()}),
        (ITEM_NOTE, {"id": item, "k": new_id()}),
        (CREATE_MEETING, {"host": gid("User", w.am), "c": meeting, "k": new_id()}),
        (ATTACH, {"m": meeting, "l": lst, "k": new_id()}),
        (CREATE_NOTE, {"m": meeting, "c": note, "k": new_id()}),
        (UPDATE_NOTE, {"id": note, "k": new_id()}),
    ]


async def test_R31_a_queue_of_offline_mutations_names_new_objects_by_client_id(client, world, engine):
    """List -> item -> item note -> meeting -> attach -> note -> note edit, each naming what
    the ones before created by its client id; every answer carries global ids and client ids."""
    calls = queue(world)
    answers = [
        await client.data(query, variables, as_user=world.am, channel=APP) for query, variables in calls
    ]
    created_list, item, item_note, meeting, attached, note, edited = (next(iter(a.values())) for a in answers)
    lst, item_id, meeting_id, note_id = (calls[i][1]["c"] for i in (0, 1, 3, 5))
    assert created_list["clientId"] == lst and created_list["id"].startswith("TGlzd")  # a global id
    assert item["clientId"] == item_id and item["list"] == created_list
    assert item_note == {"id": item["id"], "note": "in blue and red", "version": 2}
    assert meeting["clientId"] == meeting_id
    assert attached["lists"]["edges"] == [{"node": created_list}]
    assert note["clientId"] == note_id and note["meeting"] == meeting
    assert edited == {"id": note["id"], "text": "Wants the red range", "version": 2, "clientId": note_id}
    async with engine.connect() as connection:
        for table, client_id in (
            (lists, lst),
            (list_items, item_id),
            (meetings, meeting_id),
            (notes, note_id),
        ):
            count = await connection.scalar(sa.select(sa.func.count()).where(table.c.client_id == client_id))
            assert count == 1, table.name

    # the whole queue replayed (the answers were lost): one effect, the same answers
    again = [await client.data(query, variables, as_user=world.am, channel=APP) for query, variables in calls]
    assert again[:2] == answers[:2] and again[3:6] == answers[3:6]
    async with engine.connect() as connection:
        assert await connection.scalar(sa.select(sa.func.count()).select_from(notes)) == 1
        assert await connection.scalar(sa.select(sa.func.count()).select_from(list_items)) == 1


async def test_R31_a_create_sent_again_under_a_new_key_answers_with_the_same_object(client, world, engine):
    """The client id names one object for good: a create resent after its key expired (or with
    another key) answers with that object and writes nothing."""
    lst = new_id()
    first = await client.data(CREATE_LIST, {"c": lst, "k": "first"}, as_user=world.am, channel=APP)
    before = await snapshot(engine)
    second = await client.data(CREATE_LIST, {"c": lst, "k": "second"}, as_user=world.am, channel=APP)
    assert first == second
    assert await snapshot(engine) == before


async def test_R31_another_users_client_id_reads_like_an_unknown_id(client, world, engine):
    lst, note_meeting = new_id(), new_id()
    created = await client.data(CREATE_LIST, {"c": lst, "k": new_id()}, as_user=world.am, channel=APP)
    await client.data(
        CREATE_MEETING,
        {"host": gid("User", world.am), "c": note_meeting, "k": new_id()},
        as_user=world.am,
        channel=APP,
    )
    before = await snapshot(engine)
    for name_of_it in (lst, new_id()):  # someone else's, and nobody's
        body = await client.post(
            ADD_ITEM,
            {"l": name_of_it, "content": gid("Content", world.content), "k": new_id()},
            as_user=world.other_am,
            channel=APP,
        )
        assert codes(body) == ["NOT_FOUND"] and body["errors"][0]["extensions"]["field"] == "listId"
        assert body["errors"][0]["message"] == "No List with that id."
    for name_of_it in (note_meeting, new_id()):
        body = await client.post(
            CREATE_NOTE, {"m": name_of_it, "k": new_id()}, as_user=world.other_am, channel=APP
        )
        assert codes(body) == ["NOT_FOUND"]
    assert (await client.data(NODE, {"id": lst}, as_user=world.other_am))["node"] is None
    assert (await client.data(NODES, {"ids": [lst, new_id()]}, as_user=world.other_am))["nodes"] == [
        None,
        None,
    ]
    assert await snapshot(engine) == before
    # its creator reaches it by node(id:) too; nobody else is told its client id
    assert (await client.data(NODE, {"id": lst}, as_user=world.am))["node"] == created["createList"]


async def test_R31_the_same_client_id_names_different_objects_for_different_users(client, world):
    """Unique per creator: two users' apps may (in theory) pick one UUID; each names their own."""
    shared = new_id()
    mine = await client.data(CREATE_LIST, {"c": shared, "k": new_id()}, as_user=world.am, channel=APP)
    theirs = await client.data(CREATE_LIST, {"c": shared, "k": new_id()}, as_user=world.other_am, channel=APP)
    assert mine["createList"]["id"] != theirs["createList"]["id"]
    assert (await client.data(NODE, {"id": shared}, as_user=world.other_am))["node"] == theirs["createList"]


MALFORMED = [
    "not-a-uuid",
    "5F0C4A2E-1B3D-4C5E-8F70-9A1B2C3D4E5F",  # upper case: one object, one spelling
    "5f0c4a2e1b3d4c5e8f709a1b2c3d4e5f",  # no hyphens
    "{5f0c4a2e-1b3d-4c5e-8f70-9a1b2c3d4e5f}",
    "5f0c4a2e-1b3d-4c5e-8f70-9a1b2c3d4e5f\x00",
    "5f0c4a2e-1b3d-4c5e-8f70-9a1b2c3d4e5\ud800",
    "",
    "x" * 5000,
]


async def test_R23_a_malformed_client_id_is_bad_user_input_and_writes_nothing(client, world, engine):
    meeting = await client.data(
        CREATE_MEETING, {"host": gid("User", world.am), "k": new_id()}, as_user=world.am
    )
    meeting_id = meeting["createMeeting"]["id"]
    before = await snapshot(engine)
    for bad in MALFORMED:
        for query, variables in (
            (CREATE_LIST, {"c": bad, "k": new_id()}),
            (
                ADD_ITEM,
                {"l": gid("List", 1), "content": gid("Content", world.content), "c": bad, "k": new_id()},
            ),
            (CREATE_MEETING, {"host": gid("User", world.am), "c": bad, "k": new_id()}),
            (CREATE_NOTE, {"m": meeting_id, "c": bad, "k": new_id()}),
        ):
            # JSON with \u escapes, as an app sends a lone surrogate
            content = json.dumps({"query": query, "variables": variables})
            headers = {
                "Authorization": f"Bearer {client.token(world.am)}",
                "Content-Type": "application/json",
            }
            body = (await client.http.post("/graphql", content=content, headers=headers)).json()
            assert codes(body) == ["BAD_USER_INPUT"], (bad, query, body)
            # text no column can store is refused with the variable already (test_storable_input)
            assert body["errors"][0]["extensions"].get("field") in ("clientId", "c")
    assert await snapshot(engine) == before


async def test_R31_a_client_id_names_only_an_object_of_the_right_type(client, world):
    """A meeting's client id where a list is wanted is NOT_FOUND, like another type's global id."""
    meeting = new_id()
    await client.data(
        CREATE_MEETING, {"host": gid("User", world.am), "c": meeting, "k": new_id()}, as_user=world.am
    )
    body = await client.post(
        ADD_ITEM, {"l": meeting, "content": gid("Content", world.content), "k": new_id()}, as_user=world.am
    )
    assert codes(body) == ["NOT_FOUND"]
