"""The mutations of the fuzzed write matrix: every mutation of schema.graphql, drawn by
hypothesis-graphql with valid, invalid and adversarial arguments.

Ids are placeholders (`"@List:3"`, as in tests/fuzz_queries.py) that the test fills with the
data set's ids, in and out of scope, of every type, past the last row, past int4, tampered
or garbage; emails are placeholders (`"@Email:2"`) for the data set's own addresses, so a
taken one is tried too. Texts, numbers and moments are drawn as they are sent: ordinary
values most of the time, and empty, blank, NUL, lone surrogates, oversized text, int32's
ends, year 1 and 9999, naive and malformed times. A few client keys recur across the pool,
so a key comes back with another operation or other input.

Each mutation names one root field, in turn over the schema's mutations. Every other one has
its root arguments hoisted into variables (the app's way, and the only way a lone surrogate
reaches the server: GraphQL's own string syntax cannot carry one); one in ten is drawn in
hypothesis-graphql's negative mode (wrong types, missing arguments); an argument with a
default is left out one time in three. Drawn in worker
processes beside the suite, as the queries are.
"""

from __future__ import annotations

import multiprocessing
import os
import random
from concurrent.futures import Future, ProcessPoolExecutor
from functools import cache
from typing import Any

import graphql
from hypothesis import strategies as st
from hypothesis.control import BuildContext
from hypothesis.internal.conjecture.data import ConjectureData
from hypothesis_graphql import Mode, mutations

from tests.fuzz_queries import CURSORS, NODE_TYPES, SCHEMA, instrumented

FAST_MUTATIONS = int(os.environ.get("FUZZ_FAST_MUTATIONS", 600))
LONG_MUTATIONS = int(os.environ.get("FUZZ_LONG_MUTATIONS", 10_000))
SEED = int(os.environ.get("FUZZ_SEED", 20261203))
CHUNK = 250
PER_TYPE = 12  # placeholders per type: the data set has fewer rows of most types, so some miss
RIGHT = 8  # "@Right:n": the n-th row of the type the argument names
EMAILS = 6  # "@Email:n": the n-th user's address
NEGATIVE_EVERY = 10
KEYS = ("key-1", "key-2", "key-3")  # client keys that recur: replays, and reuse with other input

TEXTS = (
    *["Quarterly picks", "Ada Lovelace", "Talk about the spring range", "SKU-42"] * 3,
    *["new.buyer@example.test", "someone@example.test", "a perfectly good password"] * 2,
    *KEYS * 4,
    "",
    "   ",
    "\x00",
    "name\x00with a NUL",
    "\ud800",
    "lone \udfff low surrogate",
    "x" * 201,
    "y" * 20_001,
    "😀 ünïcödé \u202e",
    "o'; DROP TABLE users; --",
    "%_",
    "not an email",
    "UPPER@EXAMPLE.TEST",
    "short",
)
NUMBERS = (0, 1, 1, 1, 1, 2, 2, 3, 5, -1, 100, 101, 2**31 - 1, -(2**31))
MOMENTS = (
    *["2026-12-10T10:00:00+00:00", "2026-12-11T09:30:00+01:00", "2026-12-10T10:00:00Z"] * 3,
    "2026-12-10T10:00:00",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "2026-02-30T10:00:00+00:00",
    "yesterday",
    "",
)
ODD_IDS = (
    "@Tampered:0",
    "@Garbage:0",
    "@Garbage:1",
    "@Garbage:2",
    *(f"@Huge:{n}" for n in range(len(NODE_TYPES))),
)


def profile_size() -> int:
    return LONG_MUTATIONS if os.environ.get("SALESCOORD_FUZZ") == "long" else FAST_MUTATIONS


def _string(values: Any) -> st.SearchStrategy[graphql.ValueNode]:
    return st.sampled_from(values).map(lambda value: graphql.StringValueNode(value=value))


def _ids() -> st.SearchStrategy[graphql.ValueNode]:
    """Mostly an id of the type the argument names (`@Right`, typed by `_typed`), else an id
    of any type, else an odd one."""
    right = [f"@Right:{n}" for n in range(RIGHT)] * 10
    real = [f"@{t}:{n}" for t in NODE_TYPES for n in range(0, PER_TYPE, 3)]
    return _string(right + real + list(ODD_IDS))


