"""R11, R13, R17, R23, R25: lists on every path (the Lists section, a user's `lists`
connection, `node(id:)`, an aliased duplicate, a mutation's payload), the edits of lists and
their items, and the audit trail each edit leaves."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from salescoord.db.tables import audit_events, list_items, lists, meeting_lists
from salescoord.permissions.enums import Channel

from tests.helpers import gid

# -- queries ------------------------------------------------------------------------------
# The Lists section as one viewer sees it: twice under two aliases, by kind, the viewer's own
# `lists` connection, and the content catalogue.
SECTION = """query {
  a: lists(first: 100) { totalCount nodes { id } }
  b: lists(first: 100) { totalCount nodes { id } }
  global: lists(first: 100, kind: GLOBAL) { totalCount nodes { id } }
  buyer: lists(first: 100, kind: BUYER) { totalCount nodes { id } }
  viewer { lists(first: 100) { totalCount nodes { id } } }
  contents(first: 100) { totalCount nodes { id } }
}"""
USER_LISTS = """query($id: ID!) {
  a: node(id: $id) { ... on User { lists(first: 100) { totalCount nodes { id } } } }
  b: node(id: $id) { ... on User { lists(first: 100) { totalCount nodes { id } } } }
}"""
MY_AMS_LISTS = """query { viewer { accountManagers(first: 100) { nodes { id
  lists(first: 100) { totalCount nodes { id } } } } } }"""
NODE = """query($id: ID!) { node(id: $id) { id
  ... on List { items(first: 100) { totalCount nodes { id position note content { id } } } }
  ... on ListItem { note version list { id } content { id } }
} }"""
ALIASED = "query($id: ID!) { a: node(id: $id) { id } b: node(id: $id) { id } }"
ITEMS = """query($id: ID!) { node(id: $id) { ... on List {
  items(first: 100) { totalCount nodes { id position content { id } } } } } }"""
ITEMS_PAGE = (
    "query($id: ID!, $first: Int!) { node(id: $id) { ... on List { items(first: $first) { totalCount } } } }"
)

# -- mutations ----------------------------------------------------------------------------
CREATE_LIST = """mutation($name: String!, $kind: ListKind!, $buyerId: ID) {
  createList(name: $name, kind: $kind, buyerId: $buyerId) { id name kind owner { id } buyer { id } } }"""
RENAME_LIST = "mutation($id: ID!, $name: String!) { renameList(id: $id, name: $name) { id name } }"
DELETE_LIST = "mutation($id: ID!) { deleteList(id: $id) }"
ADD_ITEM = """mutation($listId: ID!, $contentId: ID!, $position: Int, $note: String) {
  addListItem(listId: $listId, contentId: $contentId, position: $position, note: $note) {
    id position note content { id } } }"""
MOVE_ITEM = (
    "mutation($id: ID!, $position: Int!) { moveListItem(id: $id, position: $position) { id position } }"
)
REMOVE_ITEM = "mutation($id: ID!) { removeListItem(id: $id) }"
UPDATE_NOTE = """mutation($id: ID!, $note: String, $version: Int!) {
  updateListItemNote(id: $id, note: $note, version: $version) {
    id note version
    list { id buyer { id } owner { id lists(first: 100) { nodes { id } } }
      items(first: 100) { nodes { id } } }
  } }"""
GRANT_SC = """mutation($permissions: [Permission!]!) {
  setRolePermissions(role: SALES_COORDINATOR, permissions: $permissions) { name } }"""


# -- the world ----------------------------------------------------------------------------
@dataclass
class World:
    admin: int
    am: int
    other_am: int
    sc: int  # supports `am`
    other_sc: int  # supports `other_am`
    buyer: int  # direct buyer of `am`
    sibling: int  # buyer of `am` by territory, same company as `buyer`
    stranger: int  # buyer of `other_am`
    shared: int  # content on `buyer_list`
    on_sibling_list: int
    on_global_list: int
    on_stranger_list: int
    loose: int  # content on no list
    global_list: int  # GLOBAL, made by the admin
    am_global: int  # GLOBAL, owned by `am` (made when their role could)
    am_personal: int
    buyer_list: int  # `am`'s BUYER list for `buyer`
    sibling_list: int  # `am`'s BUYER list for `sibling`
    stranger_list: int  # `other_am`'s BUYER list for `stranger`
    sc_personal: int
    buyer_item: int  # the one item of `buyer_list`
    stranger_item: int  # the one item of `stranger_list`
    am_personal_item: int
    global_item: int
    meeting: int  # hosted by `am`, set up by `sc`
    other_meeting: int  # hosted by `other_am`


@pytest.fixture
async def world(make) -> World:
    territory = await make.territory("North")
    other_territory = await make.territory("South")
    company = await make.company(territory, "Northwind")
    other_company = await make.company(other_territory, "Southwind")
    admin = await make.admin("Admin")
    am = await make.am("AM", territories=[territory])
    other_am = await make.am("Other AM", territories=[other_territory])
    sc = await make.sc("SC", ams=[am])
    other_sc = await make.sc("Other SC", ams=[other_am])
    buyer = await make.buyer(company, "Buyer", direct_am=am)
    sibling = await make.buyer(company, "Sibling")
    stranger = await make.buyer(other_company, "Stranger")
    shared = await make.content("Shared")
    on_sibling_list = await make.content("Sibling's")
    on_global_list = await make.content("Global")
    on_stranger_list = await make.content("Stranger's")
    loose = await make.content("Loose")
    global_list = await make.list(admin, "GLOBAL", "Global")
    am_global = await make.list(am, "GLOBAL", "AM global")
    am_personal = await make.list(am, "PERSONAL", "AM personal")
    buyer_list = await make.list(am, "BUYER", "For buyer", buyer=buyer)
    sibling_list = await make.list(am, "BUYER", "For sibling", buyer=sibling)
    stranger_list = await make.list(other_am, "BUYER", "For stranger", buyer=stranger)
    sc_personal = await make.list(sc, "PERSONAL", "SC personal")
    buyer_item = await make.item(buyer_list, shared, 0)
    am_personal_item = await make.item(am_personal, on_global_list, 0)
    global_item = await make.item(global_list, on_global_list, 0)
    await make.item(sibling_list, on_sibling_list, 0)
    stranger_item = await make.item(stranger_list, on_stranger_list, 0)
    return World(
        admin=admin,
        am=am,
        other_am=other_am,
        sc=sc,
        other_sc=other_sc,
        buyer=buyer,
        sibling=sibling,
        stranger=stranger,
        shared=shared,
        on_sibling_list=on_sibling_list,
        on_global_list=on_global_list,
        on_stranger_list=on_stranger_list,
        loose=loose,
        global_list=global_list,
        am_global=am_global,
        am_personal=am_personal,
        buyer_list=buyer_list,
        sibling_list=sibling_list,
        stranger_list=stranger_list,
        sc_personal=sc_personal,
        buyer_item=buyer_item,
        stranger_item=stranger_item,
        am_personal_item=am_personal_item,
        global_item=global_item,
        meeting=await make.meeting(host=am, created_by=sc),
        other_meeting=await make.meeting(host=other_am),
    )


# -- helpers ------------------------------------------------------------------------------
def list_ids(w: World, *names: str) -> set[str]:
    return {gid("List", getattr(w, name)) for name in names}


def node_ids(connection: dict[str, Any]) -> set[str]:
    assert connection["totalCount"] == len(connection["nodes"])
    return {node["id"] for node in connection["nodes"]}


def the_error(body: dict[str, Any]) -> dict[str, Any]:
    """The extensions of the one error of a response."""
    errors = body.get("errors") or []
    assert len(errors) == 1, body
    return errors[0]["extensions"]


async def seen(client, viewer: int, channel: Channel = Channel.WEB) -> dict[str, set[str]]:
    """What the SECTION query shows `viewer`: the Lists section (its two aliases agreeing), its
    GLOBAL and BUYER kinds, the viewer's own `lists` connection, and the catalogue."""
    data = await client.data(SECTION, as_user=viewer, channel=channel)
    assert node_ids(data["a"]) == node_ids(data["b"])
    return {
        "section": node_ids(data["a"]),
        "GLOBAL": node_ids(data["global"]),
        "BUYER": node_ids(data["buyer"]),
        "own": node_ids(data["viewer"]["lists"]),
        "contents": node_ids(data["contents"]),
    }


