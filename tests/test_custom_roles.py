"""R34 (with R14, R23): custom roles. A role's kind decides its holders' scope, on every path
exactly as the built-in role of that kind; its flags decide what they may do, read on every
request. Holders of MANAGE_ROLES make, rename and delete custom roles on the web; built-in
roles stay, the ADMIN role keeps MANAGE_ROLES, a role in use is not deleted, and a refused
call writes nothing."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from salescoord.db.migrate import alembic_config
from salescoord.db.models.people import BUILT_IN_ROLE_IDS
from salescoord.db.session import create_engine
from salescoord.db.tables import audit_events, roles, users
from salescoord.permissions.enums import Channel

from tests.db_state import snapshot
from tests.helpers import codes, gid
from tests.test_reporting import END, START, TOTALS, build_world
from tests.test_storable_input import post as post_as_a_browser

# -- what a viewer sees, path by path (R1-R3, R9, R11) ----------------------------------------
PATHS = {
    "top level users": "query { users(first: 100) { totalCount nodes { id role } } }",
    "top level companies, nested buyers": """query { companies(first: 100) { totalCount nodes { id
      buyers(first: 100) { totalCount nodes { id } } territory { id } } } }""",
    "top level territories, nested companies": """query { territories(first: 100) { totalCount nodes {
      id parent { id } companies(first: 100) { totalCount nodes { id } } } } }""",
    "nested from the viewer": """query { viewer { accountManagers(first: 5) { totalCount nodes { id
      associatedBuyers(first: 10) { totalCount nodes { id
        company { id buyers(first: 10) { nodes { id } } } } }
      territories(first: 5) { totalCount nodes { id } } } } } }""",
    "meetings, nested notes and lists": """query { meetings(first: 100) { totalCount nodes { id
      host { id } attendees(first: 20) { totalCount nodes { id } }
      notes(first: 20) { totalCount nodes { id } }
      lists(first: 20) { totalCount nodes { id items(first: 20) { totalCount nodes { id } } } } } } }""",
    "registrations": """query { registrations(first: 100) { totalCount nodes { id
      requestedAccountManager { id } territory { id } } } }""",
    "lists section": "query { lists(first: 100) { totalCount nodes { id owner { id } } } }",
    "offered buyers (R9)": """query($host: ID!) { offeredBuyers(hostId: $host, first: 100) {
      totalCount nodes { id } } }""",
    "aliased": """query { a: users(first: 100) { totalCount } b: companies(first: 100) { totalCount }
      c: meetings(first: 100) { totalCount } }""",
}
NODE = """query($id: ID!) { node(id: $id) { id } again: node(id: $id) { id } }"""
CREATE_ROLE = """mutation($name: String!, $kind: RoleName!, $permissions: [Permission!]!) {
  createRole(name: $name, kind: $kind, permissions: $permissions) { id name kind builtIn permissions }
}"""
RENAME_ROLE = (
    "mutation($role: ID!, $name: String!) { renameRole(roleId: $role, name: $name) { id name kind } }"
)
DELETE_ROLE = "mutation($role: ID!) { deleteRole(roleId: $role) }"
SET_BY_ID = """mutation($role: ID!, $permissions: [Permission!]!) {
  setRolePermissions(roleId: $role, permissions: $permissions) { id name permissions }
}"""
SET_BY_NAME = """mutation($role: RoleName!, $permissions: [Permission!]!) {
  setRolePermissions(role: $role, permissions: $permissions) { id name permissions }
}"""
CREATE_USER = """mutation($input: CreateUserInput!) {
  createUser(input: $input) { id role assignedRole { id name kind builtIn } }
}"""
UPDATE_USER = """mutation($input: UpdateUserInput!) {
  updateUser(input: $input) { id role assignedRole { id name } }
}"""
ROLES = "query { roles { id name kind builtIn permissions } }"
ROLE_NODE = "query($id: ID!) { node(id: $id) { id ... on Role { name kind builtIn permissions } } }"
UNASSIGN = """mutation($am: ID!, $sc: ID!) {
  unassignCoordinators(accountManagerId: $am, coordinatorIds: [$sc]) { id } }"""
SCS = "query { users(role: SALES_COORDINATOR, first: 100) { nodes { id role } } }"
OUTBOX = "query { outbox(first: 1) { totalCount } }"


@dataclass
class World:
    ids: dict[str, int]
    role: int  # the custom SC-like role


@pytest.fixture
async def world(make) -> World:
    """Region › North › District; AM one covers North, AM two South, AM three Elsewhere. The
    built-in SC and the holder of a custom SC-like role both support AMs one and two."""
    ids: dict[str, int] = {}
    region = ids["Region"] = await make.territory("Region")
    north = ids["North"] = await make.territory("North", region)
    district = ids["District"] = await make.territory("District", north)
    south = ids["South"] = await make.territory("South", region)
    elsewhere = ids["Elsewhere"] = await make.territory("Elsewhere")
    am1 = ids["AM one"] = await make.am("AM one", territories=[north])
    am2 = ids["AM two"] = await make.am("AM two", territories=[south])
    am3 = ids["AM three"] = await make.am("AM three", territories=[elsewhere])
    role = await make.role("SALES_COORDINATOR", ["MANAGE_MEETINGS", "MANAGE_REGISTRATIONS"], "Field SCs")
    ids["SC"] = await make.sc("SC", ams=[am1, am2])
    ids["custom SC"] = await make.user("SALES_COORDINATOR", "Custom SC", role_id=role)
    for am in (am1, am2):
        await make.link_sc(am, ids["custom SC"])
    ids["lonely SC"] = await make.sc("Lonely SC", ams=[am3])
    district_co = ids["District Co"] = await make.company(district, "District Co")
    south_co = ids["South Co"] = await make.company(south, "South Co")
    other_co = ids["Other Co"] = await make.company(elsewhere, "Other Co")
    ids["district buyer"] = await make.buyer(district_co, "district buyer")
    ids["direct buyer"] = await make.buyer(other_co, "direct buyer", direct_am=am1)
    ids["south buyer"] = await make.buyer(south_co, "south buyer")
    ids["other buyer"] = await make.buyer(other_co, "other buyer")
    content = await make.content()
    for host, buyer in ((am1, "district buyer"), (am2, "south buyer"), (am3, "other buyer")):
        meeting = ids[f"meeting of {host}"] = await make.meeting(host)
        await make.attendee(meeting, ids[buyer])
        ids[f"note of {host}"] = await make.note(meeting, author=host)
        buyer_list = ids[f"buyer list of {host}"] = await make.list(host, "BUYER", buyer=ids[buyer])
        ids[f"item of {host}"] = await make.item(buyer_list, content, 0)
        await make.attach_list(meeting, buyer_list)
        ids[f"personal list of {host}"] = await make.list(host)
    ids["global list"] = await make.list(am3, "GLOBAL")
    ids["registration for AM one"] = await make.registration(requested_am=am1)
    ids["registration in South"] = await make.registration(territory=south)
    ids["registration for AM three"] = await make.registration(requested_am=am3)
    return World(ids, role)


def type_of(name: str) -> str:
    for word, type_name in [
        ("registration", "Registration"),
        ("meeting", "Meeting"),
        ("note", "Note"),
        ("item", "ListItem"),
        ("list", "List"),
        (" Co", "Company"),
    ]:
        if word in name:
            return type_name
    if name in ("Region", "North", "District", "South", "Elsewhere"):
        return "Territory"
    return "User"


def as_seen_by(value: Any, viewer: int) -> Any:
    """An answer with the viewer's own id spelled SELF: each SC sees themselves."""
    if isinstance(value, dict):
        return {k: as_seen_by(v, viewer) for k, v in value.items()}
    if isinstance(value, list):
        return [as_seen_by(v, viewer) for v in value]
    return "SELF" if value == gid("User", viewer) else value


