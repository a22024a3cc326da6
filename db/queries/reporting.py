"""Reporting (R12): activity counted in SQL over the rows the viewer may report on.

Every statement starts from `scoped_events`: the activity rows in the period whose user
is in `Scope.reporting_users()`. Totals and groupings aggregate those rows with GROUP BY
in the database, so a total never counts an event the viewer may not see, and the work
per request does not grow with the number of events in Python.

A grouping is a statement of (key_id, label, rank, <one count per kind>, total), ordered
by rank (most active first) then key_id, so it pages with the keyset cursors of
`db.queries.pages`:

    statement, order = by_company(scope, period)
    page = await fetch_page(db, statement, order, PageRequest(20))
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from salescoord.db.models.records import PeriodUnit
from salescoord.db.queries.activity import ActivityKind
from salescoord.db.queries.period import period_start
from salescoord.db.tables import activities, companies, meeting_attendees, meetings, territories, users
from salescoord.permissions.enums import Audience, Permission, RoleName
from salescoord.permissions.scope import Scope, associations

from salescoord.errors import BadUserInput, Forbidden

COUNT_COLUMNS: dict[ActivityKind, str] = {
    ActivityKind.SIGN_IN: "sign_ins",
    ActivityKind.MEETING_HELD: "meetings_held",
    ActivityKind.NOTE_WRITTEN: "notes_written",
    ActivityKind.ITEM_ADDED: "items_added",
    ActivityKind.SUMMARY_SENT: "summaries_sent",
    ActivityKind.REGISTRATION_DECIDED: "registrations_decided",
}
"""The column (and GraphQL field) that counts each kind of activity."""

Order = tuple[sa.ColumnElement[Any], ...]


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end): UTC, end excluded, so consecutive periods never count an event twice."""

    start: datetime
    end: datetime


LONGEST_PERIOD = timedelta(days=3 * 366)


@dataclass(frozen=True, slots=True)
class Report:
    """What one report counts: a period, and the scope of its audience (R12, R36). The GraphQL
    `reporting` field and the CSV export both start from `report(...)`, so they count the same
    rows with the same statements."""

    period: Period
    audience: Audience
    scope: Scope


def report(scope: Scope, start: datetime, end: datetime, audience: Audience | None) -> Report:
    """The report a viewer asks for. Both times carry an offset. The audience defaults to ALL
    for a viewer with VIEW_REPORTING_ALL_USERS and to MINE for everyone else; ALL without the
    permission is FORBIDDEN (R36)."""
    if end <= start:
        raise BadUserInput("end must be after start.", field="end")
    if end - start > LONGEST_PERIOD:
        raise BadUserInput("A report covers at most three years.", field="end")
    everyone = scope.reports_on_everyone
    if audience is None:
        audience = Audience.ALL if everyone else Audience.MINE
    if audience is Audience.ALL and not everyone:
        raise Forbidden(
            f"Reporting on all users needs the {Permission.VIEW_REPORTING_ALL_USERS.value} permission.",
            field="audience",
        )
    counted = scope if audience is Audience.ALL else scope.reporting_mine()
    return Report(Period(start.astimezone(UTC), end.astimezone(UTC)), audience, counted)


def scoped_events(scope: Scope, period: Period) -> sa.CTE:
    """(id, user_id, kind, subject_id, at) of the events in the period that the viewer may count."""
    event = activities.c
    statement = sa.select(event.id, event.user_id, event.kind, event.subject_id, event.at).where(
        event.at >= period.start, event.at < period.end
    )
    visible = scope.reporting_user_ids()
    if visible is not None:
        statement = statement.where(event.user_id.in_(visible))
    return statement.cte("scoped_events")


def _counts(kind: sa.ColumnElement[str]) -> list[sa.ColumnElement[int]]:
    counted = [
        sa.func.coalesce(sa.func.sum(sa.case((kind == k.value, 1), else_=0)), 0).label(name)
        for k, name in COUNT_COLUMNS.items()
    ]
    return [*counted, sa.func.count().label("total")]


def totals(scope: Scope, period: Period) -> sa.Select:
    events = scoped_events(scope, period)
    return sa.select(*_counts(events.c.kind)).select_from(events)


def _grouped(name: str, key: sa.ColumnElement[Any], kind: sa.ColumnElement[str], source: Any) -> sa.Subquery:
    return (
        sa.select(key.label("key_id"), (-sa.func.count()).label("rank"), *_counts(kind))
        .select_from(source)
        .where(key.is_not(None))
        .group_by(key)
        .subquery(name)
    )


def _labelled(groups: sa.Subquery, table: sa.Table, label: sa.ColumnElement[str]) -> tuple[sa.Select, Order]:
    statement = sa.select(groups, label.label("label")).join(table, table.c.id == groups.c.key_id)
    return statement, (groups.c.rank, groups.c.key_id)