async def section(client, viewer: int, channel: Channel = Channel.WEB) -> set[str]:
    return (await seen(client, viewer, channel))["section"]


async def lists_of(client, viewer: int, owner: int) -> set[str]:
    """`owner`'s `lists` connection as `viewer` reads it through node(id:), twice aliased."""
    data = await client.data(USER_LISTS, {"id": gid("User", owner)}, as_user=viewer)
    assert data["a"] is not None, "the owner must be visible for this check to mean anything"
    assert node_ids(data["a"]["lists"]) == node_ids(data["b"]["lists"])
    return node_ids(data["a"]["lists"])


async def reaches(client, viewer: int, global_id: str, channel: Channel = Channel.WEB) -> bool:
    """Whether node(id:) answers for one id, asked alone and as an aliased duplicate."""
    single = await client.data(NODE, {"id": global_id}, as_user=viewer, channel=channel)
    aliased = await client.data(ALIASED, {"id": global_id}, as_user=viewer, channel=channel)
    found = single["node"] is not None
    assert found == (aliased["a"] is not None) == (aliased["b"] is not None)
    if found:
        assert single["node"]["id"] == aliased["a"]["id"] == aliased["b"]["id"] == global_id
    return found


async def visible(client, viewer: int, candidates: set[str], channel: Channel = Channel.WEB) -> set[str]:
    """Which of `candidates` node(id:) answers for, in one request that asks for each id twice
    under two aliases (the two answers must agree)."""
    ordered = sorted(candidates)
    params = ", ".join(f"$i{n}: ID!" for n in range(len(ordered)))
    fields = " ".join(
        f"a{n}: node(id: $i{n}) {{ id }} b{n}: node(id: $i{n}) {{ id }}" for n in range(len(ordered))
    )
    variables = {f"i{n}": candidate for n, candidate in enumerate(ordered)}
    data = await client.data(f"query({params}) {{ {fields} }}", variables, as_user=viewer, channel=channel)
    found = set()
    for n, candidate in enumerate(ordered):
        assert data[f"a{n}"] == data[f"b{n}"], candidate
        if data[f"a{n}"] is not None:
            assert data[f"a{n}"]["id"] == candidate
            found.add(candidate)
    return found