async def everything_seen(client, w: World, viewer: int) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for label, query in PATHS.items():
        variables = {"host": gid("User", w.ids["AM one"])} if "$host" in query else None
        seen[label] = as_seen_by(await client.data(query, variables, as_user=viewer), viewer)
    for name, pk in w.ids.items():
        data = await client.data(NODE, {"id": gid(type_of(name), pk)}, as_user=viewer)
        assert data["node"] == data["again"]
        if name in ("SC", "custom SC"):  # the two SCs under comparison
            name = "self" if pk == viewer else "the other SC"
        seen[f"node {name}"] = as_seen_by(data["node"], viewer)
    return seen


async def test_R34_a_custom_sc_like_role_sees_exactly_what_a_built_in_sc_sees(client, world):
    """Same AMs, same sight: top level, nested, node(id:), aliased, counts, offered buyers."""
    w = world
    built_in = await everything_seen(client, w, w.ids["SC"])
    custom = await everything_seen(client, w, w.ids["custom SC"])
    assert custom == built_in
    # the comparison has teeth: the SC sees some of the world and not the rest
    assert built_in["node district buyer"] is not None and built_in["node south buyer"] is not None
    assert (
        built_in["node other buyer"] is None
        and built_in["node meeting of {}".format(w.ids["AM three"])] is None
    )
    assert built_in["node self"] == {"id": "SELF"} and built_in["node the other SC"] is None
    assert built_in["node lonely SC"] is None
    assert built_in["top level users"]["users"]["totalCount"] == 6  # self, 2 AMs, 3 of their buyers
    # and an SC of other AMs sees otherwise
    lonely = w.ids["lonely SC"]
    other = as_seen_by(await client.data(PATHS["top level users"], as_user=lonely), lonely)
    assert other != built_in["top level users"]


