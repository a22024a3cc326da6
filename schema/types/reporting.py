"""Reporting rows (R12): counts per kind of activity, and the groups they are counted by.

A group names its key twice: `label` (the user's, company's or territory's name, as the
report counted it) and the object itself through the viewer's ordinary scope, so a viewer
reporting on everyone (VIEW_REPORTING_ALL_USERS) reads every label but opens only the
objects they may see.
"""

from __future__ import annotations

from typing import Any

import strawberry

from db.queries.reporting import COUNT_COLUMNS
from resolvers import node_types
from salescoord.context import Info
from schema.guards import scoped
from schema.types.people import User
from schema.types.places import Company, Territory


@strawberry.type(description="Events counted per kind, and in all.")
class ActivityCounts:
    sign_ins: int
    meetings_held: int
    notes_written: int
    items_added: int
    summaries_sent: int
    registrations_decided: int
    total: int

    @classmethod
    def from_row(cls, row: Any) -> ActivityCounts:
        return cls(**{name: getattr(row, name) or 0 for name in COUNT_COLUMNS.values()}, total=row.total or 0)


@strawberry.type(description="One user's activity in the period.")
class UserActivity:
    label: str = strawberry.field(description="The user's name.")
    counts: ActivityCounts
    key: strawberry.Private[int]

    @strawberry.field(extensions=[scoped()], description="Null when outside your people scope.")
    async def user(self, info: Info) -> User | None:
        return await node_types.load(info, User, self.key)


@strawberry.type(description="An AM's activity and that of and about their associated buyers (R1).")
class AccountManagerActivity:
    label: str = strawberry.field(description="The AM's name.")
    counts: ActivityCounts
    key: strawberry.Private[int]

    @strawberry.field(extensions=[scoped()])
    async def account_manager(self, info: Info) -> User | None:
        return await node_types.load(info, User, self.key)


@strawberry.type(description="Activity concerning a territory's companies, rolled up the tree.")
class TerritoryActivity:
    label: str = strawberry.field(description="The territory's name.")
    counts: ActivityCounts
    key: strawberry.Private[int]

    @strawberry.field(extensions=[scoped()])
    async def territory(self, info: Info) -> Territory | None:
        return await node_types.load(info, Territory, self.key)


@strawberry.type(description="Activity concerning a company's buyers.")
class CompanyActivity:
    label: str = strawberry.field(description="The company's name.")
    counts: ActivityCounts
    key: strawberry.Private[int]

    @strawberry.field(extensions=[scoped()])
    async def company(self, info: Info) -> Company | None:
        return await node_types.load(info, Company, self.key)


@strawberry.type(description="Activity in one day, week or month.")
class PeriodActivity:
    start: str = strawberry.field(description="First day of the period, YYYY-MM-DD (UTC).")
    counts: ActivityCounts


@strawberry.type(description="A buyer and the meetings they attended in the period.")
class BuyerMeetings:
    label: str = strawberry.field(description="The buyer's name.")
    meetings: int
    key: strawberry.Private[int]

    @strawberry.field(extensions=[scoped()])
    async def buyer(self, info: Info) -> User | None:
        return await node_types.load(info, User, self.key)


def group(kind: type) -> Any:
    """A builder of `kind` (a group type) from a grouped row."""

    def build(row: Any) -> Any:
        return kind(label=row.label, counts=ActivityCounts.from_row(row), key=row.key_id)

    return build


def period_row(row: Any) -> PeriodActivity:
    return PeriodActivity(start=row.period_start, counts=ActivityCounts.from_row(row))


def buyer_row(row: Any) -> BuyerMeetings:
    return BuyerMeetings(label=row.label, meetings=row.meetings, key=row.key_id)