async def item_order(client, viewer: int, list_id: int) -> list[tuple[int, str]]:
    """(position, content id) of a list's items, as the `items` connection returns them."""
    data = await client.data(ITEMS, {"id": gid("List", list_id)}, as_user=viewer)
    items = data["node"]["items"]
    assert items["totalCount"] == len(items["nodes"])
    return [(node["position"], node["content"]["id"]) for node in items["nodes"]]


async def row_counts(engine) -> dict[str, int]:
    async with engine.connect() as connection:
        return {
            table.name: (await connection.execute(sa.select(sa.func.count()).select_from(table))).scalar_one()
            for table in (lists, list_items, audit_events)
        }


async def snapshot(engine) -> tuple[list[tuple], list[tuple], int]:
    """Every list and item as stored, and how many audit events there are."""
    async with engine.connect() as connection:
        list_rows = (
            await connection.execute(
                sa.select(lists.c.id, lists.c.name, lists.c.kind, lists.c.version).order_by(lists.c.id)
            )
        ).all()
        item_rows = (
            await connection.execute(
                sa.select(
                    list_items.c.id,
                    list_items.c.list_id,
                    list_items.c.position,
                    list_items.c.note,
                    list_items.c.version,
                ).order_by(list_items.c.id)
            )
        ).all()
        audits = (await connection.execute(sa.select(sa.func.count()).select_from(audit_events))).scalar_one()
    return [tuple(r) for r in list_rows], [tuple(r) for r in item_rows], audits


async def audit_trail(engine) -> list[tuple[str, int | None, str, int | None]]:
    """(action, actor, object type, object id) of every audit event, oldest first."""
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                sa.select(
                    audit_events.c.action,
                    audit_events.c.actor_id,
                    audit_events.c.object_type,
                    audit_events.c.object_id,
                ).order_by(audit_events.c.id)
            )
        ).all()
    return [tuple(row) for row in rows]


async def stored_note(engine, item: int) -> tuple[str | None, int]:
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                sa.select(list_items.c.note, list_items.c.version).where(list_items.c.id == item)
            )
        ).one()
    return row.note, row.version


# -- R11: the Lists section ---------------------------------------------------------------
BUYER_LISTS = {"buyer_list", "sibling_list", "stranger_list"}


async def test_R11_lists_section_shows_own_lists_and_every_global_list(client, world):
    w = world
    # viewer: (Lists section, the viewer's own `lists` connection)
    expected = {
        "am": (
            {"global_list", "am_global", "am_personal", "buyer_list", "sibling_list"},
            {"am_global", "am_personal", "buyer_list", "sibling_list"},
        ),
        "other_am": ({"global_list", "am_global", "stranger_list"}, {"stranger_list"}),
        "sc": ({"global_list", "am_global", "sc_personal"}, {"sc_personal"}),
        "other_sc": ({"global_list", "am_global"}, set()),
        "admin": ({"global_list", "am_global"}, {"global_list"}),
    }
    for viewer, (in_section, own) in expected.items():
        user = getattr(w, viewer)
        shown = await seen(client, user)
        assert shown["section"] == list_ids(w, *in_section), viewer
        assert shown["GLOBAL"] == list_ids(w, "global_list", "am_global"), viewer
        assert shown["BUYER"] == list_ids(w, *in_section & BUYER_LISTS), viewer
        assert shown["own"] == list_ids(w, *own), viewer
        assert await lists_of(client, user, user) == list_ids(w, *own), viewer


async def test_R11_sc_never_sees_am_buyer_list_in_lists_section(client, world):
    w = world
    buyer_lists = list_ids(w, "buyer_list", "sibling_list")
    shown = await seen(client, w.sc)
    assert not buyer_lists & shown["section"]
    assert shown["BUYER"] == set()
    # the AM's `lists` connection, reached two ways, shows the SC only the AM's GLOBAL list
    assert await lists_of(client, w.sc, w.am) == list_ids(w, "am_global")
    data = await client.data(MY_AMS_LISTS, as_user=w.sc)
    [am] = data["viewer"]["accountManagers"]["nodes"]
    assert am["id"] == gid("User", w.am)
    assert node_ids(am["lists"]) == list_ids(w, "am_global")
    # ... while the AM sees them there (so the filter, not missing rows, hides them)
    assert buyer_lists <= await lists_of(client, w.am, w.am)
    hidden = {*buyer_lists, gid("List", w.am_personal), gid("ListItem", w.buyer_item)}
    assert await visible(client, w.sc, hidden) == set()
    assert await visible(client, w.am, hidden) == hidden
    assert not await reaches(client, w.sc, gid("List", w.buyer_list))
    # a mutation cannot find it either
    body = await client.post(
        UPDATE_NOTE, {"id": gid("ListItem", w.buyer_item), "note": "x", "version": 1}, as_user=w.sc
    )
    assert the_error(body) == {"code": "NOT_FOUND", "field": "id"}


