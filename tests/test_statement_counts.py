"""Data loaders batch every lookup by key: the SQL statements of a request follow the depth
of the query, never the number of rows it returns. A compiled plan (issue 17) goes further:
one statement per root field, whatever the depth."""

from __future__ import annotations

import pytest

from tests.apps import client_with

DASHBOARD = """query {
  viewer {
    accountManagers(first: 10) { totalCount nodes {
      name
      territories(first: 10) { nodes { name parent { name } } }
      associatedBuyers(first: 100) { totalCount nodes {
        name
        directAccountManager { name }
        company { name territory { name parent { name parent { name } } } }
      } }
    } }
  }
}"""
BUYER_PAGE = """query {
  users(role: BUYER, first: 100) { nodes {
    name company { name territory { name } buyers(first: 5) { nodes { id } } }
  } }
}"""

VISIBILITY_PAGE = """query {
  users(role: BUYER, first: 100) { nodes {
    name
    visibility { reasons { basis accountManager { name } territoryPath { name } } }
    company { visibility { reasons { basis accountManager { name } territoryPath { name } } } }
  } }
}"""


# The same pages read from their end (`last`): a backward page costs what a forward one does.
DASHBOARD_BACKWARD = DASHBOARD.replace("first:", "last:")
BUYER_PAGE_BACKWARD = BUYER_PAGE.replace("first:", "last:")


async def world_of(make, buyers: int) -> int:
    """An SC with two AMs; `buyers` buyers spread over their own companies and territories,
    half by territory and half direct, so every buyer has distinct related rows."""
    region = await make.territory("Region")
    am1 = await make.am("AM one", territories=[region])
    am2 = await make.am("AM two")
    sc = await make.sc("SC", ams=[am1, am2])
    elsewhere = await make.territory("Elsewhere")
    for n in range(buyers):
        if n % 2:
            territory = await make.territory(f"T{n}", region)
            await make.buyer(await make.company(territory), f"Buyer {n}")
        else:
            territory = await make.territory(f"E{n}", elsewhere)
            await make.buyer(await make.company(territory), f"Buyer {n}", direct_am=am2)
    return sc


# Statements per request, pinned: one per level of the query (the viewer, each connection's
# page and count, each lookup by key), and SQLite's explicit BEGIN of the read transaction.
EXPECTED = {
    "sc-dashboard": {"postgresql": 11, "sqlite": 12},
    "buyer-page": {"postgresql": 5, "sqlite": 6},
    "visibility-page": {"postgresql": 8, "sqlite": 9},
}
EXPECTED["sc-dashboard-backward"] = EXPECTED["sc-dashboard"]
EXPECTED["buyer-page-backward"] = EXPECTED["buyer-page"]


@pytest.mark.parametrize(
    "name, query",
    [
        ("sc-dashboard", DASHBOARD),
        ("buyer-page", BUYER_PAGE),
        ("sc-dashboard-backward", DASHBOARD_BACKWARD),
        ("buyer-page-backward", BUYER_PAGE_BACKWARD),
        ("visibility-page", VISIBILITY_PAGE),
    ],
)
async def test_statement_count_is_the_same_for_10_and_200_buyers(
    make, engine, settings, statements, backend, name, query
):
    counts = {}
    async with client_with(engine, settings, planner=False) as client:  # the resolvers' path
        for buyers in (10, 200):
            sc = await world_of(make, buyers)
            token = client.token(sc)
            statements["count"] = 0
            body = await client.post(query, token=token)
            assert not body.get("errors"), body["errors"]
            counts[buyers] = statements["count"]
            await _empty(engine)
    print(f"statements per request: {counts}")
    assert counts[10] == counts[200] == EXPECTED[name][backend[0]], counts


# With the planner: the viewer's row, then one statement per root field (PostgreSQL).
PLANNED = {"sc-dashboard": 2, "buyer-page": 2}
TWO_ROOTS = """query { viewer { name accountManagers(first: 10) { nodes { name } } }
  users(role: BUYER, first: 100) { totalCount nodes { name company { name territory { name } } } } }"""


