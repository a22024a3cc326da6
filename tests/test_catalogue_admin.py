"""R34: the lifecycle of content and places. Content is edited, archived (no longer offered,
kept wherever it is used) and restored; a territory or a company is deleted only when nothing
depends on it, else merged into another, so that no buyer is ever orphaned; a merge moves the
scopes that depend on it at once (R3), and every write is keyed (R16), audited with the AM it
was done for (R25), web-only back office (R10), and refused bad input writes nothing (R23)."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from salescoord.db.tables import am_territories, audit_events, companies, registrations, territories, users
from salescoord.permissions.enums import Channel

from tests.db_state import snapshot
from tests.fuzz_oracle import Asker, Tables
from tests.helpers import codes, gid

UPDATE_CONTENT = """mutation($id: ID!, $title: String, $kind: ContentKind, $reference: String, $key: String) {
  updateContent(id: $id, title: $title, kind: $kind, reference: $reference, clientMutationId: $key) {
    id title kind reference archivedAt } }"""
ARCHIVE = """mutation($id: ID!, $key: String) {
  archiveContent(id: $id, clientMutationId: $key) { id archivedAt } }"""
RESTORE = """mutation($id: ID!, $key: String) {
  restoreContent(id: $id, clientMutationId: $key) { id archivedAt } }"""
DELETE_TERRITORY = "mutation($id: ID!, $key: String) { deleteTerritory(id: $id, clientMutationId: $key) }"
MERGE_TERRITORY = """mutation($source: ID!, $target: ID!, $key: String) {
  mergeTerritory(sourceId: $source, targetId: $target, clientMutationId: $key) {
    id children(first: 100) { nodes { id } } companies(first: 100) { nodes { id } } } }"""
DELETE_COMPANY = "mutation($id: ID!, $key: String) { deleteCompany(id: $id, clientMutationId: $key) }"
MERGE_COMPANY = """mutation($source: ID!, $target: ID!, $key: String) {
  mergeCompany(sourceId: $source, targetId: $target, clientMutationId: $key) {
    id buyers(first: 100) { nodes { id } } } }"""
CONTENTS = """query($all: Boolean!) {
  contents(includeArchived: $all, first: 100) { totalCount nodes { id archivedAt } } }"""
ADD_ITEM = """mutation($list: ID!, $content: ID!) {
  addListItem(listId: $list, contentId: $content, clientMutationId: "add") { id } }"""
ITEMS_OF = """query($id: ID!) { node(id: $id) { ... on List {
  items(first: 100) { nodes { content { id title archivedAt } } } } } }"""
MEETING_LISTS = """query($id: ID!) { node(id: $id) { ... on Meeting {
  lists(first: 10) { nodes { items(first: 10) { nodes { content { id archivedAt } } } } } } } }"""
NODE = "query($id: ID!) { node(id: $id) { id } }"
CREATE_COMPANY = """mutation($name: String!, $territory: ID!) {
  createCompany(name: $name, territoryId: $territory) { id } }"""
SEEN = """query {
  users(role: BUYER, first: 100) { nodes { id } }
  companies(first: 100) { nodes { id } }
  territories(first: 100) { nodes { id } } }"""
FEED = "query($since: String) { changes(since: $since) { cursor entries { kind typeName id } } }"


async def _events(engine, action: str) -> list[Any]:
    async with engine.connect() as connection:
        statement = sa.select(audit_events).where(audit_events.c.action == action)
        return list(await connection.execute(statement.order_by(audit_events.c.id)))


async def _rows(engine, statement) -> list[Any]:
    async with engine.connect() as connection:
        return list(await connection.execute(statement))


# -- rights ------------------------------------------------------------------------------------
async def test_R10_R34_only_the_back_office_on_the_web_changes_the_catalogue_and_places(client, make, engine):
    north, south = await make.territory("North"), await make.territory("South")
    empty = await make.company(north)
    am = await make.am(territories=[north, south])
    sc, buyer = await make.sc(ams=[am]), await make.buyer(await make.company(north))
    admin, content = await make.admin(), await make.content()
    calls = {
        "updateContent": (UPDATE_CONTENT, {"id": gid("Content", content), "title": "New"}),
        "archiveContent": (ARCHIVE, {"id": gid("Content", content)}),
        "restoreContent": (RESTORE, {"id": gid("Content", content)}),
        "deleteTerritory": (DELETE_TERRITORY, {"id": gid("Territory", south)}),
        "mergeTerritory": (
            MERGE_TERRITORY,
            {"source": gid("Territory", south), "target": gid("Territory", north)},
        ),
        "deleteCompany": (DELETE_COMPANY, {"id": gid("Company", empty)}),
        "mergeCompany": (MERGE_COMPANY, {"source": gid("Company", empty), "target": gid("Company", empty)}),
    }
    before = await snapshot(engine)
    for name, (query, variables) in calls.items():
        for caller, channel in [
            (am, Channel.WEB),
            (sc, Channel.WEB),
            (buyer, Channel.WEB),
            (admin, Channel.APP),
        ]:
            body = await client.post(
                query, {**variables, "key": f"k-{name}"}, as_user=caller, channel=channel
            )
            assert codes(body) == ["FORBIDDEN"], (name, caller, channel, body)
        body = await client.post(query, variables)
        assert codes(body) == ["UNAUTHENTICATED"], (name, body)  # R4
    assert await snapshot(engine) == before


# -- content -----------------------------------------------------------------------------------
@dataclass
class Shelf:
    admin: int
    am: int
    sc: int
    buyer: int
    content: int
    other: int
    own: int  # the AM's BUYER list, shared with the buyer, attached to the meeting
    meeting: int


@pytest.fixture
async def shelf(make) -> Shelf:
    north = await make.territory("North")
    am = await make.am(territories=[north])
    sc, buyer = await make.sc(ams=[am]), await make.buyer(await make.company(north))
    content, other = await make.content("Spring range"), await make.content("Autumn range")
    own = await make.list(am, "BUYER", buyer=buyer)
    await make.item(own, content, 0)
    meeting = await make.meeting(am)
    await make.attendee(meeting, buyer)
    await make.attach_list(meeting, own)
    return Shelf(await make.admin(), am, sc, buyer, content, other, own, meeting)


async def test_R34_archived_content_is_no_longer_offered_but_stays_where_it_is_used(client, shelf, engine):
    s, content = shelf, gid("Content", shelf.content)
    archived = (await client.data(ARCHIVE, {"id": content}, as_user=s.admin))["archiveContent"]
    assert archived["id"] == content and archived["archivedAt"] is not None
    # no longer offered: the catalogue leaves it out unless asked, for staff and the buyer alike
    for viewer in (s.admin, s.am, s.sc):
        offered = (await client.data(CONTENTS, {"all": False}, as_user=viewer))["contents"]
        assert [n["id"] for n in offered["nodes"]] == [gid("Content", s.other)]
        assert offered["totalCount"] == 1
        every = (await client.data(CONTENTS, {"all": True}, as_user=viewer))["contents"]
        assert {n["id"]: n["archivedAt"] is not None for n in every["nodes"]} == {
            content: True,
            gid("Content", s.other): False,
        }
    assert (await client.data(CONTENTS, {"all": False}, as_user=s.buyer))["contents"]["nodes"] == []
    # kept where it is used: on its list, through the meeting, by node(id:), for the buyer too
    for viewer, channel in [(s.am, Channel.WEB), (s.am, Channel.APP), (s.buyer, Channel.WEB)]:
        items = await client.data(ITEMS_OF, {"id": gid("List", s.own)}, as_user=viewer, channel=channel)
        assert [i["content"]["id"] for i in items["node"]["items"]["nodes"]] == [content]
    for viewer in (s.am, s.sc):
        meeting = await client.data(MEETING_LISTS, {"id": gid("Meeting", s.meeting)}, as_user=viewer)
        assert meeting["node"]["lists"]["nodes"][0]["items"]["nodes"][0]["content"]["id"] == content
        assert (await client.data(NODE, {"id": content}, as_user=viewer))["node"] == {"id": content}
    # and no list takes it any more, on either channel; nothing is written
    before = await snapshot(engine)
    for channel in (Channel.WEB, Channel.APP):
        body = await client.post(
            ADD_ITEM, {"list": gid("List", s.own), "content": content}, as_user=s.am, channel=channel
        )
        assert codes(body) == ["CONFLICT"], body
        assert body["errors"][0]["extensions"]["field"] == "contentId"
        assert "archived" in body["errors"][0]["message"]
    assert codes(await client.post(ARCHIVE, {"id": content}, as_user=s.admin)) == ["CONFLICT"]
    assert await snapshot(engine) == before
    # restored: offered again
    restored = (await client.data(RESTORE, {"id": content}, as_user=s.admin))["restoreContent"]
    assert restored == {"id": content, "archivedAt": None}
    assert (await client.data(CONTENTS, {"all": False}, as_user=s.am))["contents"]["totalCount"] == 2
    await client.data(ADD_ITEM, {"list": gid("List", s.own), "content": content}, as_user=s.am)
    before = await snapshot(engine)
    assert codes(await client.post(RESTORE, {"id": content}, as_user=s.admin)) == ["CONFLICT"]
    assert await snapshot(engine) == before
    trail = [(e.action, e.actor_id, e.object_id) for e in await _events(engine, "content.archive")]
    trail += [(e.action, e.actor_id, e.object_id) for e in await _events(engine, "content.restore")]
    assert trail == [("content.archive", s.admin, s.content), ("content.restore", s.admin, s.content)]  # R25


async def test_R34_R23_content_is_edited_and_bad_input_writes_nothing(client, shelf, engine):
    s, content = shelf, gid("Content", shelf.content)
    before = await snapshot(engine)
    for variables, field in [
        ({"id": content}, "id"),
        ({"id": content, "title": ""}, "title"),
        ({"id": content, "title": "x" * 201}, "title"),
        ({"id": content, "title": "NUL\x00"}, "title"),
        ({"id": content, "reference": "   "}, "reference"),
        ({"id": content, "reference": "r" * 501}, "reference"),
    ]:
        body = await client.post(UPDATE_CONTENT, variables, as_user=s.admin)
        assert codes(body) == ["BAD_USER_INPUT"], (variables, body)
        assert body["errors"][0]["extensions"]["field"] == field
    for missing in (gid("Content", 10**9), gid("List", s.own)):
        body = await client.post(UPDATE_CONTENT, {"id": missing, "title": "T"}, as_user=s.admin)
        assert codes(body) == ["NOT_FOUND"], body
        body = await client.post(ARCHIVE, {"id": missing}, as_user=s.admin)
        assert codes(body) == ["NOT_FOUND"], body
    assert codes(await client.post(RESTORE, {"id": "not an id"}, as_user=s.admin)) == ["BAD_USER_INPUT"]
    assert await snapshot(engine) == before
    changed = await client.data(
        UPDATE_CONTENT, {"id": content, "title": "Summer range", "kind": "VIDEO"}, as_user=s.admin
    )
    assert changed["updateContent"]["title"] == "Summer range"
    assert changed["updateContent"]["kind"] == "VIDEO"
    assert changed["updateContent"]["reference"].startswith("SKU-")  # kept
    [event] = await _events(engine, "content.update")
    assert (event.actor_id, event.object_id, event.diff) == (
        s.admin,
        s.content,
        {"title": "Summer range", "kind": "VIDEO"},
    )
    # archived content may still be corrected
    await client.data(ARCHIVE, {"id": content}, as_user=s.admin)
    assert (await client.data(UPDATE_CONTENT, {"id": content, "reference": "SKU-9"}, as_user=s.admin))[
        "updateContent"
    ]["archivedAt"] is not None


# -- territories -------------------------------------------------------------------------------
async def test_R34_a_territory_is_deleted_only_when_nothing_depends_on_it(client, make, engine):
    admin = await make.admin()
    north = await make.territory("North")
    holding = {
        "companies": await make.territory("With a company"),
        "child territories": await make.territory("With a child"),
        "account manager assignments": await make.territory("With an AM"),
        "registrations": await make.territory("Named by a registration"),
    }
    await make.company(holding["companies"])
    await make.territory("Child", holding["child territories"])
    await make.am(territories=[holding["account manager assignments"]])
    await make.registration(territory=holding["registrations"])
    before = await snapshot(engine)
    for what, territory in holding.items():
        body = await client.post(DELETE_TERRITORY, {"id": gid("Territory", territory)}, as_user=admin)
        assert codes(body) == ["CONFLICT"], (what, body)
        assert what in body["errors"][0]["message"] and "merge" in body["errors"][0]["message"]
    assert await snapshot(engine) == before
    data = await client.data(DELETE_TERRITORY, {"id": gid("Territory", north)}, as_user=admin)
    assert data == {"deleteTerritory": gid("Territory", north)}
    assert (await client.data(NODE, {"id": gid("Territory", north)}, as_user=admin))["node"] is None
    [event] = await _events(engine, "territory.delete")
    assert (event.actor_id, event.object_id, event.on_behalf_of_id) == (admin, north, None)
    body = await client.post(DELETE_TERRITORY, {"id": gid("Territory", north)}, as_user=admin)
    assert codes(body) == ["NOT_FOUND"]


@dataclass
class Map:
    admin: int
    north: int
    south: int
    child: int  # below north
    am_north: int
    am_south: int
    sc_north: int
    sc_south: int
    buyer_north: int
    buyer_south: int
    company_north: int
    company_south: int
    registration: int


@pytest.fixture
async def places(make) -> Map:
    north, south = await make.territory("North"), await make.territory("South")
    child = await make.territory("North child", north)
    am_north, am_south = await make.am(territories=[north]), await make.am(territories=[south])
    company_north, company_south = await make.company(north), await make.company(south)
    return Map(
        admin=await make.admin(),
        north=north,
        south=south,
        child=child,
        am_north=am_north,
        am_south=am_south,
        sc_north=await make.sc(ams=[am_north]),
        sc_south=await make.sc(ams=[am_south]),
        buyer_north=await make.buyer(company_north),
        buyer_south=await make.buyer(company_south),
        company_north=company_north,
        company_south=company_south,
        registration=await make.registration(territory=north),
    )


async def _sees(client, engine, viewer: int, role: str) -> dict[str, set[int]]:
    """What `viewer` sees through the API, checked against the scope read from the tables."""
    data = await client.data(SEEN, as_user=viewer)
    seen = {
        "User": {_pk(n["id"]) for n in data["users"]["nodes"]},
        "Company": {_pk(n["id"]) for n in data["companies"]["nodes"]},
        "Territory": {_pk(n["id"]) for n in data["territories"]["nodes"]},
    }
    oracle = (await Tables.read(engine)).visible(Asker(viewer, role, "WEB"))
    every_buyer = {r.id for r in await _rows(engine, sa.select(users.c.id).where(users.c.role == "BUYER"))}
    buyers = oracle["User"] & every_buyer
    assert seen == {"User": buyers, "Company": oracle["Company"], "Territory": oracle["Territory"]}
    return seen


def _pk(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().partition(":")[2])


async def test_R34_R3_merging_a_territory_moves_everything_and_every_scope_follows(client, places, engine):
    m = places
    assert (await _sees(client, engine, m.sc_south, "SALES_COORDINATOR"))["User"] == {m.buyer_south}
    merged = await client.data(
        MERGE_TERRITORY,
        {"source": gid("Territory", m.north), "target": gid("Territory", m.south)},
        as_user=m.admin,
    )
    assert merged["mergeTerritory"]["id"] == gid("Territory", m.south)
    assert merged["mergeTerritory"]["children"]["nodes"] == [{"id": gid("Territory", m.child)}]
    assert {n["id"] for n in merged["mergeTerritory"]["companies"]["nodes"]} == {
        gid("Company", m.company_north),
        gid("Company", m.company_south),
    }
    assert await _rows(engine, sa.select(territories.c.id).where(territories.c.id == m.north)) == []
    assigned = await _rows(engine, sa.select(am_territories.c.am_id, am_territories.c.territory_id))
    assert sorted(assigned) == sorted([(m.am_north, m.south), (m.am_south, m.south)])
    [registration] = await _rows(engine, sa.select(registrations.c.territory_id))
    assert registration.territory_id == m.south
    # every scope follows on the next request (R3), as the scope says
    both = {m.buyer_north, m.buyer_south}
    assert (await _sees(client, engine, m.sc_south, "SALES_COORDINATOR"))["User"] == both
    north_view = await _sees(client, engine, m.sc_north, "SALES_COORDINATOR")
    assert north_view == {
        "User": both,
        "Company": {m.company_north, m.company_south},
        "Territory": {m.south, m.child},
    }
    [event] = await _events(engine, "territory.merge")
    assert (event.actor_id, event.object_id, event.on_behalf_of_id) == (m.admin, m.north, m.am_north)  # R25
    assert event.diff["into"] == m.south and event.diff["companies"] == [m.company_north]
    assert event.diff["children"] == [m.child] and event.diff["registrations"] == [m.registration]


async def test_R34_a_territory_merges_neither_into_itself_nor_below_itself(client, places, engine):
    m = places
    before = await snapshot(engine)
    for target, code, field in [(m.child, "CONFLICT", "targetId"), (m.north, "BAD_USER_INPUT", "targetId")]:
        body = await client.post(
            MERGE_TERRITORY,
            {"source": gid("Territory", m.north), "target": gid("Territory", target)},
            as_user=m.admin,
        )
        assert codes(body) == [code], body
        assert body["errors"][0]["extensions"]["field"] == field
    assert await snapshot(engine) == before


async def test_R34_out_of_sight_places_are_not_found(client, make, places, engine):
    """An AM given MANAGE_TERRITORIES acts only on places in their sight: another's is missing."""
    m = places
    await make.set_permissions("ACCOUNT_MANAGER", ["MANAGE_TERRITORIES"])
    before = await snapshot(engine)
    calls = [
        (
            MERGE_TERRITORY,
            {"source": gid("Territory", m.south), "target": gid("Territory", m.north)},
            "sourceId",
        ),
        (
            MERGE_TERRITORY,
            {"source": gid("Territory", m.child), "target": gid("Territory", m.south)},
            "targetId",
        ),
        (DELETE_TERRITORY, {"id": gid("Territory", m.south)}, "id"),
        (
            MERGE_COMPANY,
            {"source": gid("Company", m.company_south), "target": gid("Company", m.company_north)},
            "sourceId",
        ),
        (
            MERGE_COMPANY,
            {"source": gid("Company", m.company_north), "target": gid("Company", m.company_south)},
            "targetId",
        ),
        (DELETE_COMPANY, {"id": gid("Company", m.company_south)}, "id"),
    ]
    for query, variables, field in calls:
        body = await client.post(query, variables, as_user=m.am_north)
        assert codes(body) == ["NOT_FOUND"], (variables, body)
        assert body["errors"][0]["extensions"]["field"] == field
    assert await snapshot(engine) == before


