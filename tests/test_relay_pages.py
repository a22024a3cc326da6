"""Relay connections both ways: every connection of schema.graphql takes `first`/`after` and
`last`/`before`, and walking it forwards page by page, backwards page by page, and reading it
in one page give the same rows in the same order (keyset pagination, `db.queries.pages`).
Page sizes and cursors are checked as input (R22, R23); every walk goes through the scope (R12).

The connections are read from the schema, so a new one is walked without a change here; a
connection on a type this file cannot reach yet fails `test_every_connection_is_walked`.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import graphql
import pytest
from salescoord.db.models.base import utcnow
from salescoord.db.tables import activities, audit_events, emails

from tests.helpers import codes, gid
from tests.test_fuzz_scope import realistic_world

SCHEMA = graphql.build_schema((Path(__file__).resolve().parent.parent / "schema.graphql").read_text())
PAGE_ARGUMENTS = {"first", "after", "last", "before"}
NOW = utcnow()
PERIOD = f'start: "{(NOW - timedelta(days=60)).isoformat()}", end: "{(NOW + timedelta(days=1)).isoformat()}"'
# How a query reaches each type that has connections: the top level, the report, or node(id:)
# with a parent found through a top-level list of that type.
PARENT_LISTS = {"User": "users", "Company": "companies", "Territory": "territories", "List": "lists"}
PARENT_LISTS["Meeting"] = "meetings"
SIZE = 2  # rows per page: most walks cross several pages of the small data set


def connections() -> list[tuple[str, str]]:
    """(type, field) of every connection in the schema."""
    found = []
    for name, kind in sorted(SCHEMA.type_map.items()):
        if name.startswith("__") or not isinstance(kind, graphql.GraphQLObjectType):
            continue
        for field_name, field in kind.fields.items():
            if graphql.get_named_type(field.type).name.endswith("Connection"):
                found.append((name, field_name))
    return found


def test_R23_every_connection_takes_first_after_last_and_before():
    for type_name, field_name in connections():
        arguments = SCHEMA.type_map[type_name].fields[field_name].args
        assert set(arguments) >= PAGE_ARGUMENTS, (type_name, field_name)
        assert not isinstance(arguments["first"].type, graphql.GraphQLNonNull), (type_name, field_name)
    assert len(connections()) >= 29


def test_every_connection_is_walked():
    reachable = {"Query", "Reporting", *PARENT_LISTS}
    assert {type_name for type_name, _ in connections()} <= reachable


class Reader:
    """Reads one connection as one viewer, with any page arguments."""

    def __init__(self, client, viewer: int, type_name: str, field: str, extra: str, parent: str | None):
        self.client, self.viewer = client, viewer
        self.type_name, self.field, self.extra, self.parent = type_name, field, extra, parent

    async def read(self, page: str) -> dict | None:
        """The connection's answer; None when the viewer may not read it at all."""
        arguments = ", ".join(part for part in (self.extra, page) if part)
        selection = (
            f"{self.field}({arguments}) {{ totalCount edges {{ cursor }} "
            "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }"
        )
        if self.type_name == "Query":
            query, path = f"query {{ {selection} }}", []
        elif self.type_name == "Reporting":
            query, path = f"query {{ reporting({PERIOD}) {{ {selection} }} }}", ["reporting"]
        else:
            query = f'query {{ node(id: "{self.parent}") {{ ... on {self.type_name} {{ {selection} }} }} }}'
            path = ["node"]
        body = await self.client.post(query, as_user=self.viewer)
        if codes(body) == ["FORBIDDEN"]:
            return None
        assert not body.get("errors"), body["errors"]
        data = body["data"]
        for key in path:
            data = data[key]
        return data[self.field]


async def walk(reader: Reader, forward: bool, size: int) -> list[str]:
    """Every row's cursor, page by page from one end, in the list's order."""
    seen: list[str] = []
    cursor: str | None = None
    while True:
        if forward:
            page = await reader.read(f"first: {size}" + (f', after: "{cursor}"' if cursor else ""))
        else:
            page = await reader.read(f"last: {size}" + (f', before: "{cursor}"' if cursor else ""))
        cursors = [edge["cursor"] for edge in page["edges"]]
        info = page["pageInfo"]
        assert info["startCursor"] == (cursors[0] if cursors else None)
        assert info["endCursor"] == (cursors[-1] if cursors else None)
        more = info["hasNextPage"] if forward else info["hasPreviousPage"]
        # the other way, a page read from a cursor has that cursor's row beyond it
        assert (info["hasPreviousPage"] if forward else info["hasNextPage"]) is (cursor is not None)
        assert len(cursors) == size if more else len(cursors) <= size
        seen = seen + cursors if forward else cursors + seen
        if not more:
            return seen
        cursor = info["endCursor"] if forward else info["startCursor"]


