"""The functions behind `reporting` (R12): read the arguments, page the scoped statements."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from salescoord.db.queries import reporting as queries
from salescoord.resolvers import node_types
from salescoord.resolvers.pagination import top_connection
from salescoord.schema import types
from salescoord.schema.enums import Audience, PeriodUnit
from salescoord.schema.pagination import Connection

from salescoord.context import Info

if TYPE_CHECKING:
    from salescoord.schema.types.people import User
    from salescoord.schema.types.places import Company, Territory
    from salescoord.schema.types.reporting import (
        AccountManagerActivity,
        ActivityCounts,
        BuyerMeetings,
        CompanyActivity,
        PeriodActivity,
        Reporting,
        TerritoryActivity,
        UserActivity,
    )


def reporting(info: Info, start: datetime, end: datetime, audience: Audience | None = None) -> Reporting:
    """Both carry an offset: the DateTime scalar reads a time without one as UTC."""
    report = queries.report(info.context.scope, start, end, audience)
    return types.reporting.Reporting(
        start=report.period.start, end=report.period.end, audience=report.audience, report=report
    )


def _span(report: Reporting) -> queries.Period:
    return report.report.period


def _scope(report: Reporting) -> Any:
    return report.report.scope


def counts(row: Any) -> ActivityCounts:
    return types.reporting.ActivityCounts(
        **{name: getattr(row, name) or 0 for name in queries.COUNT_COLUMNS.values()}, total=row.total or 0
    )


def _group(kind: Callable[..., Any]) -> Callable[[Any], Any]:
    """A builder of `kind` (a group type) from a grouped row."""

    def build(row: Any) -> Any:
        return kind(label=row.label, counts=counts(row), key=row.key_id)

    return build


async def _grouped(
    info: Info,
    statement_and_order: tuple[Any, Any],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    build: Any,
) -> Connection[Any]:
    statement, order = statement_and_order
    return await top_connection(info, statement, order, first, after, last, before, build)


# -- the fields of a report ---------------------------------------------------------------
async def totals(root: Reporting, info: Info) -> ActivityCounts:
    return counts(await info.context.db.fetch_one(queries.totals(_scope(root), _span(root))))


def _grouping(query: Callable[..., tuple[Any, Any]], kind: Callable[[], Any]) -> Callable[..., Any]:
    """The resolver of a report's grouping: `query`'s rows over the report's scope and period,
    each built as the group type `kind()` names (called at the first request: the types import
    the resolvers)."""

    async def resolve(
        root: Any,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Any:
        statement = query(_scope(root), _span(root))
        return await _grouped(info, statement, first, after, last, before, _group(kind()))

    return resolve


activity = _grouping(queries.by_user, lambda: types.reporting.UserActivity)
by_account_manager = _grouping(queries.by_account_manager, lambda: types.reporting.AccountManagerActivity)
by_territory = _grouping(queries.by_territory, lambda: types.reporting.TerritoryActivity)
by_company = _grouping(queries.by_company, lambda: types.reporting.CompanyActivity)


async def by_period(
    root: Reporting,
    info: Info,
    unit: PeriodUnit,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[PeriodActivity]:
    statement = queries.by_period(_scope(root), _span(root), unit)
    return await _grouped(
        info,
        statement,
        first,
        after,
        last,
        before,
        lambda row: types.reporting.PeriodActivity(start=row.period_start, counts=counts(row)),
    )


async def top_buyers(
    root: Reporting,
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[BuyerMeetings]:
    statement = queries.top_buyers(_scope(root), _span(root))
    return await _grouped(
        info,
        statement,
        first,
        after,
        last,
        before,
        lambda row: types.reporting.BuyerMeetings(label=row.label, meetings=row.meetings, key=row.key_id),
    )


# -- the objects the groups name, through the viewer's ordinary scope ----------------------
async def user(root: UserActivity, info: Info) -> User | None:
    return await node_types.load(info, types.people.User, root.key)


async def account_manager(root: AccountManagerActivity, info: Info) -> User | None:
    return await node_types.load(info, types.people.User, root.key)


async def territory(root: TerritoryActivity, info: Info) -> Territory | None:
    return await node_types.load(info, types.places.Territory, root.key)


async def company(root: CompanyActivity, info: Info) -> Company | None:
    return await node_types.load(info, types.places.Company, root.key)


async def buyer(root: BuyerMeetings, info: Info) -> User | None:
    return await node_types.load(info, types.people.User, root.key)