# -- companies ---------------------------------------------------------------------------------
async def test_R34_a_company_with_buyers_is_merged_never_deleted(client, make, places, engine):
    m = places
    before = await snapshot(engine)
    body = await client.post(DELETE_COMPANY, {"id": gid("Company", m.company_north)}, as_user=m.admin)
    assert codes(body) == ["CONFLICT"] and "1 buyers" in body["errors"][0]["message"], body
    assert await snapshot(engine) == before
    empty = await make.company(m.north)
    assert (await client.data(DELETE_COMPANY, {"id": gid("Company", empty)}, as_user=m.admin)) == {
        "deleteCompany": gid("Company", empty)
    }
    [event] = await _events(engine, "company.delete")
    assert (event.actor_id, event.object_id, event.on_behalf_of_id) == (m.admin, empty, m.am_north)  # R25


async def test_R34_R3_R18_merging_a_company_moves_its_buyers_and_every_scope_follows(
    client, make, places, engine
):
    m = places
    meeting = await make.meeting(m.am_north)
    await make.attendee(meeting, m.buyer_north)
    cursor = (await client.data(FEED, {"since": None}, as_user=m.sc_north))["changes"]["cursor"]
    merged = await client.data(
        MERGE_COMPANY,
        {
            "source": gid("Company", m.company_north),
            "target": gid("Company", m.company_south),
            "key": "merge",
        },
        as_user=m.admin,
    )
    assert {n["id"] for n in merged["mergeCompany"]["buyers"]["nodes"]} == {
        gid("User", m.buyer_north),
        gid("User", m.buyer_south),
    }
    # R16: a replay answers the same and writes nothing; the key with another request is refused
    before = await snapshot(engine)
    again = await client.data(
        MERGE_COMPANY,
        {
            "source": gid("Company", m.company_north),
            "target": gid("Company", m.company_south),
            "key": "merge",
        },
        as_user=m.admin,
    )
    assert again == merged
    other = await client.post(
        MERGE_COMPANY,
        {
            "source": gid("Company", m.company_south),
            "target": gid("Company", m.company_north),
            "key": "merge",
        },
        as_user=m.admin,
    )
    assert codes(other) == ["BAD_USER_INPUT"]
    assert await snapshot(engine) == before
    # the buyer now lies in the south: out of the north SC's scope, inside the south SC's (R3)
    assert (await _sees(client, engine, m.sc_north, "SALES_COORDINATOR"))["User"] == set()
    assert (await _sees(client, engine, m.sc_south, "SALES_COORDINATOR"))["User"] == {
        m.buyer_north,
        m.buyer_south,
    }
    # the feed carries meetings, notes and lists, none seen through a company: the meeting the
    # moved buyer attends stays the north SC's, and the feed has nothing to say (R18)
    feed = (await client.data(FEED, {"since": cursor}, as_user=m.sc_north))["changes"]
    assert feed["entries"] == []
    assert (await client.data(NODE, {"id": gid("Meeting", meeting)}, as_user=m.sc_north))["node"] is not None
    [event] = await _events(engine, "company.merge")
    assert (event.actor_id, event.object_id, event.on_behalf_of_id) == (m.admin, m.company_north, m.am_north)
    assert event.diff == {
        "name": event.diff["name"],
        "into": m.company_south,
        "buyers": [m.buyer_north],
        "registrations": [],
    }
    assert await _rows(engine, sa.select(companies.c.id).where(companies.c.id == m.company_north)) == []
    body = await client.post(
        MERGE_COMPANY,
        {"source": gid("Company", m.company_south), "target": gid("Company", m.company_south)},
        as_user=m.admin,
    )
    assert codes(body) == ["BAD_USER_INPUT"]