# -- R11: the meeting path ----------------------------------------------------------------
async def test_R11_sc_reaches_buyer_list_only_through_a_meeting_of_their_am_while_attached(
    client, world, make, engine
):
    w = world
    target, item = gid("List", w.buyer_list), gid("ListItem", w.buyer_item)
    await make.attach_list(w.meeting, w.buyer_list)
    await make.attach_list(w.other_meeting, w.stranger_list)

    # (case, viewer, channel, the list and its item, whether node(id:) answers for them)
    stranger = {gid("List", w.stranger_list), gid("ListItem", w.stranger_item)}
    table = [
        ("sc: their AM hosts the meeting", w.sc, Channel.WEB, {target, item}, True),
        ("other_sc: their AM does not host it", w.other_sc, Channel.WEB, {target, item}, False),
        ("sc through the app: not the host (R10)", w.sc, Channel.APP, {target, item}, False),
        ("sc: the meeting of an AM they do not support", w.sc, Channel.WEB, stranger, False),
    ]
    for case, viewer, channel, ids, reached in table:
        assert await visible(client, viewer, ids, channel) == (ids if reached else set()), case
        # the Lists section never shows it, reachable or not
        assert not ids & await section(client, viewer, channel=channel), case
    assert await reaches(client, w.sc, target)

    # the SC opens the list and its items
    data = await client.data(NODE, {"id": target}, as_user=w.sc)
    assert [(n["id"], n["position"]) for n in data["node"]["items"]["nodes"]] == [(item, 0)]
    assert data["node"]["items"]["nodes"][0]["content"]["id"] == gid("Content", w.shared)

    # ... and annotates an item; the payload reads through the SC's scope
    before = await audit_trail(engine)
    data = await client.data(UPDATE_NOTE, {"id": item, "note": "Bring samples", "version": 1}, as_user=w.sc)
    payload = data["updateListItemNote"]
    assert (payload["id"], payload["note"], payload["version"]) == (item, "Bring samples", 2)
    assert payload["list"]["id"] == target
    assert payload["list"]["buyer"] == {"id": gid("User", w.buyer)}
    assert payload["list"]["items"]["nodes"] == [{"id": item}]
    # the owner's `lists` connection stays the Lists section even inside the payload
    assert payload["list"]["owner"]["id"] == gid("User", w.am)
    assert {n["id"] for n in payload["list"]["owner"]["lists"]["nodes"]} == list_ids(w, "am_global")
    assert (await audit_trail(engine))[len(before) :] == [("list_item.note", w.sc, "ListItem", w.buyer_item)]

    # annotating is all: the SC may not edit the AM's list itself
    body = await client.post(RENAME_LIST, {"id": target, "name": "Mine now"}, as_user=w.sc)
    assert the_error(body)["code"] == "FORBIDDEN"
    body = await client.post(ADD_ITEM, {"listId": target, "contentId": gid("Content", w.loose)}, as_user=w.sc)
    assert the_error(body)["code"] == "FORBIDDEN"
    # the other SC cannot write the note
    body = await client.post(UPDATE_NOTE, {"id": item, "note": "x", "version": 2}, as_user=w.other_sc)
    assert the_error(body) == {"code": "NOT_FOUND", "field": "id"}

    # detached: the way is gone, and with it node(id:) and the note mutation
    await make.execute(sa.delete(meeting_lists).where(meeting_lists.c.list_id == w.buyer_list))
    assert not await reaches(client, w.sc, target)
    assert not await reaches(client, w.sc, item)
    body = await client.post(UPDATE_NOTE, {"id": item, "note": "Too late", "version": 2}, as_user=w.sc)
    assert the_error(body) == {"code": "NOT_FOUND", "field": "id"}
    assert body["data"] == {"updateListItemNote": None}
    assert await stored_note(engine, w.buyer_item) == ("Bring samples", 2)