async def test_R34_a_custom_role_is_assigned_and_its_holder_sees_by_its_kind(client, world, engine):
    """createUser and updateUser take roleId; User.role names the kind, assignedRole the role;
    unlinking an AM narrows a custom SC at once (R2), as it does a built-in one."""
    w = world
    admin = await _admin(engine)
    data = await client.data(
        CREATE_USER,
        {"input": {"email": "new.sc@example.test", "name": "New SC", "roleId": gid("Role", w.role)}},
        as_user=admin,
    )
    created = data["createUser"]
    assert created["role"] == "SALES_COORDINATOR"
    assert created["assignedRole"] == {
        "id": gid("Role", w.role),
        "name": "Field SCs",
        "kind": "SALES_COORDINATOR",
        "builtIn": False,
    }
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                sa.select(users.c.role, users.c.role_id).where(users.c.email == "new.sc@example.test")
            )
        ).one()
    assert tuple(row) == ("SALES_COORDINATOR", w.role)
    # a built-in role by roleId is stored as the built-in role (no custom reference)
    data = await client.data(
        UPDATE_USER,
        {"input": {"id": created["id"], "roleId": gid("Role", BUILT_IN_ROLE_IDS["ACCOUNT_MANAGER"])}},
        as_user=admin,
    )
    assert data["updateUser"]["role"] == "ACCOUNT_MANAGER"
    assert data["updateUser"]["assignedRole"] == {"id": gid("Role", 2), "name": "ACCOUNT_MANAGER"}
    # the old form still assigns a built-in role
    data = await client.data(
        UPDATE_USER, {"input": {"id": created["id"], "role": "SALES_COORDINATOR"}}, as_user=admin
    )
    assert data["updateUser"]["assignedRole"]["id"] == gid("Role", 3)
    # a custom SC-like holder is an SC for linking (R5): the dropdown filters by kind, and
    # unlinking narrows them on the next request
    custom = w.ids["custom SC"]
    dropdown = await client.data(SCS, as_user=admin)
    assert {gid("User", w.ids["SC"]), gid("User", custom)} <= {n["id"] for n in dropdown["users"]["nodes"]}
    before = await client.data(PATHS["top level users"], as_user=custom)
    await client.data(
        UNASSIGN,
        {"am": gid("User", w.ids["AM two"]), "sc": gid("User", custom)},
        as_user=admin,
    )
    after = await client.data(PATHS["top level users"], as_user=custom)
    assert after["users"]["totalCount"] == before["users"]["totalCount"] - 2  # AM two and the south buyer