@pytest.mark.parametrize(
    "name, query",
    [
        ("sc-dashboard", DASHBOARD),
        ("buyer-page-backward", BUYER_PAGE_BACKWARD),
        ("two-roots", TWO_ROOTS),
    ],
)
async def test_a_compiled_plan_sends_one_statement_per_root_field(
    make, engine, settings, statements, backend, name, query
):
    counts, answers = {}, {}
    sizes = (10, 200) if backend[0] == "postgresql" else (10,)  # SQLite: the resolvers answer
    async with (
        client_with(engine, settings, planner=True) as planned,
        client_with(engine, settings, planner=False) as resolvers,
    ):
        for buyers in sizes:
            sc = await world_of(make, buyers)
            statements["count"] = 0
            body = await planned.post(query, token=planned.token(sc))
            assert not body.get("errors"), body["errors"]
            counts[buyers] = statements["count"]
            answers[buyers] = body == await resolvers.post(query, token=resolvers.token(sc))
            await _empty(engine)
    print(f"statements per request with the planner: {counts}")
    assert all(answers.values()), answers
    if backend[0] == "sqlite":  # the planner is PostgreSQL's: the resolvers answer
        expected = EXPECTED.get(name, {}).get("sqlite", counts[10])
    else:
        expected = PLANNED.get(name.removesuffix("-backward"), 3)  # two roots: viewer + 2
    assert set(counts.values()) == {expected}, counts


async def test_nested_pages_return_the_right_rows_per_parent(client, make):
    sc = await world_of(make, 10)
    data = await client.data(DASHBOARD, as_user=sc)
    per_am = {am["name"]: am["associatedBuyers"] for am in data["viewer"]["accountManagers"]["nodes"]}
    assert per_am["AM one"]["totalCount"] == len(per_am["AM one"]["nodes"]) == 5
    assert per_am["AM two"]["totalCount"] == len(per_am["AM two"]["nodes"]) == 5
    assert {n["directAccountManager"]["name"] for n in per_am["AM two"]["nodes"]} == {"AM two"}


async def test_nested_page_cursors_continue_per_parent(client, make):
    sc = await world_of(make, 10)
    first = await client.data(
        "query { viewer { accountManagers(first: 1) { nodes { associatedBuyers(first: 2) {"
        " pageInfo { hasNextPage endCursor } nodes { id } } } } } }",
        as_user=sc,
    )
    page = first["viewer"]["accountManagers"]["nodes"][0]["associatedBuyers"]
    assert page["pageInfo"]["hasNextPage"]
    seen = [n["id"] for n in page["nodes"]]
    after = page["pageInfo"]["endCursor"]
    while after:
        data = await client.data(
            "query($after: String) { viewer { accountManagers(first: 1) { nodes { associatedBuyers("
            "first: 2, after: $after) { pageInfo { hasNextPage endCursor } nodes { id } } } } } }",
            {"after": after},
            as_user=sc,
        )
        page = data["viewer"]["accountManagers"]["nodes"][0]["associatedBuyers"]
        seen += [n["id"] for n in page["nodes"]]
        after = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
    assert len(seen) == len(set(seen)) == 5


async def test_nested_page_cursors_continue_per_parent_backwards(client, make):
    """`last`/`before` on a nested connection: each page of one parent's rows, from the end,
    batched with its siblings' pages, meets the forward pages' rows in the same order."""
    sc = await world_of(make, 10)
    page_query = (
        "query($before: String) { viewer { accountManagers(first: 2) { nodes { name associatedBuyers("
        "last: 2, before: $before) { pageInfo { hasPreviousPage startCursor } nodes { id } } } } } }"
    )
    whole = await client.data(
        "query { viewer { accountManagers(first: 2) { nodes { name associatedBuyers(first: 100) {"
        " nodes { id } } } } } }",
        as_user=sc,
    )
    expected = {am["name"]: [n["id"] for n in am["associatedBuyers"]["nodes"]] for am in
                whole["viewer"]["accountManagers"]["nodes"]}  # fmt: skip
    for name in expected:
        seen: list[str] = []
        before = None
        while True:
            data = await client.data(page_query, {"before": before}, as_user=sc)
            (page,) = [am["associatedBuyers"] for am in data["viewer"]["accountManagers"]["nodes"]
                       if am["name"] == name]  # fmt: skip
            seen = [n["id"] for n in page["nodes"]] + seen
            if not page["pageInfo"]["hasPreviousPage"]:
                break
            before = page["pageInfo"]["startCursor"]
        assert seen == expected[name] and len(seen) == 5


async def _empty(engine) -> None:
    import sqlalchemy as sa

    from tests.conftest import TABLES_IN_DELETE_ORDER

    async with engine.begin() as connection:
        for table in TABLES_IN_DELETE_ORDER:
            await connection.execute(sa.text(f"DELETE FROM {table}"))
