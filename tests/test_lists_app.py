"""R10, R16 for lists: what the app may do with lists, and exactly-once list mutations.

Through the app a list reached only through a meeting is the host's to use: they add, move,
remove and annotate its items; an SC who does not host it reaches nothing of it; the viewer's
own lists are theirs on either channel. Every list mutation takes a `clientMutationId`,
required with an app token; a replay (also 100 at once) has one effect and the same answer.
"""

from __future__ import annotations

import asyncio
import base64
import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from salescoord.db.tables import audit_events, list_items, lists, meeting_attendees
from salescoord.permissions.enums import Channel

from tests.db_state import snapshot
from tests.helpers import codes, gid

WEB, APP = Channel.WEB, Channel.APP

CREATE_LIST = """mutation($name: String!, $key: String) {
  createList(name: $name, kind: PERSONAL, clientMutationId: $key) { id name version } }"""
RENAME_LIST = """mutation($id: ID!, $name: String!, $key: String) {
  renameList(id: $id, name: $name, clientMutationId: $key) { id name version } }"""
DELETE_LIST = "mutation($id: ID!, $key: String) { deleteList(id: $id, clientMutationId: $key) }"
ADD_ITEM = """mutation($list: ID!, $content: ID!, $position: Int, $key: String) {
  addListItem(listId: $list, contentId: $content, position: $position, note: "Show first",
    clientMutationId: $key) { id position note list { id items(first: 100) { nodes { id } } } } }"""
MOVE_ITEM = """mutation($id: ID!, $position: Int!, $key: String) {
  moveListItem(id: $id, position: $position, clientMutationId: $key) { id position version } }"""
REMOVE_ITEM = "mutation($id: ID!, $key: String) { removeListItem(id: $id, clientMutationId: $key) }"
ITEM_NOTE = """mutation($id: ID!, $version: Int!, $note: String, $key: String) {
  updateListItemNote(id: $id, note: $note, version: $version, clientMutationId: $key) {
    id note version list { id } } }"""

# Every path to a list and an item (R10's "every way of reaching an object"): the Lists
# section, a meeting's nested lists and their items, node(id:) twice under aliases, and an
# item's own list.
PATHS = """query($list: ID!, $item: ID!) {
  section: lists(first: 100) { nodes { id } }
  meetings(first: 10) { nodes { lists(first: 10) { nodes { id items(first: 10) { nodes { id } } } } } }
  a: node(id: $list) { id ... on List { items(first: 100) { nodes { id } } } }
  b: node(id: $list) { id }
  item: node(id: $item) { id ... on ListItem { list { id } } }
}"""


@dataclass
class World:
    admin: int
    am: int
    other_am: int
    sc: int  # supports `am`
    buyer: int  # direct buyer of `am`
    am_meeting: int  # hosted by `am`, set up by `sc`
    sc_meeting: int  # hosted by `sc` themselves
    buyer_list: int  # `am`'s BUYER list for `buyer`, attached to `am_meeting`
    shown_by_sc: int  # `am`'s BUYER list for `buyer`, attached to `sc_meeting`
    am_personal: int  # attached to no meeting
    global_list: int  # attached to `am_meeting`
    items: dict[int, int]  # the one item of each list above
    content: int


@pytest.fixture
async def world(make) -> World:
    north, south = await make.territory("North"), await make.territory("South")
    company = await make.company(north)
    am = await make.am("AM", territories=[north])
    other_am = await make.am("Other AM", territories=[south])
    sc = await make.sc("SC", ams=[am])
    buyer = await make.buyer(company, "Buyer", direct_am=am)
    admin = await make.admin()
    am_meeting = await make.meeting(host=am, created_by=sc)
    sc_meeting = await make.meeting(host=sc)
    for meeting in (am_meeting, sc_meeting):
        await make.execute(meeting_attendees.insert().values(meeting_id=meeting, buyer_id=buyer))
    buyer_list = await make.list(am, "BUYER", "For buyer", buyer=buyer)
    shown_by_sc = await make.list(am, "BUYER", "Shown by the SC", buyer=buyer)
    am_personal = await make.list(am, "PERSONAL", "AM personal")
    global_list = await make.list(admin, "GLOBAL", "Lookbook")
    await make.attach_list(am_meeting, buyer_list)
    await make.attach_list(am_meeting, global_list)
    await make.attach_list(sc_meeting, shown_by_sc)
    shown = await make.content("Shown")
    items = {pk: await make.item(pk, shown, 0) for pk in (buyer_list, shown_by_sc, am_personal, global_list)}
    return World(
        admin=admin,
        am=am,
        other_am=other_am,
        sc=sc,
        buyer=buyer,
        am_meeting=am_meeting,
        sc_meeting=sc_meeting,
        buyer_list=buyer_list,
        shown_by_sc=shown_by_sc,
        am_personal=am_personal,
        global_list=global_list,
        items=items,
        content=await make.content("Loose"),
    )