async def _admin(engine) -> int:
    from tests.helpers import Factory

    return await Factory(engine).admin()


async def test_R34_R12_a_custom_am_like_role_with_view_reporting_all_users(client, make, engine):
    """An AM-like custom role sees as an AM; VIEW_REPORTING_ALL_USERS on it opens reporting to
    everyone, and taking the flag away narrows it on the next request (R14)."""
    world = await build_world(make)
    admin = world.ids["Admin"]
    role = await make.role("ACCOUNT_MANAGER", ["VIEW_REPORTING_ALL_USERS"], "Regional leads")
    lead = await make.user("ACCOUNT_MANAGER", "Lead", role_id=role)
    await make.link_territory(lead, world.ids["North"])  # as AM one's
    everyone = sum(world.events.values())
    data = await client.data(TOTALS, {"start": START, "end": END}, as_user=lead)
    assert data["reporting"]["totals"]["total"] == everyone
    body = await client.data(SET_BY_ID, {"role": gid("Role", role), "permissions": []}, as_user=admin)
    assert body["setRolePermissions"] == {
        "id": gid("Role", role),
        "name": "Regional leads",
        "permissions": [],
    }
    data = await client.data(TOTALS, {"start": START, "end": END}, as_user=lead)
    am_one = await client.data(TOTALS, {"start": START, "end": END}, as_user=world.ids["AM one"])
    # what AM one reports on, but AM one's own events: the lead reports on themselves instead
    own = world.events.get("AM one", 0)
    assert data["reporting"]["totals"]["total"] == am_one["reporting"]["totals"]["total"] - own
    assert 0 < data["reporting"]["totals"]["total"] < everyone
    # a custom SC-like holder with SC A's AMs reports on SC A's scope, less SC A's own events
    coordinator_role = await make.role("SALES_COORDINATOR", [], "Reporting SCs")
    coordinator = await make.user("SALES_COORDINATOR", "Custom SC", role_id=coordinator_role)
    for am in ("AM one", "AM two"):
        await make.link_sc(world.ids[am], coordinator)
    custom = await client.data(TOTALS, {"start": START, "end": END}, as_user=coordinator)
    sc_a = await client.data(TOTALS, {"start": START, "end": END}, as_user=world.ids["SC A"])
    assert (
        custom["reporting"]["totals"]["total"] == sc_a["reporting"]["totals"]["total"] - world.events["SC A"]
    )


