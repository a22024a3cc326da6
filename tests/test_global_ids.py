"""Global ids (R11, R13, R22, R23): through `node(id:)` and through the fields taking an id,
a valid id of the wrong type, a tampered id and an id out of scope all answer exactly like a
missing object; and Strawberry's published advisories that apply here, each pinned."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest
import strawberry
from graphql import GraphQLObjectType
from salescoord.permissions.enums import Permission
from salescoord.permissions.guards import HasPermission, IsAuthenticated, ScopedBy
from salescoord.resolvers import node_types
from salescoord.schema.enums import ScopeBasis
from salescoord.schema.guards import guard
from salescoord.schema.root import schema
from strawberry.permission import BasePermission

from tests.helpers import codes, gid

NODE = "query($id: ID!) { node(id: $id) { id } }"
RENAME = 'mutation($id: ID!) { renameList(id: $id, name: "x") { id } }'


def raw(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def world(make) -> dict[str, Any]:
    territory = await make.territory()
    am, other_am = await make.am(territories=[territory]), await make.am()
    company = await make.company(territory)
    mine, theirs = await make.list(am), await make.list(other_am)
    return {"am": am, "other_am": other_am, "company": company, "mine": mine, "theirs": theirs}


async def test_R22_node_wrong_type_tampered_out_of_scope_and_missing_all_read_null(client, make):
    w = await world(make)
    ids = {
        "visible": gid("List", w["mine"]),
        "wrong-type-of-a-visible-pk": gid("Company", w["mine"])
        if w["mine"] != w["company"]
        else gid("Content", w["mine"]),
        "tampered-type": raw(f"Lsit:{w['mine']}"),
        "tampered-pk": gid("List", w["mine"] + 1000),
        "out-of-scope": gid("List", w["theirs"]),
        "missing": gid("List", 10**9),
    }
    answers = {name: await client.post(NODE, {"id": value}, as_user=w["am"]) for name, value in ids.items()}
    assert answers.pop("visible")["data"]["node"] == {"id": ids["visible"]}
    for name, body in answers.items():
        assert body == answers["missing"] | {"extensions": body.get("extensions")}, name
        assert body["data"] == {"node": None}, name


async def test_R22_a_field_taking_an_id_answers_wrong_type_out_of_scope_and_missing_alike(client, make):
    w = await world(make)
    errors = {}
    for name, value in {
        "wrong-type": gid("User", w["am"]),
        "out-of-scope": gid("List", w["theirs"]),
        "missing": gid("List", 10**9),
    }.items():
        body = await client.post(RENAME, {"id": value}, as_user=w["am"])
        errors[name] = body["errors"][0]["message"], body["errors"][0]["extensions"]
    assert errors["wrong-type"] == errors["out-of-scope"] == errors["missing"]
    assert errors["missing"][1]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("value", ["not base64!", raw("List"), raw("List:-3"), raw("List:x")])
async def test_R23_a_malformed_id_is_bad_user_input(client, make, value):
    am = await make.am()
    assert codes(await client.post(NODE, {"id": value}, as_user=am)) == ["BAD_USER_INPUT"]


class AwaitableFromSync(BasePermission):
    """A sync `has_permission` that returns an awaitable (truthy) by mistake: Strawberry
    before 0.326.1 let it through (PR #4605); it must deny."""

    message = "denied"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> Any:
        return asyncio.sleep(0, result=False)


def tiny_schema(permission: BasePermission) -> strawberry.Schema:
    @strawberry.type
    class Query:
        @strawberry.field(extensions=[guard(permission)])
        def secret(self) -> str:
            return "secret"

    return strawberry.Schema(query=Query)


class Anonymous:
    viewer = None


class Buyer:
    class viewer:
        @staticmethod
        def can(permission: Permission) -> bool:
            return False


@pytest.mark.parametrize(
    ("permission", "context"),
    [
        pytest.param(AwaitableFromSync(), Anonymous(), id="sync-returning-awaitable"),
        pytest.param(IsAuthenticated(), Anonymous(), id="authenticated-anonymous"),
        pytest.param(ScopedBy(ScopeBasis.ACCOUNT_MANAGER), Anonymous(), id="scoped-anonymous"),
        pytest.param(HasPermission(Permission.MANAGE_USERS), Anonymous(), id="permission-anonymous"),
        pytest.param(HasPermission(Permission.MANAGE_USERS), Buyer(), id="permission-without-flag"),
    ],
)
async def test_every_guard_denies_when_it_should_sync_or_async(permission, context):
    result = await tiny_schema(permission).execute("{ secret }", context_value=context)
    assert result.data is None
    assert result.errors, result


def test_strawberry_is_pinned_at_or_above_the_release_fixing_the_published_advisories():
    from importlib.metadata import version

    major, minor, patch = (int(part) for part in version("strawberry-graphql").split(".")[:3])
    assert (major, minor, patch) >= (0, 327, 2)


def test_R22_every_node_type_of_the_schema_reads_through_the_node_registry():
    """`node(id:)`, id arguments and to-one fields find a Node type's loader and builder in
    `resolvers.node_types`: a Node type missing there would read as missing everywhere."""
    implementing = {
        name
        for name, found in schema._schema.type_map.items()
        if isinstance(found, GraphQLObjectType) and any(i.name == "Node" for i in found.interfaces)
    }
    assert len(implementing) == 11  # with Device (R30) and Role (R34)
    assert {name for name in implementing if node_types.named(name) is None} == set()
    assert all(node_types.named(name).type.__name__ == name for name in implementing)
