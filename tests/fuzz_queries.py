"""The queries of the fuzzed matrix: drawn from schema.graphql by hypothesis-graphql, with
placeholders for ids and cursors that the test fills with the data set's real values.

Drawing a query costs ~25 ms (hypothesis-graphql walks the whole schema), so the pool is
drawn in chunks with seeds of their own, in worker processes started when the session is
collected (`start`): the pool is ready when the suite reaches the fuzz tests, and the same
seed gives the same queries however many workers draw them.
"""

from __future__ import annotations

import multiprocessing
import os
import random
from concurrent.futures import Future, ProcessPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import graphql
from hypothesis import strategies as st
from hypothesis.control import BuildContext
from hypothesis.internal.conjecture.data import ConjectureData
from hypothesis_graphql import queries

FAST_QUERIES = int(os.environ.get("FUZZ_FAST_QUERIES", 600))
LONG_QUERIES = int(os.environ.get("FUZZ_LONG_QUERIES", 10_000))
SEED = int(os.environ.get("FUZZ_SEED", 20261128))
CHUNK = 250
SCHEMA = Path(__file__).resolve().parent.parent / "schema.graphql"
NODE_TYPES = (
    "User", "Company", "Territory", "List", "ListItem", "Content", "Registration", "Meeting", "Note",
)  # fmt: skip
PER_TYPE = 14  # placeholders per type: more than the rows of most types, so some miss
CURSORS = 6  # shapes of cursor the test fills in: right, wrong and malformed
WORDS = ("", "buyer", "North", "AM", "%", "o'")  # search terms, actions, object types


def profile_size() -> int:
    return LONG_QUERIES if os.environ.get("SALESCOORD_FUZZ") == "long" else FAST_QUERIES


def _ids() -> st.SearchStrategy[graphql.ValueNode]:
    names = [f"@{t}:{n}" for t in NODE_TYPES for n in range(PER_TYPE)] + ["@Tampered:0"]
    return st.sampled_from(names).map(lambda value: graphql.StringValueNode(value=value))


def _strings() -> st.SearchStrategy[graphql.ValueNode]:
    """Cursors (`after`, `before`, `since`) and search terms: mostly values a client would send."""
    values = [f"@Cursor:{n}" for n in range(CURSORS)] + list(WORDS)
    return st.sampled_from(values).map(lambda value: graphql.StringValueNode(value=value))


def _page_sizes() -> st.SearchStrategy[graphql.ValueNode]:
    """Mostly small pages (the data set is small), sometimes out of range (R23)."""
    numbers = st.sampled_from([1, 2, 3, 4] * 3 + [20, 0, 101])
    return numbers.map(lambda value: graphql.IntValueNode(value=str(value)))


def _moments() -> st.SearchStrategy[graphql.ValueNode]:
    """DateTime arguments (meeting and audit filters) around the data set's time."""
    texts = ["2020-01-01T00:00:00+00:00", "2026-11-28T12:00:00+00:00", "2030-01-01T00:00:00+00:00"]
    return st.sampled_from(texts).map(lambda value: graphql.StringValueNode(value=value))


def _field(alias: str, name: str, *inner: graphql.FieldNode) -> graphql.FieldNode:
    selections = graphql.SelectionSetNode(selections=inner) if inner else None
    return graphql.FieldNode(
        alias=graphql.NameNode(value=alias), name=graphql.NameNode(value=name), selection_set=selections
    )


OID = _field("_oid", "id")
# Asked of every connection read from one end (no cursor): a count that took in rows the page
# cannot show (or the reverse) is a leak of its own, whatever the rows are. The fuzz draws
# `first`/`after` and `last`/`before` alike (they are in the schema), so pages are read both ways.
COUNTED = (
    _field("_total", "totalCount"),
    _field(
        "_more",
        "pageInfo",
        _field("hasNextPage", "hasNextPage"),
        _field("hasPreviousPage", "hasPreviousPage"),
    ),
    _field("_rows", "nodes", _field("_type", "__typename")),
)


def instrumented(schema: graphql.GraphQLSchema, query: str | graphql.DocumentNode) -> str | Any:
    """`_oid: id` in every selection on a type with an id, so nothing comes back unidentified;
    `_total`, `_more` and `_rows` on every connection without a cursor (`after`, `before`). A
    document comes back as a document, a text as a text."""
    type_info = graphql.TypeInfo(schema)

    class Instrument(graphql.Visitor):
        def enter_field(self, node: graphql.FieldNode, *_: Any) -> Any:
            named = graphql.get_named_type(type_info.get_type())
            fields = getattr(named, "fields", {})
            cursors = [a.value for a in node.arguments or () if a.name.value in ("after", "before")]
            from_start = all(isinstance(cursor, graphql.NullValueNode) for cursor in cursors)
            if from_start and "totalCount" in fields and "nodes" in fields:
                selections = (*node.selection_set.selections, *COUNTED)
                return graphql.FieldNode(
                    alias=node.alias,
                    name=node.name,
                    arguments=node.arguments,
                    directives=node.directives,
                    selection_set=graphql.SelectionSetNode(selections=selections),
                )
            return None

        def enter_selection_set(self, node: graphql.SelectionSetNode, *_: Any) -> Any:
            parent = type_info.get_parent_type()
            if parent is not None and "id" in getattr(parent, "fields", {}):
                return graphql.SelectionSetNode(selections=(*node.selections, OID))
            return None

    document = query if isinstance(query, graphql.DocumentNode) else graphql.parse(query)
    visited = graphql.visit(document, graphql.TypeInfoVisitor(type_info, Instrument()))
    return visited if isinstance(query, graphql.DocumentNode) else graphql.print_ast(visited)


def draw_chunk(chunk: int, count: int) -> list[str]:
    """`count` valid queries from chunk `chunk`'s own seed. Drawn directly, without the test
    engine: no shrinking is needed, as a leak report prints the query."""
    schema = graphql.build_schema(SCHEMA.read_text())
    strategy = queries(
        schema,
        custom_scalars={"ID": _ids(), "String": _strings(), "Int": _page_sizes(), "DateTime": _moments()},
        allow_x00=False,
    )
    rng = random.Random(SEED * 1_000 + chunk)
    drawn = []
    for _ in range(count):
        data = ConjectureData(random=rng)
        with BuildContext(data, wrapped_test=None, is_final=True):
            drawn.append(instrumented(schema, data.draw(strategy)))
    return drawn


_pending: list[Future[list[str]]] = []


def start(count: int, workers: int = 1) -> None:
    """Begin drawing `count` queries in `workers` processes beside the suite."""
    if _pending:
        return
    executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    for chunk, first in enumerate(range(0, count, CHUNK)):
        _pending.append(executor.submit(draw_chunk, chunk, min(CHUNK, count - first)))
    executor.shutdown(wait=False)


@cache
def pool(count: int) -> tuple[str, ...]:
    start(count)
    return tuple(query for future in _pending for query in future.result())
