"""Queries made of what the planner compiles (issue 17): `viewer`, `users` and `node(id:)`,
then leaves, to-one relations and nested connections to a depth of three, with aliases,
fragments, `__typename`, every part of a connection (nodes, edges with cursors, pageInfo,
totalCount) and pages both ways from real, mismatched and malformed cursors. Drawn from a
seeded random, so a run is the same every time; ids are placeholders (`"@Meeting:3"`) that
the test fills with the data set's ids.

The fields come from the schema itself (`schema.planner.fields.known`): what the generator
offers is what the planner claims to answer, and the test holds it to the resolvers' answers.
"""

from __future__ import annotations

import random

from graphql import GraphQLObjectType
from salescoord.db.queries.pages import encode_cursor
from salescoord.schema.planner.fields import Leaf, NestedField, ToOneField, known
from salescoord.schema.root import schema

SEED = 20261204
NODE_TYPES = ("User", "Company", "Territory", "Meeting", "Note", "List", "ListItem", "Content")
CURSORS = (
    encode_cursor(("B", 1)),
    encode_cursor(("Buyer 5", 40)),
    encode_cursor(("zzz", 10**6)),
    encode_cursor((3,)),
    encode_cursor(("2026-11-28T12:00:00+00:00", 2)),
    encode_cursor((1, "x")),
    "not a cursor",
)
SIZES = (1, 2, 3, 5, 20)


def _fields(type_name: str) -> tuple[list[str], list[tuple[str, str]], list[tuple[str, str]]]:
    parent = schema._schema.type_map[type_name]
    assert isinstance(parent, GraphQLObjectType)
    leaves, to_one, nested = [], [], []
    for name in parent.fields:
        found = known(parent, name)
        if found is None:
            continue
        if isinstance(found.shape, Leaf):
            leaves.append(name)
        elif isinstance(found.shape, ToOneField):
            to_one.append((name, found.shape.target))
        elif isinstance(found.shape, NestedField):
            nested.append((name, found.shape.target))
    return [*leaves, "__typename"], to_one, nested


def _page(rng: random.Random) -> str:
    arguments = []
    if rng.random() < 0.7:
        arguments.append(f"first: {rng.choice(SIZES)}")
        if rng.random() < 0.3:
            arguments.append(f'after: "{rng.choice(CURSORS)}"')
    elif rng.random() < 0.8:
        arguments.append(f"last: {rng.choice(SIZES)}")
        if rng.random() < 0.4:
            arguments.append(f'before: "{rng.choice(CURSORS)}"')
    if rng.random() < 0.03:
        arguments.append(f"first: {rng.choice((0, 101, -1))}")  # refused by the resolvers
    return f"({', '.join(arguments)})" if arguments else ""


def _obj(rng: random.Random, type_name: str, depth: int) -> str:
    leaves, to_one, nested = _fields(type_name)
    chosen = rng.sample(leaves, k=min(len(leaves), rng.randint(1, 4)))
    if depth > 0:
        for name, target in to_one:
            if rng.random() < 0.35:
                chosen.append(f"{name} {{ {_obj(rng, target, depth - 1)} }}")
        for name, target in nested:
            if rng.random() < 0.25:
                chosen.append(f"{name}{_page(rng)} {{ {_connection(rng, target, depth - 1)} }}")
    if rng.random() < 0.1:
        chosen.append(f"... on {type_name} {{ {rng.choice(leaves)} }}")
    return " ".join(
        f"k{i}: {s}" if rng.random() < 0.2 and not s.startswith("...") else s for i, s in enumerate(chosen)
    )


def _connection(rng: random.Random, node_type: str, depth: int) -> str:
    parts = []
    if rng.random() < 0.8:
        parts.append(f"nodes {{ {_obj(rng, node_type, depth)} }}")
    if rng.random() < 0.25:
        node = f" node {{ {_obj(rng, node_type, depth)} }}" if rng.random() < 0.6 else ""
        parts.append(f"edges {{ cursor{node} }}")
    if rng.random() < 0.5:
        info = rng.sample(
            ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "__typename"], k=rng.randint(1, 4)
        )
        parts.append(f"pageInfo {{ {' '.join(info)} }}")
    if rng.random() < 0.4:
        parts.append("totalCount")
    if not parts or rng.random() < 0.05:
        parts.append("__typename")
    return " ".join(parts)


def draw(rng: random.Random) -> str:
    roots = []
    for index in range(1 if rng.random() < 0.8 else 2):
        kind = rng.choice(("viewer", "users", "node", "node"))
        alias = f"r{index}: "
        if kind == "viewer":
            roots.append(f"{alias}viewer {{ {_obj(rng, 'User', 3)} }}")
        elif kind == "users":
            role = (
                f"role: {rng.choice(('BUYER', 'ACCOUNT_MANAGER', 'SALES_COORDINATOR'))}, "
                if rng.random() < 0.5
                else ""
            )
            search = 'search: "o", ' if rng.random() < 0.1 else ""
            arguments = _page(rng)[1:-1]
            roots.append(f"{alias}users({role}{search}{arguments}) {{ {_connection(rng, 'User', 2)} }}")
        else:
            type_name = rng.choice(NODE_TYPES)
            roots.append(
                f'{alias}node(id: "@{type_name}:{rng.randint(0, 13)}") {{ id __typename '
                f"... on {type_name} {{ {_obj(rng, type_name, 3)} }} }}"
            )
    return "query { " + " ".join(roots) + " }"


def pool(count: int) -> tuple[str, ...]:
    rng = random.Random(SEED)
    return tuple(draw(rng) for _ in range(count))
