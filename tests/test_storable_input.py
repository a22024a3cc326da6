"""R4, R22, R23, R29: input the database cannot hold is refused where it enters, as
BAD_USER_INPUT naming the field, writes nothing and logs nothing at ERROR: a NUL or a lone
surrogate in any string (anonymous `register` and `login` too), a global id whose key no
`integer` column holds, a DateTime with no UTC instant, a cursor holding any of these. A
subscription sent as a plain POST gets 400 with a JSON error. Each of these was INTERNAL,
with a stack in the log."""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from typing import Any

import pytest

from salescoord.app import attach_engine, create_app
from tests.db_state import snapshot
from tests.helpers import codes, gid
from tests.test_live import Socket

LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password, client: WEB) { token } }"""
REGISTER = "mutation($input: RegisterInput!) { register(input: $input) { status } }"
USERS = "query($search: String, $role: RoleName) { users(search: $search, role: $role) { totalCount } }"
USERS_AFTER = "query($after: String) { users(first: 5, after: $after) { totalCount } }"
USERS_BEFORE = "query($before: String) { users(last: 5, before: $before) { totalCount } }"
CHANGES = "query($since: String) { changes(since: $since) { cursor } }"
NOTE = """mutation($id: ID!, $note: String) {
  updateListItemNote(id: $id, note: $note, version: 1) { id } }"""
NODE = "query($id: ID!) { node(id: $id) { id } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
UPDATE_TERRITORY = "mutation($input: UpdateTerritoryInput!) { updateTerritory(input: $input) { id } }"
ASSIGN = """mutation($am: ID!, $scs: [ID!]!) {
  assignCoordinators(accountManagerId: $am, coordinatorIds: $scs) { id } }"""
REPORTING = """query($start: DateTime!, $end: DateTime!) {
  reporting(start: $start, end: $end) { totals { total } } }"""
MEETINGS = (
    "query($from: DateTime, $to: DateTime) { meetings(from: $from, to: $to) { nodes { id startsAt } } }"
)
AUDIT = (
    "query($since: DateTime, $until: DateTime) { auditEvents(since: $since, until: $until) { totalCount } }"
)
CREATE_MEETING = """mutation($host: ID!, $startsAt: DateTime!) {
  createMeeting(hostId: $host, title: "Review", startsAt: $startsAt) { id startsAt } }"""
UPDATE_MEETING = """mutation($id: ID!, $startsAt: DateTime) {
  updateMeeting(id: $id, startsAt: $startsAt) { id startsAt } }"""
RESCHEDULE_MEETING = """mutation($id: ID!, $startsAt: DateTime!) {
  rescheduleMeeting(meetingId: $id, startsAt: $startsAt) { id startsAt } }"""
CREATE_ROLE = """mutation($name: String!, $kind: RoleName!, $permissions: [Permission!]!) {
  createRole(name: $name, kind: $kind, permissions: $permissions) { id } }"""
DELETE_ROLE = "mutation($role: ID!) { deleteRole(roleId: $role) }"
SUBSCRIBE = "subscription($m: ID!) { meetingChanges(meetingId: $m) { kind } }"
REQUEST_RESET = "mutation($email: String!) { requestPasswordReset(email: $email) { email } }"
RESET = """mutation($token: String!, $password: String!) {
  resetPassword(token: $token, password: $password, client: WEB) { token } }"""

NO_UTC_INSTANT = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]
KEYS_NO_COLUMN_HOLDS = [2**31, 2**31 + 1, 2**62]
UNSTORABLE = {"NUL": "Bad\x00text", "lone surrogate": "Bad\ud800text", "low surrogate": "\udc00"}


def raw_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def cursor(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


async def post(client, query: str, variables: dict[str, Any], as_user: int | None = None):
    """JSON with ASCII escapes, as a browser's JSON.stringify sends a lone surrogate ("\\ud800")."""
    headers = {"Content-Type": "application/json"}
    if as_user is not None:
        headers["Authorization"] = f"Bearer {client.token(as_user)}"
    body = json.dumps({"query": query, "variables": variables})
    return await client.http.post("/graphql", content=body, headers=headers)


@dataclass
class World:
    admin: int
    am: int
    territory: int
    item: int
    meeting: int


@pytest.fixture
async def world(make) -> World:
    territory = await make.territory()
    am = await make.am(territories=[territory])
    item = await make.item(await make.list(am), await make.content(), 0)
    return World(await make.admin(), am, territory, item, await make.meeting(am))