async def test_R34_R14_create_rename_delete_through_the_api_each_audited(client, world, engine):
    w = world
    admin = await _admin(engine)
    data = await client.data(
        CREATE_ROLE,
        {
            "name": "  Key accounts ",
            "kind": "ACCOUNT_MANAGER",
            "permissions": ["MANAGE_USERS", "MANAGE_MEETINGS", "MANAGE_USERS"],
        },
        as_user=admin,
    )
    role = data["createRole"]
    assert role["name"] == "Key accounts" and role["kind"] == "ACCOUNT_MANAGER" and role["builtIn"] is False
    assert role["permissions"] == ["MANAGE_MEETINGS", "MANAGE_USERS"]
    listed = (await client.data(ROLES, as_user=w.ids["district buyer"]))["roles"]
    assert [r["name"] for r in listed][:4] == ["ACCOUNT_MANAGER", "ADMIN", "BUYER", "SALES_COORDINATOR"]
    assert role in listed and all(r["builtIn"] for r in listed[:4])
    node = await client.data(ROLE_NODE, {"id": role["id"]}, as_user=w.ids["SC"])
    assert node["node"]["name"] == "Key accounts"

    # a holder gets the role's flags at once (R14): MANAGE_USERS opens the outbox
    holder = await client.data(
        CREATE_USER,
        {"input": {"email": "ka@example.test", "name": "KA", "roleId": role["id"]}},
        as_user=admin,
    )
    holder_id = int(await _pk(engine, "ka@example.test"))
    assert holder["createUser"]["assignedRole"]["name"] == "Key accounts"
    assert (await client.data(OUTBOX, as_user=holder_id))["outbox"]["totalCount"] >= 0
    await client.data(SET_BY_ID, {"role": role["id"], "permissions": ["MANAGE_MEETINGS"]}, as_user=admin)
    assert codes(await client.post(OUTBOX, as_user=holder_id)) == ["FORBIDDEN"]

    renamed = await client.data(
        RENAME_ROLE, {"role": role["id"], "name": "Strategic accounts"}, as_user=admin
    )
    assert renamed["renameRole"] == {
        "id": role["id"],
        "name": "Strategic accounts",
        "kind": "ACCOUNT_MANAGER",
    }
    user = await client.data(
        "query($id: ID!) { node(id: $id) { ... on User { role assignedRole { name } } } }",
        {"id": holder["createUser"]["id"]},
        as_user=admin,
    )
    assert user["node"] == {"role": "ACCOUNT_MANAGER", "assignedRole": {"name": "Strategic accounts"}}

    # in use: CONFLICT, nothing written
    before = await snapshot(engine)
    body = await client.post(DELETE_ROLE, {"role": role["id"]}, as_user=admin)
    assert codes(body) == ["CONFLICT"] and body["errors"][0]["extensions"]["field"] == "roleId"
    assert await snapshot(engine) == before
    await client.data(
        UPDATE_USER,
        {
            "input": {
                "id": holder["createUser"]["id"],
                "role": "BUYER",
                "companyId": gid("Company", w.ids["Other Co"]),
            }
        },
        as_user=admin,
    )
    assert (await client.data(DELETE_ROLE, {"role": role["id"]}, as_user=admin)) == {"deleteRole": role["id"]}
    assert (await client.data(ROLE_NODE, {"id": role["id"]}, as_user=admin))["node"] is None
    # a new role never takes a deleted role's id: clients keep ids
    again = await client.data(
        CREATE_ROLE, {"name": "Key accounts", "kind": "BUYER", "permissions": []}, as_user=admin
    )
    assert again["createRole"]["id"] != role["id"]

    async with engine.connect() as connection:
        trail = (
            await connection.execute(
                sa.select(audit_events.c.action, audit_events.c.object_id, audit_events.c.actor_id)
                .where(audit_events.c.object_type == "Role")
                .order_by(audit_events.c.id)
            )
        ).all()
    pk = int(base64.b64decode(role["id"]).decode().partition(":")[2])
    assert [(action, object_id, actor) for action, object_id, actor in trail[:4]] == [
        ("role.create", pk, admin),
        ("role.permissions", pk, admin),
        ("role.rename", pk, admin),
        ("role.delete", pk, admin),
    ]
    assert [action for action, _, _ in trail[4:]] == ["role.create"]


async def _pk(engine, email: str) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(sa.select(users.c.id).where(users.c.email == email))).scalar_one()


async def test_R34_built_in_roles_stay_and_admin_keeps_manage_roles(client, world, engine):
    admin = await _admin(engine)
    admin_role = gid("Role", BUILT_IN_ROLE_IDS["ADMIN"])
    everything_but = ["VIEW_REPORTING_ALL_USERS", "MANAGE_USERS"]
    before = await snapshot(engine)
    for query, variables, code, field in [
        (RENAME_ROLE, {"role": gid("Role", 3), "name": "Coordinators"}, "BAD_USER_INPUT", "roleId"),
        (DELETE_ROLE, {"role": gid("Role", 4)}, "BAD_USER_INPUT", "roleId"),
        (DELETE_ROLE, {"role": admin_role}, "BAD_USER_INPUT", "roleId"),
        (SET_BY_ID, {"role": admin_role, "permissions": everything_but}, "BAD_USER_INPUT", "permissions"),
        (SET_BY_NAME, {"role": "ADMIN", "permissions": everything_but}, "BAD_USER_INPUT", "permissions"),
    ]:
        body = await client.post(query, variables, as_user=admin)
        assert codes(body) == [code], (query, body)
        assert body["errors"][0]["extensions"]["field"] == field
    assert await snapshot(engine) == before
    # a built-in role's flags still change, by name (as before) or by id
    data = await client.data(
        SET_BY_NAME, {"role": "BUYER", "permissions": ["MANAGE_MEETINGS"]}, as_user=admin
    )
    assert data["setRolePermissions"] == {
        "id": gid("Role", 4),
        "name": "BUYER",
        "permissions": ["MANAGE_MEETINGS"],
    }