async def item_version(engine, item: int) -> int:
    async with engine.connect() as connection:
        return (
            await connection.execute(sa.select(list_items.c.version).where(list_items.c.id == item))
        ).scalar()


# -- R10: who changes a list's items, by channel ------------------------------------------
OK, NO, HIDDEN = None, "FORBIDDEN", "NOT_FOUND"
CHANGES = [
    # (label, viewer, channel, list, outcome of add, move, remove, note, rename)
    ("R10-host-app-their-list-in-their-meeting", "am", APP, "buyer_list", [OK, OK, OK, OK, OK]),
    ("R11-owner-web", "am", WEB, "buyer_list", [OK, OK, OK, OK, OK]),
    ("R10-owner-app-a-list-of-no-meeting", "am", APP, "am_personal", [OK, OK, OK, OK, OK]),
    ("R10-sc-app-not-host-reaches-nothing", "sc", APP, "buyer_list", [HIDDEN] * 5),
    ("R9-sc-web-manages-the-meeting-annotates-only", "sc", WEB, "buyer_list", [NO, NO, NO, OK, NO]),
    ("R10-sc-app-hosts-adds-content-to-the-meeting's-list", "sc", APP, "shown_by_sc", [OK, OK, OK, OK, NO]),
    ("R9-sc-web-own-meeting-annotates-only", "sc", WEB, "shown_by_sc", [NO, NO, NO, OK, NO]),
    ("R11-owner-app-their-list-in-a-meeting-the-sc-hosts", "am", APP, "shown_by_sc", [OK] * 5),
    ("R10-other-am-app", "other_am", APP, "buyer_list", [HIDDEN] * 5),
    ("R11-other-am-web", "other_am", WEB, "buyer_list", [HIDDEN] * 5),
    ("R13-buyer-web-sees-the-shared-list", "buyer", WEB, "buyer_list", [NO] * 5),
    ("R13-buyer-app", "buyer", APP, "buyer_list", [NO] * 5),
    ("R11-host-app-global-list-in-their-meeting", "am", APP, "global_list", [NO] * 5),
    ("R11-admin-app-global-list", "admin", APP, "global_list", [OK, OK, OK, OK, OK]),
]


async def test_R10_R11_who_changes_which_list_through_the_app_and_the_web(client, world, engine):
    for label, viewer, channel, list_name, outcomes in CHANGES:
        await check_list_changes(
            client, world, engine, label, getattr(world, viewer), channel, list_name, outcomes
        )


async def check_list_changes(client, world, engine, label, viewer, channel, list_name, outcomes):
    add, move, remove, note, rename = outcomes
    list_pk = getattr(world, list_name)
    list_id, keys = gid("List", list_pk), iter(range(100))

    async def attempt(query, variables, expected):
        key = f"{label}-{next(keys)}"
        before = await snapshot(engine)
        body = await client.post(query, {**variables, "key": key}, as_user=viewer, channel=channel)
        step = (label, re.search(r"\{\s*(\w+)\(", query).group(1), body)  # the mutation's name
        if expected is None:
            assert not body.get("errors"), step
            return next(iter(body["data"].values()))
        assert codes(body) == [expected], step
        assert await snapshot(engine) == before, step  # a refusal writes nothing
        return None

    added = await attempt(ADD_ITEM, {"list": list_id, "content": gid("Content", world.content)}, add)
    if added is not None:  # the payload reads the list through the viewer's scope
        assert added["list"]["id"] == list_id, label
        assert added["id"] in {n["id"] for n in added["list"]["items"]["nodes"]}, label
    # the new item where the viewer may change items, the list's own item where they may not
    item = _pk(added["id"]) if added else world.items[list_pk]
    item_id = gid("ListItem", item)
    moved = await attempt(MOVE_ITEM, {"id": item_id, "position": 0}, move)
    if moved is not None:
        assert (moved["id"], moved["position"]) == (item_id, 0), label
    version = await item_version(engine, item)
    noted = await attempt(ITEM_NOTE, {"id": item_id, "version": version, "note": label}, note)
    if noted is not None:
        assert (noted["note"], noted["version"], noted["list"]) == (label, version + 1, {"id": list_id})
    removed = await attempt(REMOVE_ITEM, {"id": item_id}, remove)
    if removed is not None:
        assert removed == item_id
    renamed = await attempt(RENAME_LIST, {"id": list_id, "name": label[:200]}, rename)
    if renamed is not None:
        assert renamed["name"] == label[:200]