async def parents(client, viewer: int) -> dict[tuple[str, str], str]:
    """For each nested connection, the parent (as the viewer sees it) with the most rows."""
    chosen: dict[tuple[str, str], tuple[int, str]] = {}
    for type_name, listing in PARENT_LISTS.items():
        fields = [f for t, f in connections() if t == type_name]
        counts = " ".join(f"{f}: {f}(first: 1) {{ totalCount }}" for f in fields)
        data = await client.data(
            f"query {{ {listing}(first: 100) {{ nodes {{ id {counts} }} }} }}", as_user=viewer
        )
        for node in data[listing]["nodes"]:
            for field in fields:
                total = node[field]["totalCount"]
                if total > chosen.get((type_name, field), (-1, ""))[0]:
                    chosen[type_name, field] = (total, node["id"])
    return {key: parent for key, (_, parent) in chosen.items()}


async def relay_world(make, client) -> dict:
    """The scope fuzz's world, with activity to report on (R12), an audit trail and an outbox."""
    askers = await realistic_world(make, client)
    for n, asker in enumerate(askers.values()):
        for days in (1, 2, 9, 20):
            at = NOW - timedelta(days=days + n)
            await make.execute(activities.insert().values(user_id=asker.user_id, kind="SIGN_IN", at=at))
        await make.execute(
            audit_events.insert().values(actor_id=asker.user_id, action="TEST", object_type="User", at=NOW)
        )
        await make.execute(
            emails.insert().values(
                kind="MEETING_SUMMARY",
                to_address=f"a{n}@example.test",
                subject="S",
                body_text="B",
                created_at=NOW,
            )
        )
    return askers


@pytest.mark.parametrize("viewer", ["admin", "sc-two-ams"], ids=lambda v: f"R12-{v}")
async def test_every_connection_walked_forwards_and_backwards_gives_the_same_rows(client, make, viewer):
    askers = await relay_world(make, client)
    viewer_id = askers[viewer].user_id
    found = await parents(client, viewer_id)
    extra = {
        ("Query", "offeredBuyers"): f'hostId: "{gid("User", askers["am"].user_id)}"',
        ("Reporting", "byPeriod"): "unit: WEEK",
    }
    walked = {}
    for type_name, field in connections():
        reader = Reader(client, viewer_id, type_name, field, extra.get((type_name, field), ""), None)
        if type_name in PARENT_LISTS:
            reader.parent = found.get((type_name, field))
            if reader.parent is None:  # no parent in sight at all
                continue
        whole = await reader.read("first: 100")
        if whole is None:  # a back-office list the viewer may not read
            continue
        rows = [edge["cursor"] for edge in whole["edges"]]
        assert len(rows) == whole["totalCount"], (type_name, field)
        forwards, backwards = await walk(reader, True, SIZE), await walk(reader, False, SIZE)
        assert forwards == rows, (type_name, field)
        assert backwards == rows, (type_name, field)
        assert (await reader.read("last: 100"))["edges"] == whole["edges"], (type_name, field)
        if len(rows) >= 3:  # both cursors at once: the rows strictly between them, either way
            between = f'after: "{rows[0]}", before: "{rows[-1]}"'
            for direction in ("first", "last"):
                page = await reader.read(f"{direction}: 100, {between}")
                assert [edge["cursor"] for edge in page["edges"]] == rows[1:-1], (type_name, field, direction)
        walked[type_name, field] = len(rows)
    # not vacuous: most connections cross several pages, in the viewer's scope
    crossing = sum(count > SIZE for count in walked.values())
    assert crossing >= (12 if viewer == "admin" else 8), walked
    assert len(walked) >= (29 if viewer == "admin" else 20), walked


PAGE_ERRORS = [
    pytest.param("first: 2, last: 2", "last", id="R23-first-and-last"),
    pytest.param("last: 0", "last", id="R23-last-0"),
    pytest.param("last: 101", "last", id="R23-last-101"),
    pytest.param('last: 2, before: "not a cursor"', "before", id="R23-malformed-before"),
    pytest.param('first: 2, before: "WzEsMl0="', "before", id="R23-before-of-another-list"),
]


@pytest.mark.parametrize("page, field", PAGE_ERRORS)
async def test_R22_R23_page_arguments_out_of_shape_are_bad_user_input_naming_the_argument(
    client, make, page, field
):
    admin = await make.admin()
    top = await client.post(f"query {{ users({page}) {{ nodes {{ id }} }} }}", as_user=admin)
    nested = await client.post(f"query {{ viewer {{ lists({page}) {{ nodes {{ id }} }} }} }}", as_user=admin)
    for body in (top, nested):
        assert codes(body) == ["BAD_USER_INPUT"], body
        assert body["errors"][0]["extensions"]["field"] == field


async def test_R23_neither_first_nor_last_reads_the_first_20_rows(client, make):
    admin = await make.admin()
    for n in range(25):
        await make.am(f"AM {n:02}")
    data = await client.data(
        "query { users { totalCount nodes { name } pageInfo { hasNextPage hasPreviousPage } } }",
        as_user=admin,
    )
    assert data["users"]["totalCount"] == 26
    assert len(data["users"]["nodes"]) == 20
    assert data["users"]["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False}
