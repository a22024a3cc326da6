"""Reporting as CSV (R36): each grouping of `reporting` downloads with exactly its figures.

    GET /reports/byCompany.csv?start=2026-01-01T00:00:00Z&end=2026-04-01T00:00:00Z&audience=MINE
    Authorization: Bearer <a web token>

The grouping is named as in GraphQL (`activity`, `byAccountManager`, `byTerritory`,
`byCompany`, `byPeriod` with `unit=DAY|WEEK|MONTH`, `topBuyers`). The caller signs in as for
/graphql, read fresh from the database on every request (R14), on the web channel; the report
is the one `reporting(start, end, audience)` answers (`db.queries.reporting.report`: the
period's bounds, the audience and its scope, R12), counted by the same statements, in the same
order, with the same figures (`resolvers.reporting`), every row of it rather than a page.
Refusals answer as GraphQL errors do, JSON with `extensions.code` (R22).

Rows are streamed from one statement as the database returns them. A cell that a spreadsheet
would read as a formula (a name starting with = + - @, a tab or a carriage return) is written
with a leading apostrophe (OWASP's CSV injection advice).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from salescoord.context import bearer_token, build_context
from salescoord.db.models.records import PeriodUnit
from salescoord.db.queries import reporting as queries
from salescoord.db.session import RequestDatabase
from salescoord.errors import BadUserInput, Forbidden, NotFound, RateLimited, ServiceError, Unauthenticated
from salescoord.permissions.enums import Audience, Channel, RoleName
from salescoord.resolvers import reporting as resolve
from salescoord.schema.datetimes import parse_datetime

request_log = logging.getLogger("salescoord.request")
ROWS_PER_CHUNK = 500
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COUNT_FIELDS = [*queries.COUNT_COLUMNS.values(), "total"]
"""The fields of `ActivityCounts`, in the schema's order."""
STATUS = {
    Unauthenticated.code: 401,
    Forbidden.code: 403,
    NotFound.code: 404,
    BadUserInput.code: 400,
    RateLimited.code: 429,
}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@dataclass(frozen=True)
class Grouping:
    """A grouping of `Reporting`: its statement, its CSV header, and a row's cells."""

    statement: Callable[[queries.Report, PeriodUnit | None], tuple[sa.Select, Sequence[Any]]]
    key: str  # the first column: the label, or a period's start
    cells: Callable[[Any], list[Any]]


def _counted(row: Any) -> list[Any]:
    counts = resolve.counts(row)
    return [row.label, *(getattr(counts, name) for name in COUNT_FIELDS)]


def _grouped(build: Callable[[Any, queries.Period], tuple[sa.Select, Any]]) -> Grouping:
    return Grouping(lambda report, _unit: build(report.scope, report.period), "label", _counted)


def _by_period(report: queries.Report, unit: PeriodUnit | None) -> tuple[sa.Select, Any]:
    assert unit is not None
    return queries.by_period(report.scope, report.period, unit)


GROUPINGS: dict[str, Grouping] = {
    "activity": _grouped(queries.by_user),
    "byAccountManager": _grouped(queries.by_account_manager),
    "byTerritory": _grouped(queries.by_territory),
    "byCompany": _grouped(queries.by_company),
    "byPeriod": Grouping(
        _by_period,
        "start",
        lambda row: [row.period_start, *(getattr(resolve.counts(row), name) for name in COUNT_FIELDS)],
    ),
    "topBuyers": Grouping(
        lambda report, _unit: queries.top_buyers(report.scope, report.period),
        "label",
        lambda row: [row.label, row.meetings],
    ),
}


def header(name: str) -> list[str]:
    grouping = GROUPINGS[name]
    figures = ["meetings"] if name == "topBuyers" else [camel(field) for field in COUNT_FIELDS]
    return [grouping.key, *figures]


def safe_cell(value: Any) -> Any:
    """A text cell a spreadsheet would take for a formula, made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([[safe_cell(c) for c in row] for row in rows])
    return buffer.getvalue()


def _refusal(error: ServiceError) -> JSONResponse:
    headers = {}
    if "retryAfter" in error.extensions:
        headers["Retry-After"] = str(error.extensions["retryAfter"])
    return JSONResponse(
        {"errors": [{"message": error.message, "extensions": error.extensions}]},
        status_code=STATUS.get(error.code, 400),
        headers=headers,
    )


def _moment(request: Request, name: str) -> Any:
    value = request.query_params.get(name)
    if not value:
        raise BadUserInput(f"{name} is required.", field=name)
    try:
        return parse_datetime(value)
    except (ValueError, OverflowError) as error:
        raise BadUserInput(f"Not a DateTime: {error}", field=name) from None


def _choice(request: Request, name: str, kind: Any) -> Any:
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return kind[value]
    except KeyError:
        raise BadUserInput(f"{name} is one of {', '.join(kind.__members__)}.", field=name) from None


async def _prepare(request: Request, db: RequestDatabase, name: str) -> tuple[queries.Report, sa.Select]:
    """The report the request asks for, checked as `reporting(...)` checks it; the statement
    of its grouping, ordered as the connection is."""
    grouping = GROUPINGS.get(name)
    if grouping is None:
        raise NotFound(f"No grouping {name!r}: one of {', '.join(GROUPINGS)}.")
    graphql = request.app.state.graphql
    context = await build_context(
        db, graphql.settings, bearer_token(request.headers), request=request, passwords=graphql.passwords
    )
    viewer = context.viewer
    if viewer is None:
        raise Unauthenticated()
    if graphql.budget is not None:
        await graphql.budget.spend(context, str(viewer.id))
    if viewer.channel is not Channel.WEB:
        raise Forbidden("Reports download with a web sign-in.")
    if viewer.role is RoleName.BUYER:
        raise Forbidden("Buyers see no reporting.")
    start, end = _moment(request, "start"), _moment(request, "end")
    audience = _choice(request, "audience", Audience)
    unit = _choice(request, "unit", PeriodUnit)
    if name == "byPeriod" and unit is None:
        raise BadUserInput("unit is required: DAY, WEEK or MONTH.", field="unit")
    report = queries.report(context.scope, start, end, audience)
    statement, order = grouping.statement(report, unit)
    return report, statement.order_by(*order)


async def export_report(request: Request) -> Response:
    name = request.path_params["grouping"]
    graphql = request.app.state.graphql
    db = RequestDatabase(graphql.engine)
    try:
        report, statement = await _prepare(request, db, name)
    except ServiceError as error:
        return _refusal(error)
    finally:
        await db.close()
    cells = GROUPINGS[name].cells
    viewer = report.scope.viewer
    request_log.info(
        "report export",
        extra={"user_id": viewer.id if viewer else None, "grouping": name, "audience": report.audience.value},
    )

    async def lines() -> AsyncIterator[str]:
        yield _csv([header(name)])
        async with graphql.engine.connect() as connection:
            result = await connection.stream(statement)
            async for rows in result.partitions(ROWS_PER_CHUNK):
                yield _csv([cells(row) for row in rows])

    period = f"{report.period.start:%Y-%m-%d}-{report.period.end:%Y-%m-%d}"
    filename = f"{name}-{report.audience.value.lower()}-{period}.csv"
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "X-Report-Audience": report.audience.value,
        },
    )