def _pk(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().partition(":")[2])


SIGHT = [
    # (label, viewer, channel, list: whether each path reaches it)
    ("R10-host-app", "am", APP, "buyer_list", True),
    ("R10-sc-app-not-host", "sc", APP, "buyer_list", False),
    ("R9-sc-web", "sc", WEB, "buyer_list", True),
    ("R10-sc-app-host", "sc", APP, "shown_by_sc", True),
    ("R10-other-am-app", "other_am", APP, "buyer_list", False),
    ("R10-other-am-app-sc-meeting", "other_am", APP, "shown_by_sc", False),
    ("R13-buyer-web", "buyer", WEB, "buyer_list", True),
]


async def test_R10_a_list_reached_through_a_meeting_is_in_sight_on_every_path_only_for_its_host(
    client, world
):
    for label, viewer, channel, list_name, reached in SIGHT:
        list_pk = getattr(world, list_name)
        list_id, item_id = gid("List", list_pk), gid("ListItem", world.items[list_pk])
        data = await client.data(
            PATHS, {"list": list_id, "item": item_id}, as_user=getattr(world, viewer), channel=channel
        )
        nested = {
            (found["id"], item["id"])
            for meeting in data["meetings"]["nodes"]
            for found in meeting["lists"]["nodes"]
            for item in found["items"]["nodes"]
        }
        assert ((list_id, item_id) in nested) is reached, label
        assert (data["a"] is not None) is (data["b"] is not None) is reached, label
        assert (data["item"] is not None) is reached, label
        if reached:
            assert data["a"]["id"] == data["b"]["id"] == list_id, label
            assert item_id in {n["id"] for n in data["a"]["items"]["nodes"]}, label
            assert data["item"]["list"] == {"id": list_id}, label
        # the Lists section shows a BUYER list to its owner and its buyer only (R11)
        in_section = list_id in {n["id"] for n in data["section"]["nodes"]}
        assert in_section is (viewer in ("am", "buyer")), label


# -- R16: keys on every list mutation -----------------------------------------------------
def every_list_mutation(world: World) -> list[tuple[str, str, dict]]:
    personal, item = gid("List", world.am_personal), gid("ListItem", world.items[world.am_personal])
    return [
        ("createList", CREATE_LIST, {"name": "In front of the buyer"}),
        ("renameList", RENAME_LIST, {"id": personal, "name": "Renamed in the app"}),
        ("addListItem", ADD_ITEM, {"list": personal, "content": gid("Content", world.content)}),
        ("updateListItemNote", ITEM_NOTE, {"id": item, "version": 1, "note": "Size M"}),
        ("moveListItem", MOVE_ITEM, {"id": item, "position": 5}),
        ("removeListItem", REMOVE_ITEM, {"id": item}),
        ("deleteList", DELETE_LIST, {"id": personal}),
    ]


async def test_R16_every_list_mutation_from_the_app_needs_a_key(client, world, engine):
    before = await snapshot(engine)
    for name, query, variables in every_list_mutation(world):
        body = await client.post(query, variables, as_user=world.am, channel=APP)
        assert codes(body) == ["BAD_USER_INPUT"], name
        assert body["errors"][0]["extensions"]["field"] == "clientMutationId", name
    assert await snapshot(engine) == before


async def audit_count(engine) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(sa.select(sa.func.count()).select_from(audit_events))).scalar_one()


async def test_R16_R25_a_replayed_list_mutation_has_one_effect_and_the_same_answer(client, world, engine):
    for name, query, variables in every_list_mutation(world):
        keyed = {**variables, "key": f"replay-{name}"}
        audits = await audit_count(engine)
        first = await client.data(query, keyed, as_user=world.am, channel=APP)
        after_first = await snapshot(engine)
        assert await audit_count(engine) == audits + 1, name  # one audit event, with the effect
        for _ in range(2):
            again = await client.data(query, keyed, as_user=world.am, channel=APP)
            assert again == first, name
            assert await snapshot(engine) == after_first, name  # nothing more happened
        # the same key with another request is refused and does nothing
        other = {**keyed, **_another(name, world)}
        body = await client.post(query, other, as_user=world.am, channel=APP)
        assert codes(body) == ["BAD_USER_INPUT"], name
        assert body["errors"][0]["extensions"]["field"] == "clientMutationId", name
        assert await snapshot(engine) == after_first, name