async def test_R34_R10_rights_only_managers_of_roles_on_the_web_and_admin_kind_for_admins(
    client, world, make, engine
):
    w = world
    admin = await _admin(engine)
    role_managers = await make.role("SALES_COORDINATOR", ["MANAGE_ROLES", "MANAGE_USERS"], "Role managers")
    manager = await make.user("SALES_COORDINATOR", "Manager", role_id=role_managers)
    admins_too = await make.role("ADMIN", ["MANAGE_ROLES"], "Deputy admins")
    before = await snapshot(engine)
    refused = [
        # no MANAGE_ROLES: the built-in SC, and the custom SC holder
        (CREATE_ROLE, {"name": "X", "kind": "BUYER", "permissions": []}, w.ids["SC"], Channel.WEB),
        (CREATE_ROLE, {"name": "X", "kind": "BUYER", "permissions": []}, w.ids["custom SC"], Channel.WEB),
        (RENAME_ROLE, {"role": gid("Role", w.role), "name": "X"}, w.ids["district buyer"], Channel.WEB),
        (DELETE_ROLE, {"role": gid("Role", w.role)}, w.ids["AM one"], Channel.WEB),
        # the app channel, even an admin's
        (CREATE_ROLE, {"name": "X", "kind": "BUYER", "permissions": []}, admin, Channel.APP),
        (DELETE_ROLE, {"role": gid("Role", w.role)}, admin, Channel.APP),
        (SET_BY_ID, {"role": gid("Role", w.role), "permissions": []}, admin, Channel.APP),
        # MANAGE_ROLES without an admin's kind: no role of kind ADMIN, no admin's flags
        (CREATE_ROLE, {"name": "X", "kind": "ADMIN", "permissions": []}, manager, Channel.WEB),
        (RENAME_ROLE, {"role": gid("Role", admins_too), "name": "X"}, manager, Channel.WEB),
        (DELETE_ROLE, {"role": gid("Role", admins_too)}, manager, Channel.WEB),
        (SET_BY_ID, {"role": gid("Role", admins_too), "permissions": []}, manager, Channel.WEB),
        (SET_BY_NAME, {"role": "ADMIN", "permissions": ["MANAGE_ROLES"]}, manager, Channel.WEB),
        # MANAGE_USERS without an admin's kind assigns no ADMIN-kind role
        (
            UPDATE_USER,
            {"input": {"id": gid("User", manager), "roleId": gid("Role", admins_too)}},
            manager,
            Channel.WEB,
        ),
        (
            CREATE_USER,
            {"input": {"email": "x@example.test", "name": "X", "roleId": gid("Role", 1)}},
            manager,
            Channel.WEB,
        ),
    ]
    for query, variables, caller, channel in refused:
        body = await client.post(query, variables, as_user=caller, channel=channel)
        assert codes(body) == ["FORBIDDEN"], (query, variables, body)
    assert await snapshot(engine) == before
    # the control: the manager does make an SC-like role, and an ADMIN-kind holder is an admin
    made = await client.data(
        CREATE_ROLE, {"name": "Made", "kind": "SALES_COORDINATOR", "permissions": []}, as_user=manager
    )
    assert made["createRole"]["kind"] == "SALES_COORDINATOR"
    deputy = await make.user("ADMIN", "Deputy", role_id=admins_too)
    seen = await client.data(PATHS["top level users"], as_user=deputy)
    everyone = await client.data(PATHS["top level users"], as_user=admin)
    assert seen["users"]["totalCount"] == everyone["users"]["totalCount"]
    assert codes(await client.post(OUTBOX, as_user=deputy)) == ["FORBIDDEN"]  # no MANAGE_USERS on the role


