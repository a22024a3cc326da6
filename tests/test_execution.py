"""`schema.execution.DirectLeaves` reads plain leaf fields in place: every answer, data and
errors alike, must equal graphql-core's own path, and an extension that wraps every field
must still see every field."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import pytest
import strawberry
from salescoord.schema.execution import DirectLeaves, plan_of
from strawberry.extensions import SchemaExtension


@strawberry.enum
class Colour(enum.Enum):
    RED = "RED"
    BLUE = "BLUE"


@strawberry.type
class Item:
    id: strawberry.ID
    name: str
    note: str | None
    colour: Colour
    made_at: datetime
    broken: str  # declared non-null, holds None in one row: graphql-core's error must show
    count: int

    @strawberry.field
    def shout(self, suffix: str = "!") -> str:
        return self.name.upper() + suffix

    @strawberry.field
    async def later(self) -> str:
        return f"later {self.name}"


ROWS = [
    Item(
        id="1",
        name="one",
        note=None,
        colour=Colour.RED,
        made_at=datetime(2026, 1, 2, tzinfo=UTC),
        broken="fine",
        count=1,
    ),
    Item(
        id="2",
        name="two",
        note="n",
        colour=Colour.BLUE,
        made_at=datetime(2026, 3, 4, tzinfo=UTC),
        broken=None,
        count=2,
    ),  # type: ignore[arg-type]
    Item(
        id="3",
        name="three",
        note="x",
        colour=Colour.RED,
        made_at=datetime(2026, 5, 6, tzinfo=UTC),
        broken="fine",
        count="not a number",
    ),  # type: ignore[arg-type]
]


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return ROWS

    @strawberry.field
    def first(self) -> Item:
        return ROWS[0]


QUERIES = [
    "{ items { id name note colour madeAt } }",
    '{ items { a: name b: name id __typename shout(suffix: "?") later } }',
    "{ items { ...F } } fragment F on Item { name ... on Item { colour note } }",
    "{ items { name broken } }",
    "{ items { name count } }",
    "{ first { name broken count } }",
    "{ items { name @skip(if: true) note @include(if: true) } }",
]


def schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    return strawberry.Schema(Query), strawberry.Schema(Query, execution_context_class=DirectLeaves)


@pytest.mark.parametrize("query", QUERIES)
async def test_direct_leaves_answer_exactly_as_graphql_core(query):
    default, direct = schemas()
    expected, got = await default.execute(query), await direct.execute(query)
    assert got.data == expected.data
    assert [(e.message, e.path) for e in got.errors or []] == [
        (e.message, e.path) for e in expected.errors or []
    ]


async def test_the_cases_above_include_errors_on_both_paths():
    """The comparison is not vacuous: a null in a non-null leaf and a value that does not
    serialise are errors on graphql-core's path, and so on the direct one."""
    _, direct = schemas()
    broken = await direct.execute("{ items { name broken } }")
    assert [e.path for e in broken.errors] == [["items", 1, "broken"]]
    count = await direct.execute("{ items { count } }")
    assert [e.path for e in count.errors] == [["items", 2, "count"]]


def test_only_plain_leaves_take_the_direct_path():
    _, direct = schemas()
    fields = direct._schema.type_map["Item"].fields
    assert plan_of(fields["name"]) is not None
    assert plan_of(fields["madeAt"]) is not None
    assert plan_of(fields["shout"]) is None  # a resolver with arguments
    assert plan_of(fields["later"]) is None  # a resolver
    assert plan_of(direct._schema.type_map["Query"].fields["items"]) is None  # not a leaf


async def test_an_extension_that_wraps_every_field_still_sees_every_field():
    seen: list[str] = []

    class EveryField(SchemaExtension):
        def resolve(self, _next, root, info, *args, **kwargs):
            seen.append(info.field_name)
            return _next(root, info, *args, **kwargs)

    schema = strawberry.Schema(Query, extensions=[EveryField], execution_context_class=DirectLeaves)
    result = await schema.execute("{ first { id name } }")
    assert result.data == {"first": {"id": "1", "name": "one"}}
    assert seen == ["first", "id", "name"]
