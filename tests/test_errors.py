"""R22, R23: every error carries `extensions.code`; bad input is BAD_USER_INPUT naming the field
at fault (or NOT_FOUND for an id of the wrong type or of nothing) and writes nothing; an
unexpected failure is INTERNAL with a request id and tells the client nothing else."""

from __future__ import annotations

import base64
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import pytest
from salescoord.db.queries.pages import encode_cursor
from salescoord.resolvers import people as people_resolvers

from tests.db_state import counts, snapshot
from tests.helpers import codes, gid

CREATE_USER = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }"
UPDATE_USER = "mutation($input: UpdateUserInput!) { updateUser(input: $input) { id } }"
CREATE_TERRITORY = "mutation($name: String!) { createTerritory(name: $name) { id } }"
UPDATE_TERRITORY = "mutation($input: UpdateTerritoryInput!) { updateTerritory(input: $input) { id } }"
CREATE_COMPANY = """mutation($name: String!, $territoryId: ID!) {
  createCompany(name: $name, territoryId: $territoryId) { id }
}"""
ASSIGN = """mutation($accountManagerId: ID!, $coordinatorIds: [ID!]!) {
  assignCoordinators(accountManagerId: $accountManagerId, coordinatorIds: $coordinatorIds) { id }
}"""
SET_ROLE_PERMISSIONS = """mutation($role: RoleName!, $permissions: [Permission!]!) {
  setRolePermissions(role: $role, permissions: $permissions) { name }
}"""
LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password, client: WEB) { token }
}"""
USERS = """query($first: Int!, $after: String, $role: RoleName, $search: String) {
  users(first: $first, after: $after, role: $role, search: $search) { totalCount nodes { id } }
}"""
TERRITORIES = "query($first: Int!) { territories(first: $first) { nodes { id } } }"
COMPANIES = "query($search: String) { companies(search: $search) { nodes { id } } }"
COORDINATORS = "query($first: Int!) { viewer { coordinators(first: $first) { nodes { id } } } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
USERS_INLINE_ROLE = "query { users(role: OVERLORD) { totalCount } }"
SET_ROLE_INLINE = "mutation { setRolePermissions(role: ADMIN, permissions: [FLY]) { name } }"
USERS_INLINE_FIRST = "query { users(first: 2147483648) { totalCount } }"


def b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@dataclass
class World:
    admin: int
    territory: int
    company: int
    am: int
    sc: int


@pytest.fixture
async def world(make) -> World:
    territory = await make.territory("North")
    company = await make.company(territory, "Northwind")
    am = await make.am("Alma", territories=[territory])
    sc = await make.sc("Sid", ams=[am])
    await make.buyer(company, "Nora")
    return World(await make.admin("Ada"), territory, company, am, sc)


@dataclass
class Case:
    operation: str
    variables: dict[str, Any]
    code: str
    field: str | None  # None: no field is at fault (e.g. a syntax error)
    anonymous: bool = False


def user_input(**changes: Any) -> dict[str, Any]:
    return {"input": {"email": "new@example.test", "name": "New", "role": "ACCOUNT_MANAGER", **changes}}


def cases(w: World) -> dict[str, Case]:
    am, sc = gid("User", w.am), gid("User", w.sc)
    territory, company = gid("Territory", w.territory), gid("Company", w.company)
    bad = "BAD_USER_INPUT"
    malformed_ids = {
        "not base64": "not an id!",
        "empty": "",
        "no colon": b64("User"),
        "no number": b64("User:abc"),
        "zero": b64("User:0"),
        "negative": b64("User:-5"),
        "huge": b64("User:99999999999999999999"),
        "not utf-8": b64(b"\xff\xfe:1"),
        "no type": b64(":7"),
    }
    table = {
        # malformed ids (R23)
        **{
            f"malformed id ({name}) in an input": Case(
                UPDATE_USER, {"input": {"id": value, "name": "X"}}, bad, "id"
            )
            for name, value in malformed_ids.items()
        },
        "malformed id in node()": Case(NODE, {"id": "%%%"}, bad, "id"),
        "malformed id in a list": Case(
            ASSIGN, {"accountManagerId": am, "coordinatorIds": ["nope"]}, bad, "coordinatorIds"
        ),
        "malformed id as an argument": Case(
            CREATE_COMPANY, {"name": "Acme", "territoryId": b64("Territory:x")}, bad, "territoryId"
        ),
        # ids of the wrong type, or of nothing, read as missing
        "company id for a user": Case(
            UPDATE_USER, {"input": {"id": company, "name": "X"}}, "NOT_FOUND", "id"
        ),
        "user id for a territory": Case(
            CREATE_COMPANY, {"name": "Acme", "territoryId": am}, "NOT_FOUND", "territoryId"
        ),
        "territory id for a coordinator": Case(
            ASSIGN, {"accountManagerId": am, "coordinatorIds": [territory]}, "NOT_FOUND", "coordinatorIds"
        ),
        "territory id for a company": Case(
            CREATE_USER, user_input(role="BUYER", companyId=territory), "NOT_FOUND", "companyId"
        ),
        "id of nothing": Case(
            UPDATE_TERRITORY, {"input": {"id": gid("Territory", 999_999), "name": "X"}}, "NOT_FOUND", "id"
        ),
        # text
        "empty name": Case(CREATE_TERRITORY, {"name": ""}, bad, "name"),
        "blank name": Case(CREATE_TERRITORY, {"name": "  \t "}, bad, "name"),
        "oversized name": Case(CREATE_TERRITORY, {"name": "x" * 201}, bad, "name"),
        "control characters": Case(CREATE_TERRITORY, {"name": "North\x00South"}, bad, "name"),
        "empty user name": Case(UPDATE_USER, {"input": {"id": sc, "name": ""}}, bad, "name"),
        "oversized company name": Case(
            CREATE_COMPANY, {"name": "y" * 201, "territoryId": territory}, bad, "name"
        ),
        "oversized user search": Case(USERS, {"first": 10, "search": "s" * 201}, bad, "search"),
        "oversized company search": Case(COMPANIES, {"search": "s" * 201}, bad, "search"),
        "short password": Case(CREATE_USER, user_input(password="short"), bad, "password"),
        "oversized password": Case(CREATE_USER, user_input(password="p" * 201), bad, "password"),
        "nothing to change": Case(UPDATE_USER, {"input": {"id": sc}}, bad, "input"),
        "no coordinators": Case(
            ASSIGN, {"accountManagerId": am, "coordinatorIds": []}, bad, "coordinatorIds"
        ),
        "too many coordinators": Case(
            ASSIGN, {"accountManagerId": am, "coordinatorIds": [sc] * 101}, bad, "coordinatorIds"
        ),
        "too many nodes": Case(NODES, {"ids": [sc] * 101}, bad, "ids"),
        # emails
        **{
            f"bad email {email!r}": Case(CREATE_USER, user_input(email=email), bad, "email")
            for email in [
                "not-an-email",
                "a@b",
                "a b@example.test",
                "@example.test",
                "a@-example.test",
                "a@example..test",
                "a@@example.test",
                "x" * 250 + "@example.test",
                "",
            ]
        },
        "bad email in updateUser": Case(UPDATE_USER, {"input": {"id": sc, "email": "nope"}}, bad, "email"),
        "bad email at login": Case(
            LOGIN, {"email": "nope", "password": "whatever-it-is"}, bad, "email", True
        ),
        # unknown enum values, in a variable and inline
        "unknown role in a variable": Case(USERS, {"first": 10, "role": "OVERLORD"}, bad, "role"),
        "lower-case role in a variable": Case(USERS, {"first": 10, "role": "admin"}, bad, "role"),
        "unknown role in an input variable": Case(CREATE_USER, user_input(role="OVERLORD"), bad, "input"),
        "unknown permission in a variable": Case(
            SET_ROLE_PERMISSIONS, {"role": "ADMIN", "permissions": ["FLY"]}, bad, "permissions"
        ),
        "unknown role inline": Case(USERS_INLINE_ROLE, {}, bad, "role"),
        "unknown permission inline": Case(SET_ROLE_INLINE, {}, bad, "permissions"),
        # page sizes outside 1..100
        **{f"first: {first}": Case(USERS, {"first": first}, bad, "first") for first in (0, 101, -1)},
        "first: 101 on territories": Case(TERRITORIES, {"first": 101}, bad, "first"),
        "first: 0 on a nested connection": Case(COORDINATORS, {"first": 0}, bad, "first"),
        "first beyond 32 bits inline": Case(USERS_INLINE_FIRST, {}, bad, "first"),
        "first of the wrong type": Case(USERS, {"first": "ten"}, bad, "first"),
        "first missing": Case(USERS, {}, bad, "first"),
        # malformed `after` cursors
        **{
            f"cursor {name}": Case(USERS, {"first": 10, "after": value}, bad, "after")
            for name, value in {
                "not base64": "!!!",
                "not json": b64("not json"),
                "an object": cursor({"name": "A"}),
                "empty": cursor([]),
                "a boolean": cursor([True, 1]),
                "a float": cursor(["A", 1.5]),
                "a nested list": cursor([["A"], 1]),
                "too short": encode_cursor(("A",)),
                "too long": encode_cursor(("A", 1, 2)),
            }.items()
        },
        # the request itself
        "syntax error": Case("query { users(first: 10) { totalCount ", {}, bad, None),
        "unknown field": Case("query { users(first: 10) { nope } }", {}, bad, None),
    }
    return table


async def test_R22_R23_bad_input_is_refused_with_the_field_at_fault_and_writes_nothing(client, world, engine):
    w = world
    wrong = {}
    for name, case in cases(w).items():
        before = await snapshot(engine)
        body = await client.post(case.operation, case.variables, as_user=None if case.anonymous else w.admin)
        errors = body.get("errors") or [{}]
        got = (
            [e.get("extensions", {}).get("code") for e in body.get("errors") or []],
            errors[0].get("extensions", {}).get("field"),
        )
        expected = ([case.code], case.field if case.field is not None else got[1])
        if got != expected:
            wrong[name] = (got, expected, errors[0].get("message"))
        if await snapshot(engine) != before:
            wrong[name] = "wrote to the database"
    assert not wrong, "\n".join(f"{name}: {why}" for name, why in wrong.items())


async def test_R23_a_good_request_of_each_kind_goes_through(client, world, engine):
    """The control for the table above: the same operations with good values succeed and write."""
    w = world
    before = await counts(engine)
    for operation, variables in [
        (CREATE_TERRITORY, {"name": "x" * 200}),
        (CREATE_USER, user_input(email="ok@example.test", password="p" * 10)),
        (USERS, {"first": 100, "role": "ADMIN", "search": "s" * 200}),
        (USERS, {"first": 1, "after": encode_cursor(("A", 1))}),
        (COORDINATORS, {"first": 1}),
        (NODES, {"ids": [gid("User", w.sc)] * 100}),
        (ASSIGN, {"accountManagerId": gid("User", w.am), "coordinatorIds": [gid("User", w.sc)] * 100}),
    ]:
        await client.data(operation, variables, as_user=w.admin)
    after = await counts(engine)
    assert after["territories"] == before["territories"] + 1
    assert after["users"] == before["users"] + 1


# A cursor holds the sort key of a row, (name, id) for users; one whose parts have the wrong
# types passes `decode_cursor` and reaches SQL: SQLite compares it anyway and answers a page,
# PostgreSQL fails (INTERNAL). The fix belongs in db/queries/pages.py (`_after` should check
# each part against its column's python_type) and is reported to the lead.
MISTYPED_CURSORS = {
    "a word for the id": encode_cursor(("A", "one")),
    "a number for the name": encode_cursor((1, 2)),
}


@pytest.mark.parametrize("name", MISTYPED_CURSORS)
async def test_R23_a_cursor_of_the_wrong_types_is_bad_user_input(client, world, name):
    body = await client.post(USERS, {"first": 10, "after": MISTYPED_CURSORS[name]}, as_user=world.admin)
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "after"


# -- R22: unexpected failures -----------------------------------------------------------------
LEAKS = re.compile(r"SELECT|secret|Traceback|RuntimeError|\.py\b|/work|File \"", re.IGNORECASE)


async def test_R22_an_unexpected_exception_is_internal_with_a_request_id_and_nothing_else(
    client, world, monkeypatch, caplog
):
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("SELECT secret FROM x")

    monkeypatch.setattr(people_resolvers.queries, "search_users", boom)
    request_ids = []
    for _ in range(2):
        response = await client.http.post(
            "/graphql",
            json={"query": "query { users(first: 5) { totalCount } }"},
            headers={"Authorization": f"Bearer {client.token(world.admin)}"},
        )
        assert response.status_code == 200
        assert not LEAKS.search(response.text), response.text
        body = response.json()
        assert body["data"] is None
        [error] = body["errors"]
        assert error["message"] == "Internal error."
        assert error["extensions"]["code"] == "INTERNAL"
        assert re.fullmatch(r"[0-9a-f]{32}", error["extensions"]["requestId"])
        request_ids.append(error["extensions"]["requestId"])
    assert request_ids[0] != request_ids[1]
    # the stack is kept for the operators, under the same request id
    logged = [r for r in caplog.records if r.name == "salescoord.errors"]
    [record] = [r for r in logged if request_ids[0] in r.getMessage()]
    assert record.exc_info[1].args == ("SELECT secret FROM x",)
    assert logged[0].levelno == logging.ERROR


async def test_R22_a_failing_field_does_not_cancel_a_lookup_that_another_field_shares(client, make):
    """graphql-core cancels the siblings of a field that fails under a non-null parent; the
    first meeting's `host` is cancelled that way while the second meeting's `host` waits on
    the same lookup. The second must still get its host, and the answer stay a GraphQL one."""
    admin = await make.admin()
    am = await make.am("Host AM")
    meeting = await make.meeting(am)
    other = await make.meeting(am)
    query = """query ($ids: [ID!]!) { nodes(ids: $ids) { ... on Meeting {
        id host { name } notes(first: 3, after: "not a cursor") { totalCount } } } }"""
    body = await client.post(query, {"ids": [gid("Meeting", meeting), gid("Meeting", other)]}, as_user=admin)
    assert set(codes(body)) == {"BAD_USER_INPUT"}
    assert body["data"]["nodes"] == [None, None]  # notes is non-null: each meeting is nulled
    split = """query ($a: ID!, $b: ID!) {
        a: node(id: $a) { ... on Meeting { host { name } notes(first: 3, after: "bad") { totalCount } } }
        b: node(id: $b) { ... on Meeting { host { name } } } }"""
    body = await client.post(split, {"a": gid("Meeting", meeting), "b": gid("Meeting", other)}, as_user=admin)
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["data"] == {"a": None, "b": {"host": {"name": "Host AM"}}}
