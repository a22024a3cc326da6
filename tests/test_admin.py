"""Administration: assigning SCs to AMs and the user dropdown (R5), role permissions at run
time (R14), territories, companies and AM territories (R3), and user accounts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from graphql import ObjectTypeDefinitionNode, parse
from salescoord.db.tables import am_coordinators, am_territories, territories, users
from salescoord.permissions.enums import DEFAULT_PERMISSIONS, Channel, Permission, RoleName
from salescoord.schema.root import schema

from tests.db_state import snapshot
from tests.helpers import codes, gid

ASSIGN_COORDINATORS = """mutation($am: ID!, $scs: [ID!]!) {
  assignCoordinators(accountManagerId: $am, coordinatorIds: $scs) {
    id coordinators(first: 100) { nodes { id } } }
}"""
UNASSIGN_COORDINATORS = """mutation($am: ID!, $scs: [ID!]!) {
  unassignCoordinators(accountManagerId: $am, coordinatorIds: $scs) {
    id coordinators(first: 100) { nodes { id } } }
}"""
ASSIGN_TERRITORIES = """mutation($am: ID!, $ts: [ID!]!) {
  assignTerritories(accountManagerId: $am, territoryIds: $ts) {
    id territories(first: 100) { nodes { id } } }
}"""
UNASSIGN_TERRITORIES = """mutation($am: ID!, $ts: [ID!]!) {
  unassignTerritories(accountManagerId: $am, territoryIds: $ts) {
    id territories(first: 100) { nodes { id } } }
}"""
USERS = """query($role: RoleName, $search: String, $first: Int!, $after: String) {
  users(role: $role, search: $search, first: $first, after: $after) {
    totalCount edges { cursor node { id name role } } pageInfo { hasNextPage endCursor }
  }
}"""
SEEN = "query { users(first: 100) { nodes { id } } }"
SET_ROLE_PERMISSIONS = """mutation($role: RoleName!, $permissions: [Permission!]!) {
  setRolePermissions(role: $role, permissions: $permissions) { name permissions }
}"""
ROLES = "query { roles { name permissions } }"
CREATE_USER = """mutation($input: CreateUserInput!) {
  createUser(input: $input) { id email name role active company { id } directAccountManager { id } }
}"""
UPDATE_USER = """mutation($input: UpdateUserInput!) {
  updateUser(input: $input) { id email name role active company { id } }
}"""
CREATE_TERRITORY = """mutation($name: String!, $parent: ID) {
  createTerritory(name: $name, parentId: $parent) { id name parent { id } }
}"""
UPDATE_TERRITORY = """mutation($input: UpdateTerritoryInput!) {
  updateTerritory(input: $input) { id name parent { id } }
}"""
CREATE_COMPANY = """mutation($name: String!, $territory: ID!) {
  createCompany(name: $name, territoryId: $territory) { id name territory { id } }
}"""
UPDATE_COMPANY = """mutation($input: UpdateCompanyInput!) {
  updateCompany(input: $input) { id name territory { id } }
}"""
CREATE_ROLE = """mutation($name: String!, $kind: RoleName!, $permissions: [Permission!]!) {
  createRole(name: $name, kind: $kind, permissions: $permissions) { id name kind builtIn permissions }
}"""
RENAME_ROLE = (
    """mutation($role: ID!, $name: String!) { renameRole(roleId: $role, name: $name) { id name } }"""
)
DELETE_ROLE = """mutation($role: ID!) { deleteRole(roleId: $role) }"""
ROOT_TERRITORIES = "query { territories(first: 100, rootsOnly: true) { nodes { id } } }"


@dataclass
class World:
    admin: int
    north: int
    south: int
    am: int
    other_am: int
    sc: int
    other_sc: int
    buyer_north: int
    buyer_south: int
    company_north: int
    company_south: int
    custom_role: int = 0
    spare_role: int = 0


@pytest.fixture
async def world(make) -> World:
    """AM covers North, the other AM South; neither SC is assigned to anyone yet."""
    north = await make.territory("North")
    south = await make.territory("South")
    company_north = await make.company(north, "Northwind")
    company_south = await make.company(south, "Southwind")
    return World(
        admin=await make.admin("Ada Admin"),
        north=north,
        south=south,
        am=await make.am("Alma Manager", territories=[north]),
        other_am=await make.am("Otto Manager", territories=[south]),
        sc=await make.sc("Sid Coordinator"),
        other_sc=await make.sc("Sue Coordinator"),
        buyer_north=await make.buyer(company_north, "Nora Buyer"),
        buyer_south=await make.buyer(company_south, "Sven Buyer"),
        company_north=company_north,
        company_south=company_south,
        custom_role=await make.role("SALES_COORDINATOR", ["MANAGE_MEETINGS"], "Field coordinators"),
        spare_role=await make.role("ACCOUNT_MANAGER", [], "Spare"),
    )


def ids(*pks: int) -> set[str]:
    return {gid("User", pk) for pk in pks}


async def seen(client, viewer: int) -> set[str]:
    data = await client.data(SEEN, as_user=viewer)
    return {node["id"] for node in data["users"]["nodes"]}


# -- R5: assigning SCs ----------------------------------------------------------------------
async def test_R5_admin_assigns_and_unassigns_coordinators_scope_follows_on_the_next_request(
    client, world, engine
):
    w = world
    assert await seen(client, w.sc) == ids(w.sc)
    data = await client.data(
        ASSIGN_COORDINATORS,
        {"am": gid("User", w.am), "scs": [gid("User", w.sc), gid("User", w.other_sc)]},
        as_user=w.admin,
    )
    payload = data["assignCoordinators"]
    assert payload["id"] == gid("User", w.am)
    assert {n["id"] for n in payload["coordinators"]["nodes"]} == ids(w.sc, w.other_sc)
    for sc in (w.sc, w.other_sc):
        assert await seen(client, sc) == ids(sc, w.am, w.buyer_north)

    # assigning again is harmless: one link per pair
    await client.data(
        ASSIGN_COORDINATORS, {"am": gid("User", w.am), "scs": [gid("User", w.sc)]}, as_user=w.admin
    )
    async with engine.connect() as connection:
        links = (await connection.execute(sa.select(am_coordinators.c.am_id, am_coordinators.c.sc_id))).all()
    assert sorted(links) == sorted([(w.am, w.sc), (w.am, w.other_sc)])

    data = await client.data(
        UNASSIGN_COORDINATORS, {"am": gid("User", w.am), "scs": [gid("User", w.sc)]}, as_user=w.admin
    )
    assert {n["id"] for n in data["unassignCoordinators"]["coordinators"]["nodes"]} == ids(w.other_sc)
    assert await seen(client, w.sc) == ids(w.sc)
    assert await seen(client, w.other_sc) == ids(w.other_sc, w.am, w.buyer_north)
    # the dropdown searches within the SC's scope only
    data = await client.data(USERS, {"first": 100, "search": "buyer"}, as_user=w.other_sc)
    assert {e["node"]["id"] for e in data["users"]["edges"]} == ids(w.buyer_north)


async def test_R5_assigning_needs_an_am_and_scs(client, world):
    w = world
    for variables, field in [
        ({"am": gid("User", w.sc), "scs": [gid("User", w.other_sc)]}, "accountManagerId"),
        ({"am": gid("User", w.am), "scs": [gid("User", w.other_am)]}, "coordinatorIds"),
        ({"am": gid("User", w.am), "scs": []}, "coordinatorIds"),
    ]:
        body = await client.post(ASSIGN_COORDINATORS, variables, as_user=w.admin)
        assert codes(body) == ["BAD_USER_INPUT"], variables
        assert body["errors"][0]["extensions"]["field"] == field
    assert await seen(client, w.sc) == ids(w.sc)


ADMINISTRATION = {"MANAGE_USERS", "MANAGE_ROLES", "MANAGE_TERRITORIES"}


def administrators_mutations() -> set[str]:
    """Mutations that `schema.graphql` marks @requires(permission: MANAGE_USERS / _ROLES / _TERRITORIES)."""
    document = parse(schema.as_str())
    mutation = next(
        d
        for d in document.definitions
        if isinstance(d, ObjectTypeDefinitionNode) and d.name.value == "Mutation"
    )
    return {
        field.name.value
        for field in mutation.fields
        for directive in field.directives or ()
        if directive.name.value == "requires"
        and any(argument.value.value in ADMINISTRATION for argument in directive.arguments or ())
    }


DELETE_TERRITORY = "mutation($id: ID!) { deleteTerritory(id: $id) }"
MERGE_TERRITORY = "mutation($s: ID!, $t: ID!) { mergeTerritory(sourceId: $s, targetId: $t) { id } }"
DELETE_COMPANY = "mutation($id: ID!) { deleteCompany(id: $id) }"
MERGE_COMPANY = "mutation($s: ID!, $t: ID!) { mergeCompany(sourceId: $s, targetId: $t) { id } }"


async def _spare(make) -> tuple[int, int]:
    """An empty territory and a company without buyers in it, for the deletions (R34)."""
    territory = await make.territory("Spare")
    return territory, await make.company(territory, "Sparewind")


def _admin_mutations(w: World, spare: tuple[int, int]) -> dict[str, tuple[str, dict]]:
    """One valid call of every administrators' mutation, as (operation, variables), in an order
    in which each goes through for an admin."""
    am, sc = gid("User", w.am), gid("User", w.sc)
    return {
        "assignCoordinators": (ASSIGN_COORDINATORS, {"am": am, "scs": [sc]}),
        "unassignCoordinators": (UNASSIGN_COORDINATORS, {"am": gid("User", w.other_am), "scs": [sc]}),
        "assignTerritories": (ASSIGN_TERRITORIES, {"am": am, "ts": [gid("Territory", w.south)]}),
        "unassignTerritories": (UNASSIGN_TERRITORIES, {"am": am, "ts": [gid("Territory", w.north)]}),
        "setRolePermissions": (SET_ROLE_PERMISSIONS, {"role": "BUYER", "permissions": ["MANAGE_USERS"]}),
        "createUser": (CREATE_USER, {"input": {"email": "new@example.test", "name": "New", "role": "ADMIN"}}),
        "updateUser": (UPDATE_USER, {"input": {"id": gid("User", w.buyer_north), "name": "Renamed"}}),
        "createTerritory": (CREATE_TERRITORY, {"name": "East", "parent": None}),
        "updateTerritory": (
            UPDATE_TERRITORY,
            {"input": {"id": gid("Territory", w.north), "name": "Renamed"}},
        ),
        "createCompany": (CREATE_COMPANY, {"name": "Eastwind", "territory": gid("Territory", w.north)}),
        "updateCompany": (
            UPDATE_COMPANY,
            {"input": {"id": gid("Company", w.company_north), "territoryId": gid("Territory", w.south)}},
        ),
        "deleteCompany": (DELETE_COMPANY, {"id": gid("Company", spare[1])}),
        "deleteTerritory": (DELETE_TERRITORY, {"id": gid("Territory", spare[0])}),
        "mergeCompany": (
            MERGE_COMPANY,
            {"s": gid("Company", w.company_south), "t": gid("Company", w.company_north)},
        ),
        "mergeTerritory": (MERGE_TERRITORY, {"s": gid("Territory", w.south), "t": gid("Territory", w.north)}),
        "createRole": (
            CREATE_ROLE,
            {
                "name": "Regional leads",
                "kind": "ACCOUNT_MANAGER",
                "permissions": ["VIEW_REPORTING_ALL_USERS"],
            },
        ),
        "renameRole": (RENAME_ROLE, {"role": gid("Role", w.custom_role), "name": "Renamed"}),
        "deleteRole": (DELETE_ROLE, {"role": gid("Role", w.spare_role)}),
    }


async def test_R5_R14_non_admins_get_forbidden_and_nothing_is_written(client, world, make, engine):
    w = world
    await make.link_sc(w.other_am, w.sc)  # so that unassigning would have something to delete
    await make.link_sc(w.am, w.other_sc)  # the caller SC works for the AM the calls are about
    calls = _admin_mutations(w, await _spare(make))
    assert set(calls) == administrators_mutations()  # a new one must join this table
    before = await snapshot(engine)
    for mutation, (operation, variables) in calls.items():
        for caller in (w.am, w.other_sc, w.buyer_north):
            body = await client.post(operation, variables, as_user=caller)
            assert codes(body) == ["FORBIDDEN"], (mutation, caller, body)
            assert body["data"] in ({mutation: None}, None), mutation  # None: a non-null field
    assert await snapshot(engine) == before
    # the control: each call goes through for the admin, and writes
    for mutation, (operation, variables) in calls.items():
        state = await snapshot(engine)
        assert (await client.data(operation, variables, as_user=w.admin))[mutation] is not None
        assert await snapshot(engine) != state, mutation


async def test_R10_R16_back_office_is_refused_to_an_app_token_even_an_admins(client, world, make, engine):
    """The app sends meeting, note and list work, each with a key (R16); a 30-day app token on a
    device carried to buyers never changes users, roles or places: FORBIDDEN, nothing written."""
    w = world
    await make.link_sc(w.other_am, w.sc)
    spare = await _spare(make)
    before = await snapshot(engine)
    for mutation, (operation, variables) in _admin_mutations(w, spare).items():
        body = await client.post(operation, variables, as_user=w.admin, channel=Channel.APP)
        assert codes(body) == ["FORBIDDEN"], (mutation, body)
    assert await snapshot(engine) == before


# -- R5: the searchable user list -----------------------------------------------------------
async def test_R5_users_filters_by_role_and_by_a_name_or_email_fragment(client, make):
    admin = await make.user("ADMIN", "Zed Admin", email="zed@hq.test")
    able = await make.user("ACCOUNT_MANAGER", "Alice Able", email="alice@corp.test")
    baker = await make.user("ACCOUNT_MANAGER", "Bob Baker", email="bob@corp.test")
    sable = await make.user("SALES_COORDINATOR", "Sam Sable", email="sam@hq.test")
    odd = await make.user("SALES_COORDINATOR", "Olga 100%", email="olga_o@hq.test")

    async def found(**filters) -> set[str]:
        data = await client.data(USERS, {"first": 100, **filters}, as_user=admin)
        nodes = [edge["node"] for edge in data["users"]["edges"]]
        assert data["users"]["totalCount"] == len(nodes)
        if "role" in filters:
            assert {node["role"] for node in nodes} <= {filters["role"]}
        return {node["id"] for node in nodes}

    assert await found(role="ACCOUNT_MANAGER") == ids(able, baker)
    assert await found(role="SALES_COORDINATOR") == ids(sable, odd)
    assert await found(role="BUYER") == set()
    for search, expected in [
        ("ABLE", ids(able, sable)),  # name, any case
        ("Corp.Test", ids(able, baker)),  # email
        ("zed", ids(admin)),
        ("%", ids(odd)),  # LIKE wildcards are literal
        ("_", ids(odd)),
        ("nobody", set()),
    ]:
        assert await found(search=search) == expected, search
    assert await found(role="SALES_COORDINATOR", search="able") == ids(sable)


async def test_R5_users_pages_with_cursors_without_repeats_or_gaps(client, make):
    admin = await make.admin("Zed Admin")
    names = ["Cleo", "Abe", "Eve", "Abe", "Dan", "Bea", "Abe"]  # equal names: the id breaks ties
    scs = [await make.user("SALES_COORDINATOR", name) for name in names]
    await make.user("ACCOUNT_MANAGER", "Abe")  # filtered out by role
    expected = [gid("User", pk) for _, pk in sorted(zip(names, scs, strict=True))]
    for first in (1, 2, 3, 7):
        pages, after = [], None
        while True:
            variables = {"role": "SALES_COORDINATOR", "first": first, "after": after}
            connection = (await client.data(USERS, variables, as_user=admin))["users"]
            assert connection["totalCount"] == len(names)
            edges = connection["edges"]
            assert 1 <= len(edges) <= first
            pages.append([edge["node"]["id"] for edge in edges])
            assert connection["pageInfo"]["endCursor"] == edges[-1]["cursor"]
            if not connection["pageInfo"]["hasNextPage"]:
                break
            after = connection["pageInfo"]["endCursor"]
        assert [pk for page in pages for pk in page] == expected, first
        assert len(pages) == -(-len(names) // first)


# -- R14: role permissions at run time ------------------------------------------------------
def _user_input(email: str, role: str = "ACCOUNT_MANAGER") -> dict:
    return {"input": {"email": email, "name": "Someone", "role": role}}


async def test_R14_removing_manage_users_from_admin_forbids_the_next_create_user(client, world, engine):
    w = world
    assert (await client.data(CREATE_USER, _user_input("first@example.test"), as_user=w.admin))["createUser"]
    kept = sorted(p.value for p in Permission if p is not Permission.MANAGE_USERS)
    data = await client.data(SET_ROLE_PERMISSIONS, {"role": "ADMIN", "permissions": kept}, as_user=w.admin)
    assert data["setRolePermissions"] == {"name": "ADMIN", "permissions": kept}
    before = await snapshot(engine)
    body = await client.post(CREATE_USER, _user_input("second@example.test"), as_user=w.admin)
    assert codes(body) == ["FORBIDDEN"]
    assert await snapshot(engine) == before
    roles = {r["name"]: set(r["permissions"]) for r in (await client.data(ROLES, as_user=w.admin))["roles"]}
    assert roles["ADMIN"] == set(kept)


async def test_R14_adding_manage_users_to_sales_coordinator_lets_an_sc_create_users(client, world, make):
    w = world
    await make.link_sc(w.am, w.sc)
    buyer = {
        "input": {
            "email": "by-sc@example.test",
            "name": "New Buyer",
            "role": "BUYER",
            "companyId": gid("Company", w.company_north),
        }
    }
    body = await client.post(CREATE_USER, buyer, as_user=w.sc)
    assert codes(body) == ["FORBIDDEN"]
    permissions = sorted(DEFAULT_PERMISSIONS[RoleName.SALES_COORDINATOR] | {Permission.MANAGE_USERS})
    await client.data(
        SET_ROLE_PERMISSIONS, {"role": "SALES_COORDINATOR", "permissions": permissions}, as_user=w.admin
    )
    created = (await client.data(CREATE_USER, buyer, as_user=w.sc))["createUser"]
    assert created["email"] == "by-sc@example.test"
    assert created["company"] == {"id": gid("Company", w.company_north)}
    # the AM's role is untouched
    body = await client.post(
        CREATE_USER, {"input": {**buyer["input"], "email": "by-am@example.test"}}, as_user=w.am
    )
    assert codes(body) == ["FORBIDDEN"]


# -- territories ----------------------------------------------------------------------------
async def test_territories_are_created_renamed_and_moved(client, world):
    w = world

    async def create(name: str, parent: str | None = None) -> dict:
        variables = {"name": name, "parent": parent}
        return (await client.data(CREATE_TERRITORY, variables, as_user=w.admin))["createTerritory"]

    europe = (await create("Europe"))["id"]
    france = await create(" France ", europe)
    assert (france["name"], france["parent"]) == ("France", {"id": europe})
    france = france["id"]
    paris = (await create("Paris", france))["id"]

    data = await client.data(UPDATE_TERRITORY, {"input": {"id": france, "name": "Gaul"}}, as_user=w.admin)
    assert data["updateTerritory"] == {"id": france, "name": "Gaul", "parent": {"id": europe}}
    data = await client.data(UPDATE_TERRITORY, {"input": {"id": france, "parentId": None}}, as_user=w.admin)
    assert data["updateTerritory"] == {"id": france, "name": "Gaul", "parent": None}
    roots = {n["id"] for n in (await client.data(ROOT_TERRITORIES, as_user=w.admin))["territories"]["nodes"]}
    assert {europe, france} <= roots and paris not in roots
    data = await client.data(UPDATE_TERRITORY, {"input": {"id": france, "parentId": europe}}, as_user=w.admin)
    assert data["updateTerritory"]["parent"] == {"id": europe}


async def test_a_territory_cannot_move_below_itself_or_its_descendants(client, world, make, engine):
    w = world
    region = await make.territory("Region")
    middle = await make.territory("Middle", region)
    leaf = await make.territory("Leaf", middle)
    before = await snapshot(engine)
    for moved, parent in [(region, leaf), (region, middle), (middle, leaf), (leaf, leaf)]:
        variables = {
            "input": {"id": gid("Territory", moved), "parentId": gid("Territory", parent), "name": "X"}
        }
        body = await client.post(UPDATE_TERRITORY, variables, as_user=w.admin)
        assert codes(body) == ["CONFLICT"], (moved, parent)
        assert body["errors"][0]["extensions"]["field"] == "parentId"
        assert body["data"] == {"updateTerritory": None}
    assert await snapshot(engine) == before
    async with engine.connect() as connection:
        parents = dict((await connection.execute(sa.select(territories.c.id, territories.c.parent_id))).all())
    assert (parents[region], parents[middle], parents[leaf]) == (None, region, middle)


async def test_R3_moving_a_territory_with_the_mutation_moves_the_buyers_below_it(client, world, make):
    w = world
    await make.link_sc(w.am, w.sc)
    district = await make.territory("District", w.north)
    buyer = await make.buyer(await make.company(district), "District Buyer")
    assert ids(buyer) <= await seen(client, w.sc)
    move = {"input": {"id": gid("Territory", district), "parentId": gid("Territory", w.south)}}
    await client.data(UPDATE_TERRITORY, move, as_user=w.admin)
    assert ids(buyer).isdisjoint(await seen(client, w.sc))
    assert ids(buyer) <= await seen(client, w.other_am)
    move = {"input": {"id": gid("Territory", district), "parentId": gid("Territory", w.north)}}
    await client.data(UPDATE_TERRITORY, move, as_user=w.admin)
    assert ids(buyer) <= await seen(client, w.sc)


# -- companies ------------------------------------------------------------------------------
async def test_R3_moving_a_company_with_the_mutation_moves_its_buyers_in_and_out_of_scope(
    client, world, make, engine
):
    w = world
    await make.link_sc(w.am, w.sc)
    data = await client.data(
        CREATE_COMPANY, {"name": "Acme", "territory": gid("Territory", w.south)}, as_user=w.admin
    )
    company = data["createCompany"]
    assert company["name"] == "Acme" and company["territory"] == {"id": gid("Territory", w.south)}
    data = await client.data(
        CREATE_USER,
        {
            "input": {
                "email": "acme@example.test",
                "name": "Acme Buyer",
                "role": "BUYER",
                "companyId": company["id"],
            }
        },
        as_user=w.admin,
    )
    buyer = data["createUser"]["id"]
    assert buyer not in await seen(client, w.sc)

    move_in = {"input": {"id": company["id"], "territoryId": gid("Territory", w.north), "name": "Acme North"}}
    data = await client.data(UPDATE_COMPANY, move_in, as_user=w.admin)
    assert data["updateCompany"] == {
        "id": company["id"],
        "name": "Acme North",
        "territory": {"id": gid("Territory", w.north)},
    }
    assert buyer in await seen(client, w.sc)
    move_out = {"input": {"id": company["id"], "territoryId": gid("Territory", w.south)}}
    await client.data(UPDATE_COMPANY, move_out, as_user=w.admin)
    assert buyer not in await seen(client, w.sc)

    # a company needs a territory
    before = await snapshot(engine)
    body = await client.post(
        UPDATE_COMPANY, {"input": {"id": company["id"], "territoryId": None}}, as_user=w.admin
    )
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "territoryId"
    assert await snapshot(engine) == before


# -- AM territories -------------------------------------------------------------------------
async def test_R1_assigning_territories_to_an_am_widens_and_narrows_the_scope(client, world, make, engine):
    w = world
    before = await snapshot(engine)
    body = await client.post(
        ASSIGN_TERRITORIES, {"am": gid("User", w.sc), "ts": [gid("Territory", w.south)]}, as_user=w.admin
    )
    assert codes(body) == ["BAD_USER_INPUT"]  # territories are for account managers
    assert body["errors"][0]["extensions"]["field"] == "accountManagerId"
    assert await snapshot(engine) == before

    await make.link_sc(w.am, w.sc)
    assert ids(w.buyer_south).isdisjoint(await seen(client, w.sc))
    variables = {"am": gid("User", w.am), "ts": [gid("Territory", w.south)]}
    data = await client.data(ASSIGN_TERRITORIES, variables, as_user=w.admin)
    territories_of_am = {n["id"] for n in data["assignTerritories"]["territories"]["nodes"]}
    assert territories_of_am == {gid("Territory", w.north), gid("Territory", w.south)}
    assert ids(w.buyer_north, w.buyer_south) <= await seen(client, w.sc)
    assert ids(w.buyer_north, w.buyer_south) <= await seen(client, w.am)

    variables = {"am": gid("User", w.am), "ts": [gid("Territory", w.north)]}
    data = await client.data(UNASSIGN_TERRITORIES, variables, as_user=w.admin)
    assert {n["id"] for n in data["unassignTerritories"]["territories"]["nodes"]} == {
        gid("Territory", w.south)
    }
    assert await seen(client, w.sc) == ids(w.sc, w.am, w.buyer_south)


# -- user accounts --------------------------------------------------------------------------
async def test_create_user_makes_a_buyer_in_a_company_with_a_direct_am(client, world):
    w = world
    variables = {
        "input": {
            "email": " Bea@Example.TEST ",
            "name": "Bea Buyer",
            "role": "BUYER",
            "companyId": gid("Company", w.company_south),
            "directAccountManagerId": gid("User", w.am),
        }
    }
    created = (await client.data(CREATE_USER, variables, as_user=w.admin))["createUser"]
    assert created["email"] == "bea@example.test"
    assert (created["role"], created["active"]) == ("BUYER", True)
    assert created["company"] == {"id": gid("Company", w.company_south)}
    assert created["directAccountManager"] == {"id": gid("User", w.am)}
    assert created["id"] in await seen(client, w.am)  # R1: direct, though outside the AM's territories


async def test_duplicate_emails_are_a_conflict_in_any_case(client, world, make, engine):
    w = world
    taken = await make.user("ACCOUNT_MANAGER", "Taken", email="taken@example.test")
    before = await snapshot(engine)
    for operation, variables in [
        (CREATE_USER, _user_input("TAKEN@Example.test")),
        (UPDATE_USER, {"input": {"id": gid("User", w.am), "email": "Taken@EXAMPLE.test"}}),
    ]:
        body = await client.post(operation, variables, as_user=w.admin)
        assert codes(body) == ["CONFLICT"], variables
        assert body["errors"][0]["extensions"]["field"] == "email"
    assert await snapshot(engine) == before
    # a user may change the case of their own address
    data = await client.data(
        UPDATE_USER, {"input": {"id": gid("User", taken), "email": "TAKEN@example.TEST"}}, as_user=w.admin
    )
    assert data["updateUser"]["email"] == "taken@example.test"


async def test_a_buyer_needs_a_company_and_only_buyers_have_one(client, world, engine):
    w = world
    company = gid("Company", w.company_north)
    before = await snapshot(engine)
    for operation, variables, field in [
        (CREATE_USER, _user_input("b@example.test", "BUYER"), "companyId"),
        (
            CREATE_USER,
            {"input": {**_user_input("s@example.test", "SALES_COORDINATOR")["input"], "companyId": company}},
            "companyId",
        ),
        (
            CREATE_USER,
            {
                "input": {
                    **_user_input("b@example.test", "BUYER")["input"],
                    "companyId": company,
                    "directAccountManagerId": gid("User", w.sc),
                }
            },
            "directAccountManagerId",
        ),
        (UPDATE_USER, {"input": {"id": gid("User", w.sc), "role": "BUYER"}}, "companyId"),
        (UPDATE_USER, {"input": {"id": gid("User", w.buyer_north), "companyId": None}}, "companyId"),
    ]:
        body = await client.post(operation, variables, as_user=w.admin)
        assert codes(body) == ["BAD_USER_INPUT"], variables
        assert body["errors"][0]["extensions"]["field"] == field, variables
    assert await snapshot(engine) == before


async def test_update_user_moves_a_buyer_and_deactivates_a_user(client, world, engine):
    w = world
    await client.data(
        UPDATE_USER,
        {"input": {"id": gid("User", w.buyer_north), "companyId": gid("Company", w.company_south)}},
        as_user=w.admin,
    )
    assert ids(w.buyer_north).isdisjoint(await seen(client, w.am))
    assert ids(w.buyer_north) <= await seen(client, w.other_am)

    data = await client.data(
        UPDATE_USER, {"input": {"id": gid("User", w.am), "active": False}}, as_user=w.admin
    )
    assert data["updateUser"]["active"] is False
    async with engine.connect() as connection:
        active = (await connection.execute(sa.select(users.c.active).where(users.c.id == w.am))).scalar_one()
    assert active is False
    assert codes(await client.post("query { viewer { id } }", as_user=w.am)) == ["UNAUTHENTICATED"]


async def test_R2_an_am_who_changes_role_leaves_their_coordinators_territories_and_buyers(
    client, world, make, engine
):
    w = world
    await make.link_sc(w.am, w.sc)
    direct = await make.buyer(w.company_south, "Direct to Alma", direct_am=w.am)
    assert ids(w.am, w.buyer_north, direct) <= await seen(client, w.sc)
    data = await client.data(
        UPDATE_USER, {"input": {"id": gid("User", w.am), "role": "SALES_COORDINATOR"}}, as_user=w.admin
    )
    assert data["updateUser"]["role"] == "SALES_COORDINATOR"
    assert await seen(client, w.sc) == ids(w.sc)
    assert await seen(client, direct) == ids(direct)  # R13: a buyer's direct AM is an AM
    async with engine.connect() as connection:
        for table in (am_coordinators, am_territories):
            assert (await connection.execute(sa.select(table).where(table.c.am_id == w.am))).all() == []


async def test_R2_an_sc_who_changes_role_leaves_their_account_managers(client, world, make, engine):
    w = world
    await make.link_sc(w.am, w.sc)
    await make.link_sc(w.other_am, w.sc)
    await client.data(UPDATE_USER, {"input": {"id": gid("User", w.sc), "role": "ADMIN"}}, as_user=w.admin)
    await client.data(
        UPDATE_USER, {"input": {"id": gid("User", w.sc), "role": "SALES_COORDINATOR"}}, as_user=w.admin
    )
    assert await seen(client, w.sc) == ids(w.sc)
    async with engine.connect() as connection:
        assert (await connection.execute(sa.select(am_coordinators))).all() == []


# -- concurrent administrators --------------------------------------------------------------


async def test_concurrent_users_with_one_email_one_is_created_the_others_conflict(client, world, engine):
    w = world
    for attempt in range(3):
        variables = _user_input(f"race{attempt}@example.test")
        bodies = await asyncio.gather(
            *[client.post(CREATE_USER, variables, as_user=w.admin) for _ in range(3)]
        )
        assert sorted(codes(body) for body in bodies) == [[], ["CONFLICT"], ["CONFLICT"]], bodies
    async with engine.connect() as connection:
        emails = (
            await connection.execute(sa.select(users.c.email).where(users.c.email.like("race%")))
        ).scalars()
        assert sorted(emails) == [f"race{attempt}@example.test" for attempt in range(3)]


async def test_concurrent_moves_cannot_make_a_territory_cycle(client, world, make, engine):
    w = world
    for _ in range(3):
        a, b = await make.territory("A"), await make.territory("B")
        bodies = await asyncio.gather(
            *[
                client.post(
                    UPDATE_TERRITORY,
                    {"input": {"id": gid("Territory", moved), "parentId": gid("Territory", parent)}},
                    as_user=w.admin,
                )
                for moved, parent in [(a, b), (b, a)]
            ]
        )
        assert sorted(codes(body) for body in bodies) == [[], ["CONFLICT"]], bodies
        async with engine.connect() as connection:
            parents = dict(
                (await connection.execute(sa.select(territories.c.id, territories.c.parent_id))).all()
            )
        assert (parents[a], parents[b]) in [(b, None), (None, a)]


# -- no escalation --------------------------------------------------------------------------
ESCALATIONS = {
    "create-admin": (CREATE_USER, lambda w: _user_input("boss@example.test", role="ADMIN"), "FORBIDDEN"),
    "promote-self": (
        "mutation($id: ID!) { updateUser(input: {id: $id, role: ADMIN}) { id } }",
        lambda w: {"id": gid("User", w.sc)},
        "FORBIDDEN",
    ),
    "edit-an-admin": (  # an admin is outside an SC's scope: as if there were none
        "mutation($id: ID!) { updateUser(input: {id: $id, active: false}) { id } }",
        lambda w: {"id": gid("User", w.admin)},
        "NOT_FOUND",
    ),
    "edit-admin-role": (
        "mutation { setRolePermissions(role: ADMIN, permissions: [MANAGE_ROLES]) { name } }",
        lambda w: {},
        "FORBIDDEN",
    ),
}
GRANT_SC_ADMINISTRATION = (
    "mutation { setRolePermissions(role: SALES_COORDINATOR, permissions: [MANAGE_USERS, MANAGE_ROLES])"
    " { name } }"
)


@pytest.mark.parametrize("name", ESCALATIONS)
async def test_R14_a_non_admin_with_manage_users_and_roles_cannot_make_admins(client, world, engine, name):
    """Granting MANAGE_USERS and MANAGE_ROLES to SCs (R14) must not let an SC grant itself more."""
    w = world
    await client.data(GRANT_SC_ADMINISTRATION, as_user=w.admin)
    query, variables, code = ESCALATIONS[name]
    before = await snapshot(engine)
    body = await client.post(query, variables(w), as_user=w.sc)
    assert codes(body) == [code], body
    assert await snapshot(engine) == before


async def test_R14_the_admin_role_keeps_manage_roles(client, world, engine):
    before = await snapshot(engine)
    body = await client.post(
        "mutation { setRolePermissions(role: ADMIN, permissions: [MANAGE_USERS]) { name } }",
        as_user=world.admin,
    )
    assert codes(body) == ["BAD_USER_INPUT"] and body["errors"][0]["extensions"]["field"] == "permissions"
    assert await snapshot(engine) == before


async def test_R23_null_for_a_field_an_update_cannot_clear_is_bad_input_and_writes_nothing(
    client, world, engine
):
    """Found by the fuzzed write matrix: `name: null` crashed (INTERNAL), `active: null`
    passed for false and deactivated the user."""
    w = world
    cases = [
        (UPDATE_USER, {"id": gid("User", w.am), field: None}, field)
        for field in ("name", "email", "active", "role", "password")
    ] + [
        (UPDATE_TERRITORY, {"id": gid("Territory", w.north), "name": None}, "name"),
        (UPDATE_COMPANY, {"id": gid("Company", w.company_north), "name": None}, "name"),
    ]
    before = await snapshot(engine)
    for mutation, changes, field in cases:
        body = await client.post(mutation, {"input": changes}, as_user=w.admin)
        assert codes(body) == ["BAD_USER_INPUT"], (changes, body)
        assert body["errors"][0]["extensions"]["field"] == field
    assert await snapshot(engine) == before


async def test_R22_a_company_deleted_between_its_lookup_and_the_write_is_not_found_and_nothing_is_written(
    client, engine, make, monkeypatch
):
    """A deleteCompany or mergeCompany may commit after createUser or updateUser looked the
    company up and before they write; the foreign key then refuses the write. Here the delete
    is committed right after the lookup (on its own connection, as another request's would
    be): the answer is NOT_FOUND on `companyId` (it was INTERNAL), and nothing is written."""
    from salescoord.resolvers import people as people_resolvers

    north = await make.territory()
    admin, buyer = await make.admin(), await make.buyer(await make.company(north))
    doomed, also_doomed = await make.company(north), await make.company(north)
    looked_up = people_resolvers.visible_row

    async def then_deleted(info, global_id, node_type, field):
        row = await looked_up(info, global_id, node_type, field)
        if field == "companyId":
            async with engine.begin() as connection:
                await connection.execute(sa.text("DELETE FROM companies WHERE id = :id"), {"id": row.id})
        return row

    monkeypatch.setattr(people_resolvers, "visible_row", then_deleted)
    new_buyer = {
        "email": "new@example.test",
        "name": "New",
        "role": "BUYER",
        "companyId": gid("Company", doomed),
    }
    moved = {"id": gid("User", buyer), "companyId": gid("Company", also_doomed)}
    for query, variables in ((CREATE_USER, new_buyer), (UPDATE_USER, moved)):
        before = await snapshot(engine)
        body = await client.post(query, {"input": variables}, as_user=admin)
        assert body["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "companyId"}, body
        after = await snapshot(engine)
        assert after["users"] == before["users"] and after["audit_events"] == before["audit_events"]