# -- R11: who edits which list ------------------------------------------------------------
async def test_R11_global_lists_are_edited_only_with_manage_global_lists(client, world, engine):
    w = world
    global_list, global_item = gid("List", w.global_list), gid("ListItem", w.global_item)
    content = gid("Content", w.loose)
    refused = [
        ("sc renames", w.sc, RENAME_LIST, {"id": global_list, "name": "Renamed"}),
        ("sc adds an item", w.sc, ADD_ITEM, {"listId": global_list, "contentId": content}),
        ("sc moves an item", w.sc, MOVE_ITEM, {"id": global_item, "position": 0}),
        ("sc removes an item", w.sc, REMOVE_ITEM, {"id": global_item}),
        ("sc writes an item note", w.sc, UPDATE_NOTE, {"id": global_item, "note": "x", "version": 1}),
        ("sc deletes", w.sc, DELETE_LIST, {"id": global_list}),
        ("am renames", w.am, RENAME_LIST, {"id": global_list, "name": "Renamed"}),
        (
            "am renames a GLOBAL list they own",
            w.am,
            RENAME_LIST,
            {"id": gid("List", w.am_global), "name": "R"},
        ),
    ]
    # all of it is in sight: the answer is FORBIDDEN, not NOT_FOUND
    for viewer in (w.sc, w.am):
        assert await visible(client, viewer, {global_list, global_item}) == {global_list, global_item}
    before = await snapshot(engine)
    for case, viewer, mutation, variables in refused:
        body = await client.post(mutation, variables, as_user=viewer)
        assert the_error(body)["code"] == "FORBIDDEN", case
    assert await snapshot(engine) == before

    # an admin may; so may an SC once their role is granted MANAGE_GLOBAL_LISTS (R14)
    data = await client.data(RENAME_LIST, {"id": global_list, "name": "By admin"}, as_user=w.admin)
    assert data["renameList"] == {"id": global_list, "name": "By admin"}
    data = await client.data(ADD_ITEM, {"listId": global_list, "contentId": content}, as_user=w.admin)
    assert data["addListItem"]["position"] == 1
    await client.data(GRANT_SC, {"permissions": ["MANAGE_GLOBAL_LISTS"]}, as_user=w.admin)
    data = await client.data(RENAME_LIST, {"id": global_list, "name": "By SC"}, as_user=w.sc)
    assert data["renameList"]["name"] == "By SC"
    assert [a[:2] for a in (await audit_trail(engine))[before[2] :]] == [
        ("list.rename", w.admin),
        ("list_item.add", w.admin),
        ("role.permissions", w.admin),
        ("list.rename", w.sc),
    ]


async def test_R11_someone_elses_personal_list_is_not_found_not_forbidden(client, world, engine):
    w = world
    personal, item = gid("List", w.am_personal), gid("ListItem", w.am_personal_item)
    content = gid("Content", w.loose)
    attempts = [
        (RENAME_LIST, {"id": personal, "name": "Mine"}, "id"),
        (DELETE_LIST, {"id": personal}, "id"),
        (ADD_ITEM, {"listId": personal, "contentId": content}, "listId"),
        (MOVE_ITEM, {"id": item, "position": 0}, "id"),
        (REMOVE_ITEM, {"id": item}, "id"),
        (UPDATE_NOTE, {"id": item, "note": "x", "version": 1}, "id"),
    ]
    before = await snapshot(engine)
    for viewer in (w.sc, w.other_am, w.buyer):
        assert await visible(client, viewer, {personal, item}) == set()
        for mutation, variables, field in attempts:
            body = await client.post(mutation, variables, as_user=viewer)
            assert the_error(body) == {"code": "NOT_FOUND", "field": field}, (viewer, mutation)
    # the same answer as for an id that never existed
    body = await client.post(RENAME_LIST, {"id": gid("List", 999_999), "name": "Mine"}, as_user=w.sc)
    assert the_error(body) == {"code": "NOT_FOUND", "field": "id"}
    assert await snapshot(engine) == before


# -- R13: buyers --------------------------------------------------------------------------
async def test_R13_buyer_sees_only_buyer_lists_made_for_them_and_their_content(client, world, engine):
    w = world
    every_list = list_ids(
        w,
        "global_list",
        "am_global",
        "am_personal",
        "buyer_list",
        "sibling_list",
        "stranger_list",
        "sc_personal",
    )
    every_content = {
        gid("Content", pk)
        for pk in (w.shared, w.on_sibling_list, w.on_global_list, w.on_stranger_list, w.loose)
    }
    # buyer: (their list, content on it)
    table = {
        "buyer": ("buyer_list", w.shared),
        "sibling": ("sibling_list", w.on_sibling_list),
        "stranger": ("stranger_list", w.on_stranger_list),
    }
    for name, (own_list, own_content) in table.items():
        viewer = getattr(w, name)
        mine = list_ids(w, own_list)
        shown = await seen(client, viewer)
        assert shown["section"] == shown["BUYER"] == mine, name
        assert shown["GLOBAL"] == shown["own"] == set(), name
        assert shown["contents"] == {gid("Content", own_content)}, name
        assert await visible(client, viewer, every_list) == mine, name
        assert await visible(client, viewer, every_content) == {gid("Content", own_content)}, name

    # the buyer's list, its items and their content
    data = await client.data(NODE, {"id": gid("List", w.buyer_list)}, as_user=w.buyer)
    [item] = data["node"]["items"]["nodes"]
    assert (item["id"], item["content"]) == (gid("ListItem", w.buyer_item), {"id": gid("Content", w.shared)})
    hidden_items = {gid("ListItem", pk) for pk in (w.am_personal_item, w.global_item, w.stranger_item)}
    assert await visible(client, w.buyer, hidden_items) == set()
    # their AM's `lists` connection shows them only what was made for them
    assert await lists_of(client, w.buyer, w.am) == list_ids(w, "buyer_list")

    # a buyer does not edit lists, not even their own
    before = await snapshot(engine)
    body = await client.post(CREATE_LIST, {"name": "Mine", "kind": "PERSONAL"}, as_user=w.buyer)
    assert the_error(body)["code"] == "FORBIDDEN"
    body = await client.post(RENAME_LIST, {"id": gid("List", w.buyer_list), "name": "Mine"}, as_user=w.buyer)
    assert the_error(body)["code"] == "FORBIDDEN"
    assert await snapshot(engine) == before