def _texts() -> st.SearchStrategy[graphql.ValueNode]:
    cursors = [f"@Cursor:{n}" for n in range(CURSORS)]
    emails = [f"@Email:{n}" for n in range(EMAILS)]
    return _string(list(TEXTS) + ["@Fresh:0"] * 12 + cursors + emails)


def _numbers() -> st.SearchStrategy[graphql.ValueNode]:
    return st.sampled_from(NUMBERS).map(lambda value: graphql.IntValueNode(value=str(value)))


def _argument_type(name: str, root_type: str) -> str:
    """The Node type an id argument names: `listId` a List, `buyerIds` a User, a bare `id` (and
    a merge's `sourceId` and `targetId`) the type the mutation is about."""
    if name in ("id", "sourceId", "targetId"):
        return root_type
    stem = name.removesuffix("s").removesuffix("Id")
    for type_name in NODE_TYPES:
        if stem.lower().endswith(type_name.lower()):
            return type_name
    return "User"  # host, buyer, attendee, account manager, coordinator


ABOUT = {
    "deleteList": "List", "removeListItem": "ListItem", "deleteNote": "Note",
    "deleteTerritory": "Territory", "deleteCompany": "Company",
}  # fmt: skip


def _typed(schema: graphql.GraphQLSchema, document: graphql.DocumentNode) -> graphql.DocumentNode:
    """Each `@Right:n` as `@<the type its argument names>:n`."""
    root = document.definitions[0].selection_set.selections[0].name.value
    returned = graphql.get_named_type(schema.mutation_type.fields[root].type).name
    root_type = ABOUT.get(root, returned if returned in NODE_TYPES else "User")
    names: list[str] = []

    class Typer(graphql.Visitor):
        def enter_argument(self, node: Any, *_: Any) -> None:
            names.append(node.name.value)

        def leave_argument(self, *_: Any) -> None:
            names.pop()

        def enter_object_field(self, node: Any, *_: Any) -> None:
            names.append(node.name.value)

        def leave_object_field(self, *_: Any) -> None:
            names.pop()

        def enter_string_value(self, node: graphql.StringValueNode, *_: Any) -> Any:
            if names and node.value.startswith("@Right:"):
                type_name = _argument_type(names[-1], root_type)
                return graphql.StringValueNode(value=node.value.replace("Right", type_name))
            return None

    return graphql.visit(document, Typer())


def _leave_defaults(
    schema: graphql.GraphQLSchema, document: graphql.DocumentNode, rng: random.Random
) -> graphql.DocumentNode:
    """Drop each root argument that has a default one time in three: what the service does
    when the client does not say (a note's `hostOnly`, say) is drawn too."""
    operation = document.definitions[0]
    root = operation.selection_set.selections[0]
    definitions = schema.mutation_type.fields[root.name.value].args

    def has_default(name: str) -> bool:
        definition = definitions.get(name)
        node = definition.ast_node if definition else None  # graphql-core keeps SDL defaults here
        return node is not None and node.default_value is not None

    kept = tuple(
        argument
        for argument in root.arguments or ()
        if not has_default(argument.name.value) or rng.random() >= 1 / 3
    )
    field = graphql.FieldNode(
        alias=root.alias,
        name=root.name,
        arguments=kept,
        directives=root.directives,
        selection_set=root.selection_set,
    )
    selections = graphql.SelectionSetNode(selections=(field,))
    return graphql.DocumentNode(
        definitions=(
            graphql.OperationDefinitionNode(
                operation=operation.operation,
                name=operation.name,
                variable_definitions=(),
                directives=(),
                selection_set=selections,
            ),
        )
    )


def mutation_names(schema: graphql.GraphQLSchema) -> list[str]:
    return sorted(schema.mutation_type.fields)