def cases(w: World) -> dict[str, tuple[str, dict[str, Any], int | None, str]]:
    """name -> (operation, variables, viewer (None: anonymous), the field at fault)."""
    applicant = {"name": "Ann", "email": "ann@example.test", "companyName": "Ann's"}
    table: dict[str, tuple[str, dict[str, Any], int | None, str]] = {}
    for label, bad in UNSTORABLE.items():
        table |= {
            f"R4 login email, {label}": (
                LOGIN,
                {"email": f"a{bad}@example.test", "password": "x" * 12},
                None,
                "email",
            ),
            f"R4 login password, {label}": (
                LOGIN,
                {"email": "a@example.test", "password": bad * 4},
                None,
                "password",
            ),
            f"R4 register name, {label}": (REGISTER, {"input": {**applicant, "name": bad}}, None, "name"),
            f"R4 register message, {label}": (
                REGISTER,
                {"input": {**applicant, "message": bad}},
                None,
                "message",
            ),
            f"search, {label}": (USERS, {"search": bad}, w.admin, "search"),
            f"enum value, {label}": (USERS, {"role": bad}, w.admin, "role"),
            f"note, {label}": (NOTE, {"id": gid("ListItem", w.item), "note": bad}, w.am, "note"),
            f"input field name, {label}": (REGISTER, {"input": {**applicant, bad: "x"}}, None, "input"),
            f"cursor text, {label}": (USERS_AFTER, {"after": cursor([bad, 1])}, w.admin, "after"),
            f"backward cursor text, {label}": (USERS_BEFORE, {"before": cursor([bad, 1])}, w.admin, "before"),
        }
    table |= {
        "NUL written in the document": (
            'query { users(search: "Bad\\u0000text") { totalCount } }',
            {},
            w.admin,
            "search",
        ),
        "NUL in a block string": (
            'query { users(search: """Bad\x00text""") { totalCount } }',
            {},
            w.admin,
            "search",
        ),
        "NUL in a braced escape": (
            'query { users(search: "Bad\\u{0}text") { totalCount } }',
            {},
            w.admin,
            "search",
        ),
        "NUL in a variable's default": (
            'query($s: String = "\\u0000") { users(search: $s) { totalCount } }',
            {},
            w.admin,
            "s",
        ),
    }
    for key in KEYS_NO_COLUMN_HOLDS:
        table |= {
            f"id key {key} in node": (NODE, {"id": raw_id("User", key)}, w.admin, "id"),
            f"id key {key} in nodes": (NODES, {"ids": [raw_id("Meeting", key)]}, w.admin, "ids"),
            f"id key {key} in an input": (
                UPDATE_TERRITORY,
                {"input": {"id": raw_id("Territory", key), "name": "X"}},
                w.admin,
                "id",
            ),
            f"id key {key} in a list": (
                ASSIGN,
                {"am": gid("User", w.am), "scs": [raw_id("User", key)]},
                w.admin,
                "coordinatorIds",
            ),
            f"R4 id key {key} in register": (
                REGISTER,
                {"input": {**applicant, "territoryId": raw_id("Territory", key)}},
                None,
                "territoryId",
            ),
            f"cursor key {key}": (USERS_AFTER, {"after": cursor(["A", key])}, w.admin, "after"),
            f"backward cursor key {key}": (USERS_BEFORE, {"before": cursor(["A", key])}, w.admin, "before"),
            f"feed cursor row {key}": (CHANGES, {"since": cursor([1, key, 4102444800])}, w.admin, "since"),
        }
    table["feed cursor transaction 2^64"] = (
        CHANGES,
        {"since": cursor([2**64, 1, 4102444800])},
        w.admin,
        "since",
    )
    for moment in NO_UTC_INSTANT:
        table |= {
            f"reporting start {moment}": (
                REPORTING,
                {"start": moment, "end": "2026-01-01T00:00:00Z"},
                w.admin,
                "start",
            ),
            f"reporting end {moment}": (
                REPORTING,
                {"start": "2026-01-01T00:00:00Z", "end": moment},
                w.admin,
                "end",
            ),
            f"meetings from {moment}": (MEETINGS, {"from": moment}, w.admin, "from"),
            f"meetings to {moment}": (MEETINGS, {"to": moment}, w.admin, "to"),
            f"audit since {moment}": (AUDIT, {"since": moment}, w.admin, "since"),
            f"audit until {moment}": (AUDIT, {"until": moment}, w.admin, "until"),
            f"createMeeting {moment}": (
                CREATE_MEETING,
                {"host": gid("User", w.am), "startsAt": moment},
                w.admin,
                "startsAt",
            ),
            f"updateMeeting {moment}": (
                UPDATE_MEETING,
                {"id": gid("Meeting", w.meeting), "startsAt": moment},
                w.admin,
                "startsAt",
            ),
            f"rescheduleMeeting {moment}": (
                RESCHEDULE_MEETING,
                {"id": gid("Meeting", w.meeting), "startsAt": moment},
                w.admin,
                "startsAt",
            ),
            f"written in the document {moment}": (
                f'query {{ meetings(from: "{moment}") {{ totalCount }} }}',
                {},
                w.admin,
                "from",
            ),
        }
    for label, bad in UNSTORABLE.items():  # R32: the anonymous password mutations
        table |= {
            f"R32 requestPasswordReset email, {label}": (
                REQUEST_RESET,
                {"email": f"a{bad}@x.test"},
                None,
                "email",
            ),
            f"R32 resetPassword password, {label}": (
                RESET,
                {"token": "x", "password": bad * 4},
                None,
                "password",
            ),
            f"R32 resetPassword token, {label}": (RESET, {"token": bad, "password": "x" * 12}, None, "token"),
        }
    for label, bad in UNSTORABLE.items():
        table[f"R34 role name, {label}"] = (
            CREATE_ROLE,
            {"name": bad, "kind": "BUYER", "permissions": []},
            w.admin,
            "name",
        )
    for key in KEYS_NO_COLUMN_HOLDS:
        table[f"R34 role id key {key}"] = (DELETE_ROLE, {"role": raw_id("Role", key)}, w.admin, "roleId")
    return table


