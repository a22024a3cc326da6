"""The benchmark's operations, fixed and named (issue 5). Each is one POST, except Q5, an
export that follows its cursor through ten pages of 100 (page sizes stop at 100: R23)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
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
    needs_type: str | None = None  # skipped when the schema lacks this type


OPERATIONS = [
    Operation("Q0", "viewer { id }", "sc", "query Q0 { viewer { id } }"),
    Operation(
        "Q1",
        "SC dashboard: AMs → 10 buyers each → company → territory",
        "sc",
        """query Q1 { viewer { accountManagers(first: 10) { nodes { id name
          associatedBuyers(first: 10) { nodes { id name
            company { id name territory { id name } } } } } } } }""",
    ),
    Operation(
        "Q2",
        "100 buyers in scope with company and territory",
        "sc",
        """query Q2 { users(role: BUYER, first: 100) { nodes { id name email
          company { id name territory { id name } } } } }""",
    ),
    Operation(
        "Q3",
        "a meeting's detail",
        "sc",
        "query Q3 { __typename }",
        needs_type="Meeting",
    ),
    Operation(
        "Q4",
        "reporting: an SC's quarter by AM",
        "sc",
        f"""query Q4($start: DateTime!, $end: DateTime!) {{ reporting(start: $start, end: $end) {{
          byAccountManager(first: 20) {{ nodes {{ label counts {{ {COUNTS} }} }} }} }} }}""",
        {"start": "2026-07-01T00:00:00Z", "end": "2026-10-01T00:00:00Z"},
    ),
    Operation(
        "Q5",
        "analyst export: 1,000 buyers × 6 fields (10 pages)",
        "analyst",
        """query Q5($after: String) { users(role: BUYER, first: 100, after: $after) {
          pageInfo { hasNextPage endCursor } nodes { id name email role active company { name } } } }""",
        pages=10,
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