def _one_root_field(document: graphql.DocumentNode) -> graphql.OperationDefinitionNode:
    operation = document.definitions[0]
    first = operation.selection_set.selections[0]
    return graphql.OperationDefinitionNode(
        operation=operation.operation,
        name=graphql.NameNode(value="Fuzzed"),
        variable_definitions=(),
        directives=(),
        selection_set=graphql.SelectionSetNode(selections=(first,)),
    )


def hoisted(
    schema: graphql.GraphQLSchema, document: graphql.DocumentNode
) -> tuple[graphql.DocumentNode, dict[str, Any]]:
    """The root field's arguments as variables of their declared types."""
    operation = document.definitions[0]
    root = operation.selection_set.selections[0]
    definitions = schema.mutation_type.fields[root.name.value].args
    variables: dict[str, Any] = {}
    declared, arguments = [], []
    for argument in root.arguments or ():
        name = argument.name.value
        if name not in definitions:  # negative mode: an argument the field does not have
            arguments.append(argument)
            continue
        variables[name] = graphql.value_from_ast_untyped(argument.value)
        declared.append(
            graphql.VariableDefinitionNode(
                variable=graphql.VariableNode(name=graphql.NameNode(value=name)),
                type=graphql.parse_type(str(definitions[name].type)),
                directives=(),
            )
        )
        arguments.append(
            graphql.ArgumentNode(name=argument.name, value=graphql.VariableNode(name=argument.name))
        )
    field = graphql.FieldNode(
        alias=root.alias,
        name=root.name,
        arguments=tuple(arguments),
        directives=root.directives,
        selection_set=root.selection_set,
    )
    operation = graphql.OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=tuple(declared),
        directives=(),
        selection_set=graphql.SelectionSetNode(selections=(field,)),
    )
    return graphql.DocumentNode(definitions=(operation,)), variables


def draw_chunk(chunk: int, first: int, count: int) -> list[tuple[str, dict[str, Any] | None]]:
    """`count` mutations of chunk `chunk`'s own seed, the `first`-th of the pool first (so the
    mutations take turns over the whole pool however it is chunked)."""
    schema = graphql.build_schema(SCHEMA.read_text())
    names = mutation_names(schema)
    scalars = {"ID": _ids(), "String": _texts(), "Int": _numbers(), "DateTime": _string(MOMENTS)}
    strategies = {
        (name, mode): mutations(
            schema, fields=[name], custom_scalars=scalars, print_ast=lambda tree: tree, mode=mode
        )
        for name in names
        for mode in (Mode.POSITIVE, Mode.NEGATIVE)
        if mode is Mode.POSITIVE or schema.mutation_type.fields[name].args
    }
    rng = random.Random(SEED * 1_000 + chunk)
    drawn: list[tuple[str, dict[str, Any] | None]] = []
    for n in range(first, first + count):
        name = names[n % len(names)]
        # a mutation without arguments (signOut) has nothing to get wrong: drawn valid
        negative = n % NEGATIVE_EVERY == NEGATIVE_EVERY - 1 and (name, Mode.NEGATIVE) in strategies
        strategy = strategies[name, Mode.NEGATIVE if negative else Mode.POSITIVE]
        data = ConjectureData(random=rng)
        with BuildContext(data, wrapped_test=None, is_final=True):
            document = graphql.DocumentNode(definitions=(_one_root_field(data.draw(strategy)),))
        document = _leave_defaults(schema, _typed(schema, document), rng)
        variables = None
        if n % 2:
            document, variables = hoisted(schema, document)
        if not negative:  # the instrument walks a valid document only
            document = instrumented(schema, document)
        drawn.append((graphql.print_ast(document), variables))
    return drawn


_pending: list[Future[list[tuple[str, dict[str, Any] | None]]]] = []


def start(count: int, workers: int = 1) -> None:
    """Begin drawing `count` mutations in `workers` processes beside the suite."""
    if _pending:
        return
    executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    for chunk, first in enumerate(range(0, count, CHUNK)):
        _pending.append(executor.submit(draw_chunk, chunk, first, min(CHUNK, count - first)))
    executor.shutdown(wait=False)


@cache
def pool(count: int) -> tuple[tuple[str, dict[str, Any] | None], ...]:
    start(count)
    return tuple(mutation for future in _pending for mutation in future.result())
