"""The benchmark's operations, fixed and named (issue 5). Each is one POST, except Q5, an
export that follows its cursor through ten pages of 100 (page sizes stop at 100: R23).

`peer_query` is the same question put to PostGraphile (peer d, bench/postgraphile/): its
fields are the SQL functions of peer.sql, aliased to our root names where that is all
that differs; bench.peer maps what remains (ids, Q4's nesting) before comparing."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

COUNTS = "signIns meetingsHeld notesWritten itemsAdded summariesSent registrationsDecided total"


@dataclass(frozen=True)
class Operation:
    name: str
    title: str
    viewer: str  # "sc" or "analyst"
    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    pages: int = 1
    peer_query: str | None = None  # for PostGraphile; None: not asked there
    peer_variables: dict[str, Any] | None = None  # when they differ from `variables`

    def for_peer(self) -> Operation:
        return replace(self, query=self.peer_query, variables=self.peer_variables or self.variables)


def rowid(selection: str) -> str:
    """PostGraphile's name for an `id` column is `rowId` (its `id` is a Node id): aliased."""
    return re.sub(r"\bid\b", "id: rowId", selection)


DETAIL = """id title startsAt status
  attendees(first: 10) { nodes { id name company { id name } } }
  notes(first: 20) { nodes { id text phase } }
  lists(first: 5) { nodes { id name kind
    items(first: 20) { nodes { id position note content { id title kind reference } } } } }"""
BUYER_ROW = "id name email company { id name territory { id name } }"
EXPORT_ROW = "id name email role active company { name }"
DASHBOARD = """accountManagers(first: 10) { nodes { id name
  associatedBuyers(first: 10) { nodes { id name company { id name territory { id name } } } } } }"""


OPERATIONS = [
    Operation(
        "Q0",
        "viewer { id }",
        "sc",
        "query Q0 { viewer { id } }",
        peer_query="query Q0 { viewer { id: rowId } }",
    ),
    Operation(
        "Q1",
        "SC dashboard: AMs → 10 buyers each → company → territory",
        "sc",
        f"query Q1 {{ viewer {{ {DASHBOARD} }} }}",
        peer_query=f"query Q1 {{ viewer {{ {rowid(DASHBOARD)} }} }}",
    ),
    Operation(
        "Q2",
        "100 buyers in scope with company and territory",
        "sc",
        f"query Q2 {{ users(role: BUYER, first: 100) {{ nodes {{ {BUYER_ROW} }} }} }}",
        peer_query=f"query Q2 {{ users: buyersInScope(first: 100) {{ nodes {{ {rowid(BUYER_ROW)} }} }} }}",
    ),
    Operation(  # the meeting is chosen from the data set at run time (bench.run.detail_meeting)
        "Q3",
        "a meeting's detail: attendees → company, notes, lists → items → content",
        "sc",
        f"query Q3($id: ID!) {{ node(id: $id) {{ ... on Meeting {{ {DETAIL} }} }} }}",
        peer_query=f"query Q3($meeting: Int!) {{ node: meeting(id: $meeting) {{ {rowid(DETAIL)} }} }}",
    ),
    Operation(
        "Q4",
        "reporting: an SC's quarter by AM",
        "sc",
        f"""query Q4($start: DateTime!, $end: DateTime!) {{ reporting(start: $start, end: $end) {{
          byAccountManager(first: 20) {{ nodes {{ label counts {{ {COUNTS} }} }} }} }} }}""",
        {"start": "2026-07-01T00:00:00Z", "end": "2026-10-01T00:00:00Z"},
        peer_query=f"""query Q4($start: Datetime!, $end: Datetime!) {{
          reporting: reportingByAccountManager(start: $start, end: $end, first: 20) {{
            nodes {{ label counts {{ {COUNTS} }} }} }} }}""",
    ),
    Operation(
        "Q5",
        "analyst export: 1,000 buyers × 6 fields (10 pages)",
        "analyst",
        f"""query Q5($after: String) {{ users(role: BUYER, first: 100, after: $after) {{
          pageInfo {{ hasNextPage endCursor }} nodes {{ {EXPORT_ROW} }} }} }}""",
        pages=10,
        peer_query=f"""query Q5($after: Cursor) {{ users: buyersInScope(first: 100, after: $after) {{
          pageInfo {{ hasNextPage endCursor }} nodes {{ {rowid(EXPORT_ROW)} }} }} }}""",
    ),
]

Send = Callable[[dict[str, Any], str], Awaitable[tuple[dict[str, str], Any]]]


async def perform(operation: Operation, send: Send, token: str) -> list[Any]:
    """Run the operation (all its pages); the response bodies in order."""
    bodies, after = [], None
    for _ in range(operation.pages):
        variables = dict(operation.variables)
        if operation.pages > 1:
            variables["after"] = after
        payload = {"query": operation.query, "variables": variables, "operationName": operation.name}
        _, body = await send(payload, token)
        if body.get("errors"):
            raise RuntimeError(f"{operation.name}: {body['errors']}")
        bodies.append(body)
        if operation.pages > 1:
            after = body["data"]["users"]["pageInfo"]["endCursor"]
    return bodies
