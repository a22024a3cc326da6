"""The `DateTime` scalar: ISO 8601, and a time without an offset is UTC.

Strawberry's own scalar hands resolvers a naive time when the client sends no offset, which
the columns refuse (they hold UTC instants), and a time at the ends of the calendar that has
no UTC instant (`0001-01-01T00:00:00+01:00`, `9999-12-31T23:59:59-01:00`), which fails on its
way to the database. Both are settled while the argument is read: a naive time is read as
UTC, and one with no UTC instant is refused like any other malformed value, as BAD_USER_INPUT
naming the argument (R23).

    build_schema(..., scalar_overrides={datetime: DATE_TIME})
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dateutil.parser
from graphql import GraphQLError, StringValueNode, ValueNode, print_ast
from strawberry.schema.types.base_scalars import isoformat, wrap_parser
from strawberry.types.scalar import ScalarDefinition


def parse_datetime(value: str) -> datetime:
    parsed = dateutil.parser.isoparse(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError("It has no UTC time: it lies outside the years 1 to 9999.") from None
    return parsed


def parse_literal(node: ValueNode, _variables: Any = None) -> datetime:
    """A time written in the document. The error carries the literal, so that it names the
    argument around it."""
    try:
        if not isinstance(node, StringValueNode):
            raise ValueError("A DateTime is written as a string.")
        return parse_datetime(node.value)
    except ValueError as error:
        raise GraphQLError(f"Not a DateTime: {print_ast(node)}. {error}", node) from None


DATE_TIME = ScalarDefinition(
    name="DateTime",
    description="Date with time (ISO 8601); a time without an offset is UTC.",
    specified_by_url=None,
    serialize=isoformat,
    parse_value=wrap_parser(parse_datetime, "DateTime"),
    parse_literal=parse_literal,
    origin=datetime,
)
