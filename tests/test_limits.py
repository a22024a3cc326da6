"""R24: depth, aliases, tokens, directives, fields, nodes and cost are bounded; a query over
a bound is QUERY_TOO_COMPLEX naming the bound, refused before any SQL runs, also for a
signed-in caller (the viewer is loaded only after the limits)."""

from __future__ import annotations

import re

import pytest
from graphql import DocumentNode, OperationDefinitionNode, parse, validate
from graphql.validation.rules.overlapping_fields_can_be_merged import (
    OverlappingFieldsCanBeMergedRule,
    get_complexity_budget,
)
from salescoord.schema.limits.measure import measure
from salescoord.schema.limits.overlap import TooDeep, merging_steps
from salescoord.schema.root import schema

from bench import validation_cost
from salescoord.settings import Settings
from tests.apps import client_with
from tests.helpers import codes

DEFAULTS = Settings(database_url="", secret_keys=("unused",))


def nested(depth: int) -> str:
    """territories -> nodes -> parent -> parent ... -> name: `depth` fields deep."""
    inner = "name"
    for _ in range(depth - 3):
        inner = f"parent {{ {inner} }}"
    return f"query {{ territories(first: 1) {{ nodes {{ {inner} }} }} }}"


def aliases_in_fragment(per_fragment: int, spreads: int) -> str:
    """Few aliases in the text, many once the fragment is expanded (strawberry advisory)."""
    fields = " ".join(f"a{n}: name" for n in range(per_fragment))
    uses = " ".join(f"v{n}: viewer {{ ...F }}" for n in range(spreads))
    return f"query {{ {uses} }} fragment F on User {{ {fields} }}"


def fragment_bomb(levels: int) -> str:
    """Each fragment spreads the one below twice: 2**levels fields from a few lines."""
    fragments = ["fragment F0 on User { id name }"]
    fragments += [f"fragment F{n} on User {{ ...F{n - 1} ...F{n - 1} }}" for n in range(1, levels + 1)]
    return f"query {{ viewer {{ ...F{levels} }} }} " + " ".join(fragments)


WIDE_COST = """query { users(first: 100) { nodes { lists(first: 100) { nodes {
  owner { company { territory { parent { parent { parent { parent { parent { name } } } } } } } }
  buyer { company { territory { name } } }
} } } } }"""
MILLION_NODES = """query { viewer { accountManagers(first: 100) { nodes {
  associatedBuyers(first: 100) { nodes { company { buyers(first: 100) { nodes { id } } } } }
} } } }"""
MILLION_NODES_BACKWARD = MILLION_NODES.replace("first:", "last:")
BY_VARIABLE = """query($n: Int!) { users(first: $n) { nodes {
  lists(first: $n) { nodes { items(first: $n) { nodes { id } } } }
} } }"""

OVER_BOUNDS = [
    pytest.param("depth", nested(DEFAULTS.max_depth + 1), None, id="R24-depth"),
    pytest.param("aliases", aliases_in_fragment(16, 2), None, id="R24-aliases-after-fragment-expansion"),
    pytest.param("tokens", "query { viewer { " + "id " * DEFAULTS.max_tokens + "} }", None, id="R24-tokens"),
    pytest.param(
        "directives",
        "query { viewer { " + "id @include(if: true) " * (DEFAULTS.max_directives + 1) + "} }",
        None,
        id="R24-directives",
    ),
    pytest.param("fields", fragment_bomb(12), None, id="R24-fields-of-a-fragment-bomb"),
    pytest.param("nodes", MILLION_NODES, None, id="R24-nodes"),
    pytest.param("nodes", MILLION_NODES_BACKWARD, None, id="R24-nodes-of-backward-pages"),
    pytest.param("cost", WIDE_COST, None, id="R24-cost"),
    pytest.param("nodes", BY_VARIABLE, {"n": 100}, id="R24-nodes-from-variables"),
]