def by_user(scope: Scope, period: Period) -> tuple[sa.Select, Order]:
    """Per-user activity: one row per user with any event in the period."""
    events = scoped_events(scope, period)
    groups = _grouped("per_user", events.c.user_id, events.c.kind, events)
    return _labelled(groups, users, users.c.name)


def by_account_manager(scope: Scope, period: Period) -> tuple[sa.Select, Order]:
    """Per AM of the viewer's reporting: what the AM did, and what happened with the buyers
    associated with them (R1): events about such a buyer, and the buyer's own. An event
    counts once per AM it belongs to; two AMs sharing a buyer both count it."""
    events = scoped_events(scope, period)
    account_managers = scope.reporting_account_managers()
    # a CTE, not a subquery: it is joined twice, and SQLite would walk the tree twice
    pairs = sa.select(associations(account_managers, "report_buyers")).cte("report_pairs")
    own = sa.select(events.c.id.label("event_id"), events.c.user_id.label("am_id")).where(
        events.c.user_id.in_(account_managers)
    )
    about_buyer = sa.select(events.c.id, pairs.c.am_id).join(pairs, pairs.c.buyer_id == events.c.subject_id)
    by_buyer = sa.select(events.c.id, pairs.c.am_id).join(pairs, pairs.c.buyer_id == events.c.user_id)
    attributed = sa.union(own, about_buyer, by_buyer).subquery("attributed")
    source = attributed.join(events, events.c.id == attributed.c.event_id)
    groups = _grouped("per_am", attributed.c.am_id, events.c.kind, source)
    return _labelled(groups, users, users.c.name)


def _with_company(events: sa.CTE) -> tuple[Any, sa.ColumnElement[Any]]:
    """Events joined to the company they concern: the subject buyer's, else the acting
    user's own (a buyer signing in)."""
    subject, actor = users.alias("subject"), users.alias("actor")
    source = events.join(actor, actor.c.id == events.c.user_id).outerjoin(
        subject, subject.c.id == events.c.subject_id
    )
    return source, sa.func.coalesce(subject.c.company_id, actor.c.company_id)


def by_company(scope: Scope, period: Period) -> tuple[sa.Select, Order]:
    events = scoped_events(scope, period)
    source, company_id = _with_company(events)
    groups = _grouped("per_company", company_id, events.c.kind, source)
    return _labelled(groups, companies, companies.c.name)


def by_territory(scope: Scope, period: Period) -> tuple[sa.Select, Order]:
    """Per territory, rolled up the tree: a region counts the events of every company in
    it and in every territory below it (a recursive CTE of (ancestor, territory) pairs)."""
    events = scoped_events(scope, period)
    closure = sa.select(territories.c.id.label("ancestor_id"), territories.c.id.label("territory_id")).cte(
        "territory_closure", recursive=True
    )
    child = territories.alias("closure_child")
    closure = closure.union_all(
        sa.select(closure.c.ancestor_id, child.c.id).join(child, child.c.parent_id == closure.c.territory_id)
    )
    source, company_id = _with_company(events)
    company = companies.alias("event_company")
    source = source.join(company, company.c.id == company_id).join(
        closure, closure.c.territory_id == company.c.territory_id
    )
    groups = _grouped("per_territory", closure.c.ancestor_id, events.c.kind, source)
    return _labelled(groups, territories, territories.c.name)


def by_period(scope: Scope, period: Period, unit: PeriodUnit) -> tuple[sa.Select, Order]:
    """Per day, ISO week (from Monday) or month, in time order; periods without events
    are left out."""
    events = scoped_events(scope, period)
    start = period_start(unit, events.c.at)
    groups = (
        sa.select(start.label("period_start"), *_counts(events.c.kind))
        .select_from(events)
        .group_by(start)
        .subquery("per_period")
    )
    return sa.select(groups), (groups.c.period_start,)


def top_buyers(scope: Scope, period: Period) -> tuple[sa.Select, Order]:
    """Buyers the viewer may report on, by the number of meetings they attended that
    started in the period, most first."""
    attendee = meeting_attendees.c
    visible = scope.reporting_user_ids()
    buyer = users.alias("top_buyer")
    statement = (
        sa.select(
            attendee.buyer_id.label("key_id"),
            sa.func.count().label("meetings"),
            (-sa.func.count()).label("rank"),
        )
        .join(meetings, meetings.c.id == attendee.meeting_id)
        .join(buyer, buyer.c.id == attendee.buyer_id)
        .where(
            meetings.c.starts_at >= period.start,
            meetings.c.starts_at < period.end,
            buyer.c.role == RoleName.BUYER,
        )
        .group_by(attendee.buyer_id)
    )
    if visible is not None:
        statement = statement.where(attendee.buyer_id.in_(visible))
    groups = statement.subquery("per_buyer")
    return _labelled(groups, users, users.c.name)