async def test_R22_R23_input_no_column_can_hold_is_bad_user_input_naming_the_field(
    client, world, engine, caplog
):
    caplog.set_level(logging.WARNING)
    wrong = {}
    before = await snapshot(engine)
    for name, (query, variables, viewer, field) in cases(world).items():
        caplog.clear()
        response = await post(client, query, variables, as_user=viewer)
        body = response.json()
        errors = body.get("errors") or [{}]
        got = (response.status_code, codes(body), errors[0].get("extensions", {}).get("field"))
        if got != (200, ["BAD_USER_INPUT"], field):
            wrong[name] = (got, errors[0].get("message"))
        logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        if logged:
            wrong[name] = ("logged", logged)
    assert not wrong, "\n".join(f"{name}: {why}" for name, why in wrong.items())
    assert await snapshot(engine) == before


async def test_R22_a_subscription_sent_as_a_plain_post_is_a_400_with_a_json_error(client, world, caplog):
    caplog.set_level(logging.WARNING)
    response = await post(client, SUBSCRIBE, {"m": gid("Meeting", world.meeting)}, as_user=world.am)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert codes(response.json()) == ["BAD_USER_INPUT"]
    assert "WebSocket" in response.json()["errors"][0]["message"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("name", ["\ud800", "Query\udfff"])
async def test_R22_an_operation_name_with_a_lone_surrogate_is_a_400(client, world, caplog, name):
    """Strawberry quoted an unknown operation's name in its answer, which then could not be
    encoded: the request failed with no answer at all."""
    caplog.set_level(logging.WARNING)
    body = json.dumps({"query": "query A { viewer { id } }", "operationName": name})
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {client.token(world.am)}"}
    try:
        response = await client.http.post("/graphql", content=body, headers=headers)
    except UnicodeEncodeError:
        pytest.fail("the answer could not be encoded", pytrace=False)
    assert response.status_code == 400
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_R23_a_time_without_an_offset_is_utc_and_the_calendars_ends_in_utc_are_accepted(client, world):
    """The DateTime scalar reads a time without an offset as UTC (the columns refused a naive
    time: INTERNAL), and keeps every time that has a UTC instant, however far."""
    created = await client.data(
        CREATE_MEETING, {"host": gid("User", world.am), "startsAt": "2027-03-01T09:30:00"}, as_user=world.am
    )
    assert created["createMeeting"]["startsAt"] == "2027-03-01T09:30:00+00:00"
    for moment, stored in [
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00+00:00"),
        ("9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59+00:00"),
        ("0001-01-01T00:30:00+00:30", "0001-01-01T00:00:00+00:00"),
    ]:
        data = await client.data(
            UPDATE_MEETING, {"id": gid("Meeting", world.meeting), "startsAt": moment}, as_user=world.am
        )
        assert data["updateMeeting"]["startsAt"] == stored
    found = await client.data(
        MEETINGS, {"from": "0001-01-01T00:00:00Z", "to": "9999-12-31T23:59:59Z"}, as_user=world.am
    )
    assert {n["startsAt"] for n in found["meetings"]["nodes"]} == {
        "0001-01-01T00:00:00+00:00",
        "2027-03-01T09:30:00+00:00",
    }
    await client.data(
        AUDIT, {"since": "0001-01-01T00:00:00", "until": "9999-12-31T23:59:59Z"}, as_user=world.admin
    )


@pytest.fixture
async def app(engine, settings):
    application = create_app(settings)
    attach_engine(application, engine)
    return application


async def test_R29_unstorable_text_over_the_websocket_is_the_same_bad_user_input(app, client, world):
    socket = Socket(app)
    await socket.open()
    await socket.send(
        {"type": "connection_init", "payload": {"authorization": f"Bearer {client.token(world.admin)}"}}
    )
    assert (await socket.receive())["type"] == "connection_ack"
    await socket.send(
        {"id": "1", "type": "subscribe", "payload": {"query": USERS, "variables": {"search": "Bad\ud800"}}}
    )
    answer = await socket.receive()
    assert answer["type"] == "error", answer  # graphql-transport-ws: refused before it runs
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in answer["payload"]] == [
        ("BAD_USER_INPUT", "search")
    ]
    await socket.close()