@pytest.mark.parametrize(("bound", "query", "variables"), OVER_BOUNDS)
async def test_R24_a_query_over_a_bound_is_refused_naming_it_before_any_sql(
    client, make, statements, bound, query, variables
):
    admin = await make.admin()
    token = client.token(admin)
    statements["count"] = 0
    body = await client.post(query, variables, token=token)
    assert codes(body) == ["QUERY_TOO_COMPLEX"], body
    error = body["errors"][0]
    assert error["extensions"]["bound"] == bound
    assert bound in error["message"]
    assert body.get("data") is None
    assert statements["count"] == 0


def test_R24_the_cost_query_is_within_the_node_bound_so_cost_is_what_refuses_it():
    measured = measure(schema._schema, parse(WIDE_COST))
    assert measured.nodes <= DEFAULTS.max_nodes < DEFAULTS.max_cost < measured.cost


async def test_R24_circular_fragments_are_refused_not_looped(client, make, statements):
    admin = await make.admin()
    token = client.token(admin)
    statements["count"] = 0
    body = await client.post(
        "query { viewer { ...A } } fragment A on User { name ...B } fragment B on User { email ...A }",
        token=token,
    )
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert "within itself" in body["errors"][0]["message"]
    assert statements["count"] == 0


def test_R24_the_measure_walk_survives_cycles_and_counts_every_expansion():
    document = parse(
        "query { viewer { ...A } } fragment A on User { x: name ...B } fragment B on User { ...A }"
    )
    measured = measure(schema._schema, document)
    assert (measured.aliases, measured.fields, measured.depth) == (1, 2, 2)


SMALL = "query { users(first: 10) { nodes { id lists(first: 5) { nodes { id owner { id } } } } } }"


async def test_R24_a_query_within_bounds_runs_and_reports_its_cost(client, make):
    admin = await make.admin()
    body = await client.post(SMALL, as_user=admin)
    assert not body.get("errors"), body
    # users 1 + its nodes 10 + lists 10 + their nodes 50 + owner 50; nodes 10 + 50.
    assert body["extensions"]["cost"] == {
        "requested": 121,
        "limit": DEFAULTS.max_cost,
        "nodes": 60,
        "nodeLimit": DEFAULTS.max_nodes,
    }


@pytest.mark.parametrize("size", ["first", "last"])
@pytest.mark.parametrize("first", [0, 101], ids=["R23-page-0", "R23-page-101"])
async def test_R23_page_sizes_outside_1_to_100_stay_bad_user_input_not_too_complex(client, make, first, size):
    admin = await make.admin()
    body = await client.post(
        f"query($n: Int!) {{ users({size}: $n) {{ nodes {{ id }} }} }}", {"n": first}, as_user=admin
    )
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert body["errors"][0]["extensions"]["field"] == size


def readme_operations() -> list[DocumentNode]:
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    found = []
    for block in re.findall(r"```graphql\n(.*?)```", readme, re.S):
        document = parse(block)
        fragments = [d for d in document.definitions if not isinstance(d, OperationDefinitionNode)]
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                found.append(DocumentNode(definitions=(definition, *fragments)))
    return found


def test_R24_the_readme_tour_fits_every_bound():
    operations = readme_operations()
    assert len(operations) >= 5
    for operation in operations:
        measured = measure(schema._schema, operation, None, {"id": "VXNlcjox"})
        assert measured is not None
        name = operation.definitions[0].name
        for bound in ("depth", "aliases", "directives", "fields", "nodes", "cost"):
            assert getattr(measured, bound) <= getattr(DEFAULTS, f"max_{bound}"), (name, bound, measured)
        assert merging_steps(operation, DEFAULTS.max_validation_steps, DEFAULTS.max_depth) < 1000, name


REPEATED_OBJECTS = "query { viewer { " + "company { name } " * 440 + "} }"  # 1,764 tokens, 880 fields
REPEATED_LEAF = "query { viewer { " + "name " * 800 + "} }"


