"""Reporting rows (R12): counts per kind of activity, and the groups they are counted by.

A group names its key twice: `label` (the user's, company's or territory's name, as the
report counted it) and the object itself through the viewer's ordinary scope, so a viewer
reporting on everyone (VIEW_REPORTING_ALL_USERS) reads every label but opens only the
objects they may see.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from salescoord.db.queries.reporting import Report
from salescoord.resolvers import reporting as resolve
from salescoord.schema.enums import Audience
from salescoord.schema.guards import scoped
from salescoord.schema.pagination import Connection
from salescoord.schema.types.people import User
from salescoord.schema.types.places import Company, Territory


@strawberry.type(description="Activity in [start, end), counted in SQL over what you may report on (R12).")
class Reporting:
    start: datetime
    end: datetime
    audience: Audience = strawberry.field(description="Whose activity the report counts (R36).")
    report: strawberry.Private[Report]
    totals: ActivityCounts = strawberry.field(
        resolver=resolve.totals, description="Every event in the period that you may count."
    )
    activity: Connection[UserActivity] = strawberry.field(
        resolver=resolve.activity, description="Per user, most active first."
    )
    by_account_manager: Connection[AccountManagerActivity] = strawberry.field(
        resolver=resolve.by_account_manager,
        description="Per account manager: theirs, and of and about their buyers (R1).",
    )
    by_territory: Connection[TerritoryActivity] = strawberry.field(
        resolver=resolve.by_territory,
        description="Per territory; a territory includes every territory below it.",
    )
    by_company: Connection[CompanyActivity] = strawberry.field(
        resolver=resolve.by_company, description="Per company of the buyer an event concerns."
    )
    by_period: Connection[PeriodActivity] = strawberry.field(
        resolver=resolve.by_period,
        description="Per day, week or month, in time order; empty periods are left out.",
    )
    top_buyers: Connection[BuyerMeetings] = strawberry.field(
        resolver=resolve.top_buyers,
        description="Buyers by meetings attended that started in the period, most first.",
    )


@strawberry.type(description="Events counted per kind, and in all.")
class ActivityCounts:
    sign_ins: int
    meetings_held: int
    notes_written: int
    items_added: int
    summaries_sent: int
    registrations_decided: int
    total: int


@strawberry.type(description="One user's activity in the period.")
class UserActivity:
    label: str = strawberry.field(description="The user's name.")
    counts: ActivityCounts
    key: strawberry.Private[int]
    user: User | None = strawberry.field(
        resolver=resolve.user, extensions=[scoped()], description="Null when outside your people scope."
    )


@strawberry.type(description="An AM's activity and that of and about their associated buyers (R1).")
class AccountManagerActivity:
    label: str = strawberry.field(description="The AM's name.")
    counts: ActivityCounts
    key: strawberry.Private[int]
    account_manager: User | None = strawberry.field(resolver=resolve.account_manager, extensions=[scoped()])


@strawberry.type(description="Activity concerning a territory's companies, rolled up the tree.")
class TerritoryActivity:
    label: str = strawberry.field(description="The territory's name.")
    counts: ActivityCounts
    key: strawberry.Private[int]
    territory: Territory | None = strawberry.field(resolver=resolve.territory, extensions=[scoped()])


@strawberry.type(description="Activity concerning a company's buyers.")
class CompanyActivity:
    label: str = strawberry.field(description="The company's name.")
    counts: ActivityCounts
    key: strawberry.Private[int]
    company: Company | None = strawberry.field(resolver=resolve.company, extensions=[scoped()])


@strawberry.type(description="Activity in one day, week or month.")
class PeriodActivity:
    start: str = strawberry.field(description="First day of the period, YYYY-MM-DD (UTC).")
    counts: ActivityCounts


@strawberry.type(description="A buyer and the meetings they attended in the period.")
class BuyerMeetings:
    label: str = strawberry.field(description="The buyer's name.")
    meetings: int
    key: strawberry.Private[int]
    buyer: User | None = strawberry.field(resolver=resolve.buyer, extensions=[scoped()])
