"""R22 error hygiene: field suggestions and introspection can be switched off for production
(both on in the embedded default, for GraphiQL); coded errors keep their codes."""

from __future__ import annotations

import pytest

from tests.apps import client_with
from tests.helpers import codes, gid

MISSPELT = [
    pytest.param("query { viewer { emial } }", id="field"),
    pytest.param("query { users(frist: 1) { totalCount } }", id="argument"),
    pytest.param("query { users(role: ADMN) { totalCount } }", id="enum-value"),
    pytest.param("query { viewer { ... on Usr { id } } }", id="type"),
]
INTROSPECTION = "query { __schema { types { name } } }"


@pytest.mark.parametrize("query", MISSPELT)
async def test_R22_with_suggestions_off_a_misspelt_name_gets_no_hint(engine, settings, make, query):
    admin = await make.admin()
    async with client_with(engine, settings, field_suggestions=False) as client:
        body = await client.post(query, as_user=admin)
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert "Did you mean" not in body["errors"][0]["message"]


async def test_R22_suggestions_are_on_by_default_for_graphiql(client, make):
    body = await client.post("query { viewer { emial } }", as_user=await make.admin())
    assert "Did you mean 'email'?" in body["errors"][0]["message"]


async def test_R22_introspection_off_is_refused_on_by_default(engine, settings, make, client, statements):
    admin = await make.admin()
    assert (await client.data(INTROSPECTION, as_user=admin))["__schema"]["types"]
    async with client_with(engine, settings, introspection=False) as closed:
        statements["count"] = 0
        body = await closed.post(INTROSPECTION, as_user=admin)
        assert statements["count"] == 0
        typename = await closed.post("query { viewer { __typename } }", as_user=admin)
    assert set(codes(body)) == {"BAD_USER_INPUT"}, body
    assert "introspection" in body["errors"][0]["message"].lower()
    assert typename["data"]["viewer"]["__typename"] == "User"


SIBLINGS_STILL_READING = """query($ids: [ID!]!) { nodes(ids: $ids) { id ... on User {
  accountManagers(first: 2) { totalCount nodes { id } }
  lists(first: 0) { nodes { id owner { id } } }
  coordinators(first: 3) { totalCount }
} } }"""


async def test_R22_a_field_error_while_siblings_still_read_answers_cleanly(client, make):
    """Found by the fuzzed matrix: the error ended the response while sibling resolvers
    still read from the request's connection, which was closed under them (a 500 on
    PostgreSQL). Now the connection closes after the running statement."""
    admin = await make.admin()
    ams = [await make.am() for _ in range(6)]
    for am in ams:
        await make.list(am)
    ids = [gid("User", user) for user in (admin, *ams)]
    for _ in range(5):
        body = await client.post(SIBLINGS_STILL_READING, {"ids": ids}, as_user=admin)
        assert "BAD_USER_INPUT" in codes(body), body
        assert "INTERNAL" not in codes(body), body