@pytest.mark.parametrize(
    "query",
    [REPEATED_OBJECTS, REPEATED_LEAF],
    ids=["R24-repeated-objects-under-every-other-bound", "R24-800-repeated-fields"],
)
async def test_R24_validation_work_is_bounded_before_validation_also_for_anonymous_callers(
    client, statements, query
):
    """graphql-core's field-merging check is quadratic in repeated fields: 1.5 s of CPU for the
    first document, and "Validation aborted." (BAD_USER_INPUT) for the second. Both are
    refused from a count of that work made before validation, with no SQL."""
    statements["count"] = 0
    body = await client.post(query)
    assert codes(body) == ["QUERY_TOO_COMPLEX"], body
    assert body["errors"][0]["extensions"]["bound"] == "validation"
    assert body.get("data") is None
    assert statements["count"] == 0


async def test_R24_graphql_cores_own_validation_abort_is_query_too_complex(engine, settings):
    """With the bound out of the way, graphql-core's budget still stops the work; its
    "Validation aborted." reads as the bound it is, not as the client's bad input."""
    async with client_with(engine, settings, max_validation_steps=10**9) as client:
        body = await client.post(REPEATED_LEAF)
    assert codes(body) == ["QUERY_TOO_COMPLEX"], body
    assert body["errors"][0]["extensions"]["bound"] == "validation"


def repeated_chain(levels: int) -> str:
    """Two `parent` fields compared, each spreading a chain of `levels` fragments deep."""
    chain = " ".join(f"fragment P{n} on Territory {{ parent {{ ...P{n + 1} }} }}" for n in range(levels))
    return (
        "query { territories(first: 1) { nodes { parent { ...P0 } parent { ...P0 } } } }"
        f" {chain} fragment P{levels} on Territory {{ name }}"
    )


def test_R24_the_count_stops_at_the_depth_bound_instead_of_recursing_on():
    assert merging_steps(parse(repeated_chain(DEFAULTS.max_depth - 2)), 10_000, DEFAULTS.max_depth) < 1000
    with pytest.raises(TooDeep):
        merging_steps(parse(repeated_chain(DEFAULTS.max_depth)), 10_000, DEFAULTS.max_depth)


class MeteredMerging(OverlappingFieldsCanBeMergedRule):
    """graphql-core's rule, keeping its work counter for the test to read."""

    last: MeteredMerging | None = None

    def __init__(self, context) -> None:
        super().__init__(context)
        MeteredMerging.last = self


@pytest.mark.parametrize("shape", sorted(validation_cost.SHAPES))
def test_R24_the_counted_validation_steps_bound_graphql_cores_own_count(shape):
    """The bound counts graphql-core's steps from above, so a document within it never makes
    graphql-core do more (bench/validation_cost.py builds the shapes)."""
    for size in (2, 3, 5, 10, 20):
        document = parse(validation_cost.SHAPES[shape](size))
        counted = merging_steps(document, 10**9, 100)
        validate(schema._schema, document, [MeteredMerging])
        spent = get_complexity_budget() - MeteredMerging.last.rule_context.remaining_complexity_budget
        assert spent <= counted, (shape, size, spent, counted)


def test_R24_a_page_size_from_a_variables_default_counts_as_execution_takes_it():
    """`first: $n` with `$n: Int! = 100` left out of the request runs with 100: the measure
    counts 100, not the field's own default (which let such a query pass every bound)."""
    document = parse(BY_VARIABLE.replace("query($n: Int!)", "query($n: Int! = 100)"))
    left_out = measure(schema._schema, document)
    sent = measure(schema._schema, parse(BY_VARIABLE), variables={"n": 100})
    assert left_out.nodes == sent.nodes == 100 + 100**2 + 100**3
    assert measure(schema._schema, document, variables={"n": 2}).nodes == 2 + 4 + 8