# -- createList ---------------------------------------------------------------------------
# (case, viewer, kind, buyer named by buyerId, expected error code, expected error field)
CREATE_CASES = [
    ("AM: PERSONAL", "am", "PERSONAL", None, None, None),
    ("SC: PERSONAL", "sc", "PERSONAL", None, None, None),
    ("admin: PERSONAL", "admin", "PERSONAL", None, None, None),
    ("admin: GLOBAL", "admin", "GLOBAL", None, None, None),
    ("AM: BUYER for a direct buyer", "am", "BUYER", "buyer", None, None),
    ("AM: BUYER for a buyer in their territory", "am", "BUYER", "sibling", None, None),
    ("AM: GLOBAL without MANAGE_GLOBAL_LISTS", "am", "GLOBAL", None, "FORBIDDEN", "kind"),
    ("SC: GLOBAL without MANAGE_GLOBAL_LISTS", "sc", "GLOBAL", None, "FORBIDDEN", "kind"),
    ("SC: BUYER", "sc", "BUYER", "buyer", "FORBIDDEN", "kind"),
    ("admin: BUYER", "admin", "BUYER", "buyer", "FORBIDDEN", "kind"),
    ("buyer: PERSONAL", "buyer", "PERSONAL", None, "FORBIDDEN", None),
    ("AM: BUYER naming no buyer", "am", "BUYER", None, "BAD_USER_INPUT", "buyerId"),
    ("AM: BUYER for another AM's buyer", "am", "BUYER", "stranger", "NOT_FOUND", "buyerId"),
    ("AM: BUYER for their SC", "am", "BUYER", "sc", "BAD_USER_INPUT", "buyerId"),
    ("AM: BUYER for themselves", "am", "BUYER", "am", "BAD_USER_INPUT", "buyerId"),
    ("AM: PERSONAL naming a buyer", "am", "PERSONAL", "buyer", "BAD_USER_INPUT", "buyerId"),
]


async def test_R11_R25_create_list_by_kind_and_maker(client, world, engine):
    w = world
    for case, viewer_name, kind, buyer_name, code, field in CREATE_CASES:
        viewer = getattr(w, viewer_name)
        buyer = getattr(w, buyer_name) if buyer_name else None
        variables = {"name": case, "kind": kind, "buyerId": gid("User", buyer) if buyer else None}
        before, trail = await row_counts(engine), await audit_trail(engine)
        body = await client.post(CREATE_LIST, variables, as_user=viewer)
        if code:
            extensions = the_error(body)
            assert (extensions["code"], extensions.get("field")) == (code, field), case
            assert body["data"] == {"createList": None}, case
            assert await row_counts(engine) == before, case
            continue
        assert not body.get("errors"), (case, body)
        made = body["data"]["createList"]
        assert (made["name"], made["kind"], made["owner"]) == (case, kind, {"id": gid("User", viewer)}), case
        assert made["buyer"] == ({"id": gid("User", buyer)} if buyer else None), case
        after = await row_counts(engine)
        assert after == {**before, "lists": before["lists"] + 1, "audit_events": before["audit_events"] + 1}
        [event] = (await audit_trail(engine))[len(trail) :]
        assert event == ("list.create", viewer, "List", _pk(made["id"])), case
        if buyer:  # shared with that buyer at once (R13)
            assert made["id"] in await section(client, buyer), case


def _pk(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().partition(":")[2])


# -- positions and the audit trail of every edit ------------------------------------------
# (operation, letter of the content or item, position, expected order afterwards)
STEPS = [
    ("add", "A", None, "A"),
    ("add", "B", None, "AB"),
    ("add", "C", 0, "CAB"),
    ("add", "D", 1, "CDAB"),
    ("add", "E", 99, "CDABE"),  # past the end: appended
    ("move", "E", 0, "ECDAB"),  # to the top
    ("move", "C", 3, "EDACB"),  # down
    ("move", "B", 1, "EBDAC"),  # up
    ("move", "D", 99, "EBACD"),  # past the end: last
    ("move", "A", 2, "EBACD"),  # where it is already
    ("remove", "A", None, "EBCD"),  # from the middle
    ("remove", "E", None, "BCD"),  # the first
    ("remove", "D", None, "BC"),  # the last
    ("add", "A", 2, "BCA"),  # at exactly the end
]
# Each edit reads the list's order back through the `items` connection in the same request.
ORDER = "items(first: 100) { totalCount nodes { position content { id } } }"
ADD_ITEM_READ_BACK = f"""mutation($listId: ID!, $contentId: ID!, $position: Int) {{
  addListItem(listId: $listId, contentId: $contentId, position: $position) {{
    id position list {{ {ORDER} }} }} }}"""
MOVE_ITEM_READ_BACK = f"""mutation($id: ID!, $position: Int!) {{
  moveListItem(id: $id, position: $position) {{ id position list {{ {ORDER} }} }} }}"""
REMOVED_READ_BACK = f"""query($list: ID!, $item: ID!) {{
  list: node(id: $list) {{ ... on List {{ {ORDER} }} }}
  a: node(id: $item) {{ id }} b: node(id: $item) {{ id }} }}"""