def _another(name: str, world: World) -> dict:
    """Arguments that make a different request of the same mutation."""
    return {
        "createList": {"name": "Another"},
        "renameList": {"name": "Another"},
        "addListItem": {"position": 0},
        "moveListItem": {"position": 0},
        "updateListItemNote": {"note": "Another"},
        "removeListItem": {"id": gid("ListItem", world.items[world.buyer_list])},
        "deleteList": {"id": gid("List", world.buyer_list)},
    }[name]


async def test_R16_a_hundred_concurrent_copies_of_an_add_a_note_and_a_removal_have_one_effect(
    client, world, engine
):
    """The app resends on a poor network; the copies may reach several server processes at once.
    Without the key an add's copies would add a hundred items, a note's would answer CONFLICT,
    a removal's NOT_FOUND."""
    target = gid("List", world.am_personal)

    async def hundred(query: str, variables: dict) -> dict:
        bodies = await asyncio.gather(
            *(client.post(query, variables, as_user=world.am, channel=APP) for _ in range(100))
        )
        assert [codes(body) for body in bodies] == [[]] * 100
        payloads = {repr(body["data"]) for body in bodies}
        assert len(payloads) == 1, payloads  # every copy answers with the same payload
        return bodies[0]["data"]

    audits = await audit_count(engine)
    added = await hundred(ADD_ITEM, {"list": target, "content": gid("Content", world.content), "key": "a"})
    new_item = added["addListItem"]["id"]
    noted = await hundred(ITEM_NOTE, {"id": new_item, "version": 1, "note": "Once", "key": "n"})
    assert noted["updateListItemNote"]["version"] == 2  # one write, not a CONFLICT for the copies
    # a move's copies would only repeat it; one call, so that the positions below say something
    moved = await client.data(
        MOVE_ITEM, {"id": new_item, "position": 0, "key": "m"}, as_user=world.am, channel=APP
    )
    assert moved["moveListItem"]["position"] == 0
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                sa.select(list_items.c.id, list_items.c.position, list_items.c.note, list_items.c.version)
                .where(list_items.c.list_id == world.am_personal)
                .order_by(list_items.c.position)
            )
        ).all()
        list_version = (
            await connection.execute(sa.select(lists.c.version).where(lists.c.id == world.am_personal))
        ).scalar()
    assert [(r.position, r.note, r.version) for r in rows] == [(0, "Once", 3), (1, None, 1)]
    assert gid("ListItem", rows[0].id) == new_item
    assert list_version == 3  # one add and one move, each bumping the list's version once
    assert await audit_count(engine) == audits + 3
    removed = await hundred(REMOVE_ITEM, {"id": new_item, "key": "r"})
    assert removed == {"removeListItem": new_item}
    assert await audit_count(engine) == audits + 4


async def test_R16_the_catalogue_is_kept_on_the_web(client, world, engine):
    """createContent is back-office work: refused to an app token, even with MANAGE_GLOBAL_LISTS."""
    create = 'mutation { createContent(title: "Coat", kind: PRODUCT, reference: "SKU-9") { title } }'
    before = await snapshot(engine)
    body = await client.post(create, as_user=world.admin, channel=APP)
    assert codes(body) == ["FORBIDDEN"]
    assert await snapshot(engine) == before
    assert (await client.data(create, as_user=world.admin))["createContent"] == {"title": "Coat"}


@pytest.mark.parametrize(
    "viewer, channel, list_name",
    [("am", APP, "buyer_list"), ("sc", WEB, "buyer_list"), ("sc", APP, "shown_by_sc")],
    ids=["R10-host-app-keyed", "R9-sc-web-through-the-meeting", "R10-sc-hosting-app-keyed"],
)
async def test_R17_R16_a_stale_item_note_on_every_write_path_is_a_conflict_that_overwrites_nothing(
    client, world, engine, viewer, channel, list_name
):
    """The host through the app (with a key), the SC through a meeting they manage, the SC
    hosting through the app: a stale version gets the current item, stores nothing, and a
    replay of the same key answers the same CONFLICT."""
    item = world.items[getattr(world, list_name)]
    await client.data(
        ITEM_NOTE, {"id": gid("ListItem", item), "version": 1, "note": "First"}, as_user=world.am, channel=WEB
    )
    before = await snapshot(engine)
    stale = {"id": gid("ListItem", item), "version": 1, "note": "Stale", "key": f"stale-{viewer}-{channel}"}
    for _ in range(2):
        body = await client.post(ITEM_NOTE, stale, as_user=getattr(world, viewer), channel=channel)
        assert codes(body) == ["CONFLICT"]
        assert body["errors"][0]["extensions"]["current"] == {
            "id": gid("ListItem", item),
            "version": 2,
            "note": "First",
        }
        assert await snapshot(engine) == before
