"""R1-R3: an SC sees exactly what their AMs' direct and territory relationships allow, on
every path: the top-level list, nested fields, node(id:) and an aliased duplicate."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from salescoord.db.tables import am_coordinators, companies, territories, users

from tests.helpers import gid

USERS = "query { users(first: 100) { totalCount nodes { id } } }"
NESTED = """query { viewer { accountManagers(first: 20) { nodes { id
  associatedBuyers(first: 20) { totalCount nodes { id company { id buyers(first: 20) { nodes { id } } } } }
} } } }"""
NODE = "query($id: ID!) { node(id: $id) { id ... on User { name } } }"
ALIASED = "query($id: ID!) { a: node(id: $id) { id } b: node(id: $id) { id } }"


@dataclass
class World:
    region: int
    territory: int
    district: int
    other_region: int
    am1: int
    am2: int
    am3: int
    sc: int
    lonely_sc: int
    buyer_by_district: int
    buyer_direct: int
    buyer_of_am2: int
    buyer_of_nobody: int
    buyer_of_am3: int
    company_in_district: int
    company_in_region: int
    company_of_am2: int


@pytest.fixture
async def world(make) -> World:
    """Region › Territory › District; AM1 covers Territory (so also District), AM2 a territory
    elsewhere, AM3 nothing; the SC supports AM1 and AM2."""
    region = await make.territory("Region")
    territory = await make.territory("Territory", region)
    district = await make.territory("District", territory)
    other_region = await make.territory("Other region")
    am2_territory = await make.territory("AM2 territory", other_region)
    am1 = await make.am("AM One", territories=[territory])
    am2 = await make.am("AM Two", territories=[am2_territory])
    am3 = await make.am("AM Three")
    sc = await make.sc("SC", ams=[am1, am2])
    lonely_sc = await make.sc("Lonely SC")
    company_in_district = await make.company(district, "In district")
    company_in_region = await make.company(region, "In region, above AM1")
    company_of_am2 = await make.company(am2_territory, "AM2 company")
    company_nowhere = await make.company(other_region, "Other region company")
    return World(
        region=region,
        territory=territory,
        district=district,
        other_region=other_region,
        am1=am1,
        am2=am2,
        am3=am3,
        sc=sc,
        lonely_sc=lonely_sc,
        buyer_by_district=await make.buyer(company_in_district, "By district"),
        buyer_direct=await make.buyer(company_in_region, "Direct to AM1", direct_am=am1),
        buyer_of_am2=await make.buyer(company_of_am2, "AM2 buyer"),
        buyer_of_nobody=await make.buyer(company_nowhere, "Nobody's buyer"),
        buyer_of_am3=await make.buyer(company_in_region, "AM3 buyer", direct_am=am3),
        company_in_district=company_in_district,
        company_in_region=company_in_region,
        company_of_am2=company_of_am2,
    )


def ids(*pks: int) -> set[str]:
    return {gid("User", pk) for pk in pks}


async def seen_top_level(client, viewer: int) -> set[str]:
    data = await client.data(USERS, as_user=viewer)
    assert data["users"]["totalCount"] == len(data["users"]["nodes"])
    return {node["id"] for node in data["users"]["nodes"]}


async def seen_nested(client, viewer: int) -> set[str]:
    data = await client.data(NESTED, as_user=viewer)
    found = set()
    for am in data["viewer"]["accountManagers"]["nodes"]:
        buyers = am["associatedBuyers"]
        assert buyers["totalCount"] == len(buyers["nodes"])
        for buyer in buyers["nodes"]:
            found.add(buyer["id"])
            found |= {b["id"] for b in buyer["company"]["buyers"]["nodes"]}
    return found


async def seen_by_node(client, viewer: int, candidates: set[str]) -> set[str]:
    found = set()
    for candidate in candidates:
        data = await client.data(NODE, {"id": candidate}, as_user=viewer)
        aliased = await client.data(ALIASED, {"id": candidate}, as_user=viewer)
        assert (data["node"] is None) == (aliased["a"] is None) == (aliased["b"] is None)
        if data["node"] is not None:
            found.add(data["node"]["id"])
    return found


def everyone(w: World) -> set[str]:
    return ids(
        w.am1,
        w.am2,
        w.am3,
        w.sc,
        w.lonely_sc,
        w.buyer_by_district,
        w.buyer_direct,
        w.buyer_of_am2,
        w.buyer_of_nobody,
        w.buyer_of_am3,
    )


async def test_R1_R2_sc_sees_buyers_of_both_ams_direct_and_by_sub_territory_and_no_others(client, world):
    w = world
    buyers = ids(w.buyer_by_district, w.buyer_direct, w.buyer_of_am2)
    assert await seen_top_level(client, w.sc) == buyers | ids(w.sc, w.am1, w.am2)
    assert await seen_nested(client, w.sc) == buyers
    assert await seen_by_node(client, w.sc, everyone(w)) == buyers | ids(w.sc, w.am1, w.am2)


async def test_R1_am_sees_own_associated_buyers_and_coordinators_only(client, world):
    w = world
    expected = ids(w.am1, w.sc, w.buyer_by_district, w.buyer_direct)
    assert await seen_top_level(client, w.am1) == expected
    assert await seen_by_node(client, w.am1, everyone(w)) == expected
    data = await client.data(
        "query { viewer { associatedBuyers(first: 50) { nodes { id } } } }", as_user=w.am1
    )
    assert {n["id"] for n in data["viewer"]["associatedBuyers"]["nodes"]} == ids(
        w.buyer_by_district, w.buyer_direct
    )


async def test_R2_sc_without_ams_sees_only_themselves(client, world):
    w = world
    assert await seen_top_level(client, w.lonely_sc) == ids(w.lonely_sc)
    assert await seen_nested(client, w.lonely_sc) == set()
    assert await seen_by_node(client, w.lonely_sc, everyone(w)) == ids(w.lonely_sc)


async def test_R2_unlinking_an_am_removes_their_buyers_on_the_next_request(client, world, make):
    w = world
    assert ids(w.buyer_of_am2) <= await seen_top_level(client, w.sc)
    await make.execute(
        sa.delete(am_coordinators).where(am_coordinators.c.am_id == w.am2, am_coordinators.c.sc_id == w.sc)
    )
    gone = ids(w.am2, w.buyer_of_am2)
    assert not gone & await seen_top_level(client, w.sc)
    assert not gone & await seen_nested(client, w.sc)
    assert not gone & await seen_by_node(client, w.sc, gone)


async def test_R3_moving_a_company_moves_its_buyers(client, world, make):
    w = world
    await make.execute(
        sa.update(companies).where(companies.c.id == w.company_of_am2).values(territory_id=w.other_region)
    )
    assert ids(w.buyer_of_am2).isdisjoint(await seen_top_level(client, w.sc))
    await make.execute(
        sa.update(companies).where(companies.c.id == w.company_of_am2).values(territory_id=w.district)
    )
    assert ids(w.buyer_of_am2) <= await seen_top_level(client, w.sc)
    data = await client.data(
        "query { viewer { associatedBuyers(first: 50) { nodes { id } } } }", as_user=w.am1
    )
    assert ids(w.buyer_of_am2) <= {n["id"] for n in data["viewer"]["associatedBuyers"]["nodes"]}


async def test_R3_reparenting_a_territory_changes_every_scope_below_it(client, world, make):
    w = world
    await make.execute(
        sa.update(territories).where(territories.c.id == w.district).values(parent_id=w.other_region)
    )
    seen = await seen_top_level(client, w.sc)
    assert ids(w.buyer_by_district).isdisjoint(seen)
    assert ids(w.buyer_direct) <= seen  # a direct link does not depend on territories


async def test_R3_changing_a_buyers_direct_am_changes_scope(client, world, make):
    w = world
    await make.execute(sa.update(users).where(users.c.id == w.buyer_of_am3).values(direct_am_id=w.am2))
    assert ids(w.buyer_of_am3) <= await seen_top_level(client, w.sc)
    assert ids(w.buyer_of_am3) <= await seen_nested(client, w.sc)
    await make.execute(sa.update(users).where(users.c.id == w.buyer_direct).values(direct_am_id=None))
    assert ids(w.buyer_direct).isdisjoint(await seen_top_level(client, w.sc))


async def test_R13_buyer_sees_themselves_and_their_am_and_nothing_of_other_buyers(client, world):
    w = world
    expected = ids(w.buyer_direct, w.am1)
    assert await seen_top_level(client, w.buyer_direct) == expected
    assert await seen_by_node(client, w.buyer_direct, everyone(w)) == expected
    data = await client.data(
        "query { viewer { company { id buyers(first: 50) { nodes { id } } } } }", as_user=w.buyer_direct
    )
    assert data["viewer"]["company"]["id"] == gid("Company", w.company_in_region)
    assert {n["id"] for n in data["viewer"]["company"]["buyers"]["nodes"]} == ids(w.buyer_direct)


async def test_admin_sees_everyone(client, world, make):
    w = world
    admin = await make.admin()
    assert await seen_top_level(client, admin) == everyone(w) | ids(admin)


COMPANIES = "query { companies(first: 100) { totalCount nodes { id territory { id } } } }"
TERRITORIES = "query { territories(first: 100) { nodes { id parent { id } } } }"


async def test_R2_companies_and_territories_follow_the_scope(client, world):
    w = world
    data = await client.data(COMPANIES, as_user=w.sc)
    assert {n["id"] for n in data["companies"]["nodes"]} == {
        gid("Company", w.company_in_district),
        gid("Company", w.company_in_region),
        gid("Company", w.company_of_am2),
    }
    data = await client.data(TERRITORIES, as_user=w.sc)
    seen = {n["id"] for n in data["territories"]["nodes"]}
    assert gid("Territory", w.district) in seen and gid("Territory", w.territory) in seen
    assert gid("Territory", w.other_region) not in seen
    for candidate, visible in [
        (gid("Territory", w.other_region), False),
        (gid("Territory", w.district), True),
    ]:
        node = (await client.data(NODE, {"id": candidate}, as_user=w.sc))["node"]
        assert (node is not None) is visible