async def test_R34_R22_concurrent_merges_of_one_place_merge_it_once(client, make, places, engine):
    """Two admins merge the same company (and the same territory) at once, without keys: one
    merge is made, the other finds the source gone (NOT_FOUND), never an internal error."""
    m = places
    spare = await make.company(m.south)
    await make.buyer(spare)
    calls = [
        (MERGE_COMPANY, {"source": gid("Company", spare), "target": gid("Company", target)})
        for target in (m.company_north, m.company_south)
    ] + [
        (MERGE_TERRITORY, {"source": gid("Territory", m.child), "target": gid("Territory", target)})
        for target in (m.north, m.south)
    ]
    for first, second in (calls[:2], calls[2:]):
        bodies = await asyncio.gather(*(client.post(q, v, as_user=m.admin) for q, v in (first, second)))
        assert sorted(tuple(codes(body)) for body in bodies) == [(), ("NOT_FOUND",)], bodies
    merged = {e.object_id for e in await _events(engine, "company.merge")}
    merged |= {e.object_id for e in await _events(engine, "territory.merge")}
    assert merged == {spare, m.child}


async def test_R34_R22_a_company_made_while_its_territory_is_deleted_is_one_or_the_other(
    client, make, engine
):
    """createCompany into a territory that deleteTerritory removes at the same moment: either
    the company is made and the deletion is a CONFLICT, or the territory goes and the company
    is refused as naming no territory; never both, never an internal error."""
    admin = await make.admin()
    for _ in range(3):
        territory = gid("Territory", await make.territory())
        create = client.post(CREATE_COMPANY, {"name": "Racing", "territory": territory}, as_user=admin)
        delete = client.post(DELETE_TERRITORY, {"id": territory}, as_user=admin)
        made, deleted = await asyncio.gather(create, delete)
        assert sorted([tuple(codes(made)), tuple(codes(deleted))]) in (
            [(), ("CONFLICT",)],
            [(), ("BAD_USER_INPUT",)],
            [(), ("NOT_FOUND",)],
        ), (made, deleted)
        assert (codes(made) == []) == (codes(deleted) != [])
