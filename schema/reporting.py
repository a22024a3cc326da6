"""The `reporting` root field (R12): activity of the users the viewer may report on."""

from __future__ import annotations

from datetime import datetime

import strawberry

from db.queries import reporting as queries
from permissions.guards import SeesReporting
from resolvers import reporting as resolve
from salescoord.context import Info
from schema.enums import PeriodUnit
from schema.guards import guard
from schema.pagination import Connection
from schema.types import reporting as types
from schema.types.people import PAGE


@strawberry.type(description="Activity in [start, end), counted in SQL over what you may report on (R12).")
class Reporting:
    start: datetime
    end: datetime
    span: strawberry.Private[queries.Period]

    @strawberry.field(description="Every event in the period that you may count.")
    async def totals(self, info: Info) -> types.ActivityCounts:
        return await resolve.totals(info, self.span)

    @strawberry.field(description="Per user, most active first.")
    async def activity(
        self, info: Info, first: int = PAGE, after: str | None = None
    ) -> Connection[types.UserActivity]:
        statement = queries.by_user(info.context.scope, self.span)
        return await resolve.grouped(info, statement, first, after, types.group(types.UserActivity))

    @strawberry.field(description="Per account manager: theirs, and of and about their buyers (R1).")
    async def by_account_manager(
        self, info: Info, first: int = PAGE, after: str | None = None
    ) -> Connection[types.AccountManagerActivity]:
        statement = queries.by_account_manager(info.context.scope, self.span)
        return await resolve.grouped(info, statement, first, after, types.group(types.AccountManagerActivity))

    @strawberry.field(description="Per territory; a territory includes every territory below it.")
    async def by_territory(
        self, info: Info, first: int = PAGE, after: str | None = None
    ) -> Connection[types.TerritoryActivity]:
        statement = queries.by_territory(info.context.scope, self.span)
        return await resolve.grouped(info, statement, first, after, types.group(types.TerritoryActivity))

    @strawberry.field(description="Per company of the buyer an event concerns.")
    async def by_company(
        self, info: Info, first: int = PAGE, after: str | None = None
    ) -> Connection[types.CompanyActivity]:
        statement = queries.by_company(info.context.scope, self.span)
        return await resolve.grouped(info, statement, first, after, types.group(types.CompanyActivity))

    @strawberry.field(description="Per day, week or month, in time order; empty periods are left out.")
    async def by_period(
        self, info: Info, unit: PeriodUnit, first: int = PAGE, after: str | None = None
    ) -> Connection[types.PeriodActivity]:
        statement = queries.by_period(info.context.scope, self.span, unit.value)
        return await resolve.grouped(info, statement, first, after, types.period_row)

    @strawberry.field(description="Buyers by meetings attended that started in the period, most first.")
    async def top_buyers(
        self, info: Info, first: int = PAGE, after: str | None = None
    ) -> Connection[types.BuyerMeetings]:
        statement = queries.top_buyers(info.context.scope, self.span)
        return await resolve.grouped(info, statement, first, after, types.buyer_row)


@strawberry.type
class ReportingQuery:
    @strawberry.field(
        extensions=[guard(SeesReporting())],
        description="Activity reports for staff; buyers get FORBIDDEN (R12). Times without offset: UTC.",
    )
    def reporting(self, info: Info, start: datetime, end: datetime) -> Reporting:
        span = resolve.period(start, end)
        return Reporting(start=span.start, end=span.end, span=span)
