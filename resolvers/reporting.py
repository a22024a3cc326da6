"""The functions behind `reporting` (R12): read the arguments, page the scoped statements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from db.queries import reporting as queries
from resolvers.pagination import top_connection
from salescoord.context import Info
from salescoord.errors import BadUserInput
from schema.pagination import Connection
from schema.types import reporting as types

LONGEST_PERIOD = timedelta(days=3 * 366)


def period(start: datetime, end: datetime) -> queries.Period:
    """Both carry an offset: the DateTime scalar reads a time without one as UTC."""
    if end <= start:
        raise BadUserInput("end must be after start.", field="end")
    if end - start > LONGEST_PERIOD:
        raise BadUserInput("A report covers at most three years.", field="end")
    return queries.Period(start.astimezone(UTC), end.astimezone(UTC))


async def totals(info: Info, span: queries.Period) -> types.ActivityCounts:
    row = await info.context.db.fetch_one(queries.totals(info.context.scope, span))
    return types.ActivityCounts.from_row(row)


async def grouped(
    info: Info, statement_and_order: tuple[Any, Any], first: int, after: str | None, build: Any
) -> Connection[Any]:
    statement, order = statement_and_order
    return await top_connection(info, statement, order, first, after, build)