ACTIONS = {"add": "list_item.add", "move": "list_item.move", "remove": "list_item.remove"}


async def test_R25_list_edits_keep_positions_0_to_n_minus_1_and_each_writes_one_audit_event(
    client, make, engine
):
    am = await make.am()
    content = {letter: await make.content(letter) for letter in "ABCDE"}
    letter_of = {gid("Content", pk): letter for letter, pk in content.items()}
    data = await client.data(CREATE_LIST, {"name": "Showroom", "kind": "PERSONAL"}, as_user=am)
    target = data["createList"]["id"]
    list_pk = _pk(target)
    item_of: dict[str, str] = {}  # letter -> id of the item on the list now
    for operation, letter, position, expected in STEPS:
        step = f"{operation} {letter} at {position}"
        trail = await audit_trail(engine)
        if operation == "add":
            variables = {"listId": target, "contentId": gid("Content", content[letter]), "position": position}
            payload = (await client.data(ADD_ITEM_READ_BACK, variables, as_user=am))["addListItem"]
            item = item_of[letter] = payload["id"]
            items = payload["list"]["items"]
        elif operation == "move":
            item = item_of[letter]
            payload = (
                await client.data(MOVE_ITEM_READ_BACK, {"id": item, "position": position}, as_user=am)
            )["moveListItem"]
            assert payload["id"] == item, step
            items = payload["list"]["items"]
        else:
            item = item_of.pop(letter)
            assert (await client.data(REMOVE_ITEM, {"id": item}, as_user=am))["removeListItem"] == item
            payload = await client.data(REMOVED_READ_BACK, {"list": target, "item": item}, as_user=am)
            assert payload["a"] is payload["b"] is None, step  # the item is gone, on every path
            items = payload["list"]["items"]
        if operation != "remove":
            assert payload["position"] == expected.index(letter), step
        assert items["totalCount"] == len(items["nodes"]), step
        assert [node["position"] for node in items["nodes"]] == list(range(len(expected))), step
        assert "".join(letter_of[node["content"]["id"]] for node in items["nodes"]) == expected, step
        assert (await audit_trail(engine))[len(trail) :] == [
            (ACTIONS[operation], am, "ListItem", _pk(item))
        ], step
    # the same order through a fresh read of the `items` connection
    assert [(p, letter_of[c]) for p, c in await item_order(client, am, list_pk)] == list(enumerate("BCA"))

    # rename, then delete: the list and its items go, and each leaves one event
    trail = await audit_trail(engine)
    data = await client.data(RENAME_LIST, {"id": target, "name": "Showroom 2"}, as_user=am)
    assert data["renameList"] == {"id": target, "name": "Showroom 2"}
    assert (await client.data(DELETE_LIST, {"id": target}, as_user=am))["deleteList"] == target
    assert target not in await section(client, am)
    assert await visible(client, am, {target, *item_of.values()}) == set()
    async with engine.connect() as connection:
        left = sa.select(sa.func.count()).select_from(list_items).where(list_items.c.list_id == list_pk)
        assert (await connection.execute(left)).scalar_one() == 0
    assert (await audit_trail(engine))[len(trail) :] == [
        ("list.rename", am, "List", list_pk),
        ("list.delete", am, "List", list_pk),
    ]


# -- R17: versions ------------------------------------------------------------------------
# (version sent, note sent, expected code or None, note stored afterwards, version afterwards)
NOTE_STEPS = [
    (1, "Lead with the blue one", None, "Lead with the blue one", 2),
    (1, "Stale write", "CONFLICT", "Lead with the blue one", 2),  # read version 1; it moved on
    (2, "Then the red one", None, "Then the red one", 3),
    (2, "Stale again", "CONFLICT", "Then the red one", 3),
    (99, "From the future", "CONFLICT", "Then the red one", 3),
    (3, "", None, None, 4),  # an empty note clears it
]


async def test_R17_note_update_needs_the_version_read_and_a_stale_one_conflicts(client, world, engine):
    w = world
    item = gid("ListItem", w.buyer_item)
    data = await client.data(NODE, {"id": item}, as_user=w.am)
    assert (data["node"]["version"], data["node"]["note"]) == (1, None)
    for version, note, code, stored, stored_version in NOTE_STEPS:
        step = f"version {version}: {note!r}"
        trail = await audit_trail(engine)
        body = await client.post(UPDATE_NOTE, {"id": item, "note": note, "version": version}, as_user=w.am)
        if code:
            extensions = the_error(body)
            assert extensions == {
                "code": "CONFLICT",
                "field": "version",
                "current": {"id": item, "version": stored_version, "note": stored},
            }, step
            assert body["data"] == {"updateListItemNote": None}, step
            assert await audit_trail(engine) == trail, step
        else:
            assert not body.get("errors"), (step, body)
            payload = body["data"]["updateListItemNote"]
            assert (payload["id"], payload["note"], payload["version"]) == (item, stored, stored_version)
            assert (await audit_trail(engine))[len(trail) :] == [
                ("list_item.note", w.am, "ListItem", w.buyer_item)
            ], step
        assert await stored_note(engine, w.buyer_item) == (stored, stored_version), step
        data = await client.data(NODE, {"id": item}, as_user=w.am)
        assert (data["node"]["note"], data["node"]["version"]) == (stored, stored_version), step