SURROGATE = "\ud800"


async def test_R23_bad_role_input_is_refused_and_writes_nothing(client, world, engine):
    w = world
    admin = await _admin(engine)
    custom = gid("Role", w.role)
    before = await snapshot(engine)
    cases = [
        (CREATE_ROLE, {"name": "", "kind": "BUYER", "permissions": []}, "BAD_USER_INPUT"),
        (CREATE_ROLE, {"name": "   ", "kind": "BUYER", "permissions": []}, "BAD_USER_INPUT"),
        (CREATE_ROLE, {"name": "x" * 41, "kind": "BUYER", "permissions": []}, "BAD_USER_INPUT"),
        (CREATE_ROLE, {"name": "a\x00b", "kind": "BUYER", "permissions": []}, "BAD_USER_INPUT"),
        (CREATE_ROLE, {"name": f"a{SURROGATE}b", "kind": "BUYER", "permissions": []}, "BAD_USER_INPUT"),
        (CREATE_ROLE, {"name": "Ok", "kind": "ADMN", "permissions": []}, "BAD_USER_INPUT"),
        (CREATE_ROLE, {"name": "Ok", "kind": "BUYER", "permissions": ["NOPE"]}, "BAD_USER_INPUT"),
        (CREATE_ROLE, {"name": "field scs", "kind": "BUYER", "permissions": []}, "CONFLICT"),
        (CREATE_ROLE, {"name": "admin", "kind": "BUYER", "permissions": []}, "CONFLICT"),
        (RENAME_ROLE, {"role": custom, "name": ""}, "BAD_USER_INPUT"),
        (RENAME_ROLE, {"role": custom, "name": f"{SURROGATE}"}, "BAD_USER_INPUT"),
        (RENAME_ROLE, {"role": custom, "name": "Sales_Coordinator"}, "CONFLICT"),
        (RENAME_ROLE, {"role": "not-an-id", "name": "Fine"}, "BAD_USER_INPUT"),
        (RENAME_ROLE, {"role": gid("User", w.ids["SC"]), "name": "Fine"}, "NOT_FOUND"),
        (DELETE_ROLE, {"role": gid("Role", 999_999)}, "NOT_FOUND"),
        (DELETE_ROLE, {"role": gid("Role", 2**63)}, "BAD_USER_INPUT"),
        (SET_BY_ID, {"role": "Um9sZTox\x00", "permissions": []}, "BAD_USER_INPUT"),
        (
            "mutation { setRolePermissions(permissions: []) { id } }",
            {},
            "BAD_USER_INPUT",
        ),
        (
            'mutation { setRolePermissions(role: BUYER, roleId: "x", permissions: []) { id } }',
            {},
            "BAD_USER_INPUT",
        ),
        (CREATE_USER, {"input": {"email": "n@example.test", "name": "N"}}, "BAD_USER_INPUT"),
        (
            CREATE_USER,
            {"input": {"email": "n@example.test", "name": "N", "role": "BUYER", "roleId": custom}},
            "BAD_USER_INPUT",
        ),
        (UPDATE_USER, {"input": {"id": gid("User", w.ids["SC"]), "roleId": None}}, "BAD_USER_INPUT"),
        (UPDATE_USER, {"input": {"id": gid("User", w.ids["SC"]), "roleId": gid("Role", 404)}}, "NOT_FOUND"),
    ]
    wrong = []
    for query, variables, code in cases:
        body = (await post_as_a_browser(client, query, variables, as_user=admin)).json()
        if codes(body) != [code]:
            wrong.append((variables, code, body))
    assert wrong == []
    assert await snapshot(engine) == before


async def test_R34_the_migration_keeps_users_and_goes_back(empty_database):
    """Upgrade gives the built-in roles their ids and kinds; downgrade drops custom roles and
    leaves each of their holders with the built-in role of the same kind."""
    config = alembic_config(empty_database)
    await asyncio.to_thread(command.upgrade, config, "head")
    engine = create_engine(empty_database)
    try:
        async with engine.begin() as connection:
            rows = (
                await connection.execute(sa.select(roles.c.name, roles.c.id, roles.c.kind, roles.c.built_in))
            ).all()
            assert sorted(rows) == sorted((name, pk, name, True) for name, pk in BUILT_IN_ROLE_IDS.items())
            await connection.execute(
                roles.insert().values(
                    id=5,
                    name="Custom",
                    kind="BUYER",
                    built_in=False,
                    permissions=[],
                    updated_at=sa.func.now(),
                )
            )
            await connection.execute(
                sa.text(
                    "INSERT INTO users (email, name, role, role_id, active, created_at, updated_at) "
                    "VALUES ('c@example.test', 'C', 'BUYER', 5, TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
    finally:
        await engine.dispose()
    await asyncio.to_thread(command.downgrade, config, "0012")
    engine = create_engine(empty_database)
    try:
        async with engine.connect() as connection:
            assert (
                await connection.execute(sa.text("SELECT name FROM roles ORDER BY name"))
            ).scalars().all() == sorted(BUILT_IN_ROLE_IDS)
            assert (await connection.execute(sa.text("SELECT role FROM users"))).scalars().all() == ["BUYER"]
    finally:
        await engine.dispose()
    await asyncio.to_thread(command.upgrade, config, "head")


async def test_R34_the_database_itself_refuses_to_delete_a_held_role(engine, make):
    """deleteRole counts the holders first; a holder assigned meanwhile is refused by the
    users' reference to the role, which this proves holds on both databases."""
    role = await make.role("BUYER", [], "Held")
    company = await make.company(await make.territory())
    await make.user("BUYER", "Holder", company=company, role_id=role)
    with pytest.raises(sa.exc.IntegrityError):
        await make.execute(roles.delete().where(roles.c.id == role))
    async with engine.connect() as connection:
        name = (await connection.execute(sa.select(roles.c.name).where(roles.c.id == role))).scalar()
    assert name == "Held"


async def test_R29_R34_a_custom_roles_changes_count_on_the_next_socket_operation(engine, settings, make):
    """The socket re-reads the viewer with the role they hold: taking a flag off a custom role,
    or assigning its holder another role, counts on the next operation."""
    from tests.live_server import serving, socket_to
    from tests.test_sockets import OFFERED, Http, app_for, issue_token

    north = await make.territory()
    await make.buyer(await make.company(north))
    admin = await make.admin()
    hosts = await make.role("ACCOUNT_MANAGER", ["MANAGE_MEETINGS"], "Hosts")
    other = await make.role("ACCOUNT_MANAGER", ["MANAGE_MEETINGS"], "Other hosts")
    am = await make.user("ACCOUNT_MANAGER", "Host", role_id=hosts)
    await make.link_territory(am, north)
    mine = "query { viewer { role assignedRole { name } } }"
    async with serving(app_for(engine, settings)) as address, socket_to(address) as socket:
        http = Http(address, settings)
        await socket.signed_in(issue_token(settings, am))
        offered = await socket.run("1", OFFERED, {"host": gid("User", am)})
        assert offered["payload"]["data"] == {"offeredBuyers": {"totalCount": 1}}
        await http.data(SET_BY_ID, {"role": gid("Role", hosts), "permissions": []}, as_user=admin)
        refused = await socket.run("2", OFFERED, {"host": gid("User", am)})
        assert codes(refused["payload"]) == ["FORBIDDEN"], refused
        await http.data(
            UPDATE_USER, {"input": {"id": gid("User", am), "roleId": gid("Role", other)}}, as_user=admin
        )
        assert (await socket.run("3", mine))["payload"]["data"] == {
            "viewer": {"role": "ACCOUNT_MANAGER", "assignedRole": {"name": "Other hosts"}}
        }
        offered = await socket.run("4", OFFERED, {"host": gid("User", am)})
        assert offered["payload"]["data"] == {"offeredBuyers": {"totalCount": 1}}