# -- R23: bad input -----------------------------------------------------------------------
def _bad_input_cases(w: World) -> list[tuple[str, str, dict[str, Any], str]]:
    personal, item = gid("List", w.am_personal), gid("ListItem", w.am_personal_item)
    content = gid("Content", w.loose)
    not_base64 = "not an id!"
    no_number = base64.b64encode(b"List:abc").decode()
    zero = base64.b64encode(b"List:0").decode()
    return [
        ("empty name", CREATE_LIST, {"name": "", "kind": "PERSONAL"}, "name"),
        ("blank name", CREATE_LIST, {"name": "   ", "kind": "PERSONAL"}, "name"),
        ("201-character name", CREATE_LIST, {"name": "x" * 201, "kind": "PERSONAL"}, "name"),
        ("control character in name", CREATE_LIST, {"name": "a\x07b", "kind": "PERSONAL"}, "name"),
        ("unknown kind, literal", 'mutation { createList(name: "n", kind: SECRET) { id } }', {}, "kind"),
        ("unknown kind, variable", CREATE_LIST, {"name": "n", "kind": "SECRET"}, "kind"),
        ("malformed buyerId", CREATE_LIST, {"name": "n", "kind": "BUYER", "buyerId": not_base64}, "buyerId"),
        ("rename to empty", RENAME_LIST, {"id": personal, "name": ""}, "name"),
        ("rename to 201 characters", RENAME_LIST, {"id": personal, "name": "y" * 201}, "name"),
        ("rename: malformed id", RENAME_LIST, {"id": not_base64, "name": "ok"}, "id"),
        ("rename: id without a number", RENAME_LIST, {"id": no_number, "name": "ok"}, "id"),
        ("rename: id 0", RENAME_LIST, {"id": zero, "name": "ok"}, "id"),
        ("delete: malformed id", DELETE_LIST, {"id": not_base64}, "id"),
        ("add: malformed listId", ADD_ITEM, {"listId": not_base64, "contentId": content}, "listId"),
        ("add: malformed contentId", ADD_ITEM, {"listId": personal, "contentId": not_base64}, "contentId"),
        (
            "add: negative position",
            ADD_ITEM,
            {"listId": personal, "contentId": content, "position": -1},
            "position",
        ),
        (
            "add: 5001-character note",
            ADD_ITEM,
            {"listId": personal, "contentId": content, "note": "n" * 5001},
            "note",
        ),
        ("move: negative position", MOVE_ITEM, {"id": item, "position": -1}, "position"),
        ("move: malformed id", MOVE_ITEM, {"id": not_base64, "position": 0}, "id"),
        ("remove: malformed id", REMOVE_ITEM, {"id": not_base64}, "id"),
        ("note: 5001 characters", UPDATE_NOTE, {"id": item, "note": "n" * 5001, "version": 1}, "note"),
        ("note: malformed id", UPDATE_NOTE, {"id": not_base64, "note": "ok", "version": 1}, "id"),
        (
            "note: omitted (null clears it; absent is a mistake)",
            UPDATE_NOTE,
            {"id": item, "version": 1},
            "note",
        ),
        (
            "note: omitted, literal",
            f'mutation {{ updateListItemNote(id: "{item}", version: 1) {{ id }} }}',
            {},
            "note",
        ),
    ]


async def test_R23_R25_bad_input_is_refused_with_its_field_and_writes_nothing(client, world, engine):
    w = world
    before_counts, before = await row_counts(engine), await snapshot(engine)
    for case, operation, variables, field in _bad_input_cases(w):
        body = await client.post(operation, variables, as_user=w.am)
        extensions = the_error(body)
        assert (extensions["code"], extensions.get("field")) == ("BAD_USER_INPUT", field), (case, body)
    # page sizes outside 1..100, at the top level and nested
    for first in (0, 101, -1):
        body = await client.post(
            "query($first: Int!) { lists(first: $first) { totalCount } }", {"first": first}, as_user=w.am
        )
        assert the_error(body) == {"code": "BAD_USER_INPUT", "field": "first"}, first
        body = await client.post(ITEMS_PAGE, {"id": gid("List", w.am_personal), "first": first}, as_user=w.am)
        assert the_error(body) == {"code": "BAD_USER_INPUT", "field": "first"}, first
    assert await row_counts(engine) == before_counts
    assert await snapshot(engine) == before

    # the limits themselves are accepted: a 200-character name, a 5000-character note
    data = await client.data(CREATE_LIST, {"name": "x" * 200, "kind": "PERSONAL"}, as_user=w.am)
    assert data["createList"]["name"] == "x" * 200
    note = "n" * 5000
    data = await client.data(
        UPDATE_NOTE, {"id": gid("ListItem", w.am_personal_item), "note": note, "version": 1}, as_user=w.am
    )
    assert data["updateListItemNote"]["note"] == note
    assert await stored_note(engine, w.am_personal_item) == (note, 2)
