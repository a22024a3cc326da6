"""The change feed (R18): what changed, in order, among the meetings (and their attendees),
notes, lists, list items and catalogue items one viewer may see.

Rows come from `change_log`, written by triggers (migration 0002). Each row only says
*which* object changed and in what context; what the viewer is told is decided when they
read, from the current state and the viewer's scope, in SQL:

- the object exists and is visible            -> UPSERT (the app stores the current object)
- it exists, is not visible, context visible  -> REMOVED_FROM_VIEW
- it is gone, context visible                 -> DELETED
- otherwise (never the viewer's business)     -> nothing
"Context visible" means the viewer sees the note's meeting, the item's list, the meeting
the list was attached to, or was the list's owner / buyer, or could reach meetings of the
meeting's former host. An SC losing an AM (COVERAGE row) gets the AM's meetings, and
the lists attached to them, as REMOVED_FROM_VIEW (or UPSERT when gained).

Ordering without gaps: on SQLite writers are serialised, so ids grow in commit order. On
PostgreSQL a transaction may take id 5 and commit after the one that took id 6; a reader
that handed out 6 and moved its cursor past it would skip 5 forever. So every row carries
its transaction id (xid), the feed orders by (xid, id) and hands out only rows whose xid is
older than the oldest transaction still running (the snapshot's xmin): every such
transaction has finished, so no row can later appear before the cursor. Transactions that
pg_stat_activity places in another database of the server are passed over: they cannot
write this log, and a long one (a bulk load elsewhere) would otherwise stall the feed.

One read takes that horizon once, as a number, and both the page and the `caughtUp` answer
use it. Evaluated in each statement, it could move between them: a row held back from the
page (above the horizon then) would be below it when `caughtUp` is decided, and the answer
would say "caught up" without having handed it out.

Retention: rows older than RETENTION (plus a day's margin for long transactions) are
purged; a cursor issued longer ago than RETENTION gets RESYNC_REQUIRED, never a gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from salescoord.db.models.base import utcnow
from salescoord.db.models.sync import ChangeEntity, ChangeKind, ChangeOp
from salescoord.db.session import RequestDatabase
from salescoord.db.tables import (
    change_log,
    contents,
    list_items,
    lists,
    meeting_attendees,
    meeting_lists,
    meetings,
    notes,
    users,
)
from salescoord.permissions.enums import Channel, RoleName
from salescoord.permissions.scope import Scope

RETENTION = timedelta(days=30)  # the default of the FEED_RETENTION_DAYS setting
PURGE_MARGIN = timedelta(days=1)
CHANGE = change_log.c
TYPE_BY_ENTITY = {
    ChangeEntity.MEETING: "Meeting",
    ChangeEntity.NOTE: "Note",
    ChangeEntity.LIST: "List",
    ChangeEntity.LIST_ITEM: "ListItem",
    ChangeEntity.ATTENDEE: "Attendee",
    ChangeEntity.CONTENT: "Content",
}
ENTITY_BY_TYPE = {type_name: entity for entity, type_name in TYPE_BY_ENTITY.items()}
HOST = "HOST"  # the key of "the meeting's host at the cursor's time was within reach"


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry: `pk` is the object's (for an Attendee, the buyer's: a User), `meeting_pk` an
    Attendee's meeting."""

    kind: ChangeKind
    type_name: str
    pk: int
    meeting_pk: int | None = None

    @property
    def node_type(self) -> str:
        """The Node type the entry's id names."""
        return "User" if self.type_name == "Attendee" else self.type_name


# The snapshot's oldest running transaction, passing over those that other databases of the
# server run (they cannot write this change log), else the next transaction id. A running
# transaction of this database, or one whose database is unknown (pg_stat_activity may hide
# it, or lag), still holds the horizon; one that pg_stat_activity places elsewhere cannot
# have written here. An xid8 is compared by its low 32 bits, which is what backend_xid shows.
HORIZON = sa.text(
    """
    WITH snapshot AS (SELECT pg_current_snapshot() AS taken),
    elsewhere AS (
      SELECT backend_xid::text::bigint AS xid FROM pg_stat_activity
      WHERE backend_xid IS NOT NULL AND datname IS NOT NULL AND datname <> current_database()
    )
    SELECT LEAST(
      (SELECT pg_snapshot_xmax(taken)::text::bigint FROM snapshot),
      (SELECT min(running::text::bigint) FROM snapshot, pg_snapshot_xip(taken) AS running
       WHERE running::text::bigint % 4294967296 NOT IN (SELECT xid FROM elsewhere))
    )
    """
)


def horizon(dialect: str) -> sa.TextClause | None:
    """The oldest transaction id still running in this database (None on SQLite): every row
    of an older transaction is final. See the module's docstring."""
    return HORIZON if dialect == "postgresql" else None


async def current_horizon(db: RequestDatabase) -> int | None:
    statement = horizon(db.dialect)
    return None if statement is None else await db.scalar(statement)


def _safe(below: int | None) -> sa.ColumnElement[bool]:
    return sa.true() if below is None else CHANGE.xid < below


def head(below: int | None) -> sa.Select:
    """The newest row a reader may be handed now: where a fresh client's cursor starts."""
    return (
        sa.select(CHANGE.xid, CHANGE.id)
        .where(_safe(below))
        .order_by(CHANGE.xid.desc(), CHANGE.id.desc())
        .limit(1)
    )


async def start(db: RequestDatabase) -> tuple[int, int]:
    row = await db.fetch_one(head(await current_horizon(db)))
    return (row.xid, row.id) if row is not None else (0, 0)


def _about(meeting_id: int | None) -> sa.ColumnElement[bool]:
    """Rows of one meeting, its notes and lists (a subscription), or every row."""
    if meeting_id is None:
        return sa.true()
    itself = sa.and_(CHANGE.entity == ChangeEntity.MEETING, CHANGE.entity_id == meeting_id)
    return sa.or_(CHANGE.meeting_id == meeting_id, itself)


def held_back(below: int | None, after: tuple[int, int], meeting_id: int | None = None) -> sa.Select:
    """A committed row after the cursor that waits behind a transaction of this database still
    running: the app should ask again shortly."""
    return (
        sa.select(CHANGE.id)
        .where(sa.tuple_(CHANGE.xid, CHANGE.id) > sa.tuple_(*after), ~_safe(below), _about(meeting_id))
        .limit(1)
    )


def page(below: int | None, after: tuple[int, int], first: int, meeting_id: int | None = None) -> sa.Select:
    return (
        sa.select(*change_log.c)
        .where(sa.tuple_(CHANGE.xid, CHANGE.id) > sa.tuple_(*after), _safe(below), _about(meeting_id))
        .order_by(CHANGE.xid, CHANGE.id)
        .limit(first + 1)
    )


def _ids(table: sa.Table, where: Any = None, join: Any = None) -> sa.Select:
    statement = sa.select(table.c.id)
    if join is not None:
        statement = statement.select_from(join)
    return (statement.where(where) if where is not None else statement).correlate(None)


def classify(scope: Scope, row_ids: list[int]) -> sa.Select:
    """For each change row: is its object visible now, does it still exist, and may the
    viewer know of it (its context is visible)?"""
    viewer = scope.viewer
    is_buyer = viewer is not None and viewer.role is RoleName.BUYER
    me = viewer.id if viewer is not None else -1
    seen_meetings = _ids(meetings, scope.meetings())
    seen_lists = _ids(lists, scope.lists())
    seen_items = (
        sa.select(list_items.c.id).join(lists, lists.c.id == list_items.c.list_id).where(scope.lists())
    )
    attends = (
        sa.exists()
        .where(
            meeting_attendees.c.meeting_id == CHANGE.meeting_id,
            meeting_attendees.c.buyer_id == CHANGE.entity_id,
        )
        .correlate(change_log)
    )
    attendee_in_sight = sa.and_(
        CHANGE.meeting_id.in_(seen_meetings), CHANGE.entity_id.in_(_ids(users, scope.users()))
    )
    entity = CHANGE.entity
    visible = sa.case(
        (entity == ChangeEntity.MEETING, CHANGE.entity_id.in_(seen_meetings)),
        (entity == ChangeEntity.NOTE, CHANGE.entity_id.in_(_ids(notes, scope.notes()))),
        (entity == ChangeEntity.LIST, CHANGE.entity_id.in_(seen_lists)),
        (entity == ChangeEntity.LIST_ITEM, CHANGE.entity_id.in_(seen_items.correlate(None))),
        (entity == ChangeEntity.ATTENDEE, sa.and_(attends, attendee_in_sight)),
        (entity == ChangeEntity.CONTENT, CHANGE.entity_id.in_(_ids(contents, scope.contents()))),
        else_=sa.false(),
    )
    present = sa.case(
        (entity == ChangeEntity.MEETING, CHANGE.entity_id.in_(_ids(meetings))),
        (entity == ChangeEntity.NOTE, CHANGE.entity_id.in_(_ids(notes))),
        (entity == ChangeEntity.LIST, CHANGE.entity_id.in_(_ids(lists))),
        (entity == ChangeEntity.LIST_ITEM, CHANGE.entity_id.in_(_ids(list_items))),
        (entity == ChangeEntity.ATTENDEE, attends),
        (entity == ChangeEntity.CONTENT, CHANGE.entity_id.in_(_ids(contents))),
        else_=sa.false(),
    )
    meeting_context = scope.hosts_once_managed(CHANGE.owner_id)
    if is_buyer and viewer.channel is Channel.WEB:  # an attendee removed (R13)
        meeting_context = sa.or_(meeting_context, CHANGE.buyer_id == me)
    note_context = CHANGE.meeting_id.in_(seen_meetings)
    if is_buyer:
        note_context = sa.and_(note_context, CHANGE.host_only.is_(False))
    if is_buyer:  # a buyer sees the lists shared with them, never one through a meeting (R37)
        list_context = CHANGE.buyer_id == me
    else:
        list_context = sa.or_(
            CHANGE.meeting_id.in_(seen_meetings), CHANGE.owner_id == me, CHANGE.is_global.is_(True)
        )
    context = sa.case(
        (entity == ChangeEntity.MEETING, meeting_context),
        (entity == ChangeEntity.NOTE, note_context),
        (entity == ChangeEntity.LIST, list_context),
        (entity == ChangeEntity.LIST_ITEM, CHANGE.list_id.in_(seen_lists)),
        (entity == ChangeEntity.ATTENDEE, attendee_in_sight),
        (entity == ChangeEntity.CONTENT, sa.false() if is_buyer else sa.true()),
        else_=sa.false(),
    )
    return sa.select(
        CHANGE.id,
        visible.label("visible"),
        present.label("present"),
        context.label("context"),
    ).where(CHANGE.id.in_(row_ids), entity != ChangeEntity.COVERAGE)


def _ever_attached(meeting_ids: sa.Select) -> sa.Select:
    """Lists attached to these meetings now, or at any time the log remembers: a list that
    left a meeting after the meeting left the viewer's sight is still on their device."""
    now = sa.select(meeting_lists.c.list_id).where(meeting_lists.c.meeting_id.in_(meeting_ids))
    logged = sa.select(CHANGE.entity_id).where(
        CHANGE.entity == ChangeEntity.LIST, CHANGE.meeting_id.in_(meeting_ids)
    )
    return sa.union(now, logged)


def _ever_hosted(am_id: int) -> sa.Select:
    """Meetings an AM hosts now, or hosted before a change of host the log remembers."""
    now = sa.select(meetings.c.id).where(meetings.c.host_id == am_id)
    logged = sa.select(CHANGE.entity_id).where(
        CHANGE.entity == ChangeEntity.MEETING, CHANGE.owner_id == am_id
    )
    return sa.union(now, logged)


def lists_out_of_sight(scope: Scope, meeting_id: int) -> sa.Select:
    """The lists that leave the viewer's sight with a meeting (reached only through it, R11)."""
    attached = _ever_attached(sa.select(sa.literal(meeting_id)))
    return sa.select(lists.c.id).where(
        lists.c.id.in_(attached), lists.c.id.not_in(_ids(lists, scope.lists()))
    )


def coverage(scope: Scope, am_id: int, before: Any) -> tuple[sa.Select, sa.Select]:
    """What an SC's link to an AM changed for them: the AM's meetings (now or formerly
    theirs, made before the change; SQLite stamps the log to the second), and the lists
    attached to them, each with whether it is visible now."""
    seen_meetings = _ids(meetings, scope.meetings())
    seen_lists = _ids(lists, scope.lists())
    of_am = sa.select(meetings.c.id).where(
        meetings.c.id.in_(_ever_hosted(am_id)), meetings.c.created_at <= before + timedelta(seconds=1)
    )
    meeting_rows = sa.select(meetings.c.id, meetings.c.id.in_(seen_meetings).label("visible")).where(
        meetings.c.id.in_(of_am)
    )
    list_rows = sa.select(lists.c.id, lists.c.id.in_(seen_lists).label("visible")).where(
        lists.c.id.in_(_ever_attached(of_am))
    )
    return meeting_rows, list_rows


@dataclass(frozen=True, slots=True)
class FeedPage:
    entries: list[Entry]
    position: tuple[int, int]  # the cursor after these entries
    more: bool  # more rows wait: ask again at once
    caught_up: bool  # nothing committed waits behind a running transaction


async def read(
    db: RequestDatabase, scope: Scope, after: tuple[int, int], first: int, meeting_id: int | None = None
) -> FeedPage:
    """Entries after the cursor `after`; with `meeting_id`, only those of that meeting and its
    notes and lists (a subscription)."""
    below = await current_horizon(db)
    rows = await db.fetch(page(below, after, first, meeting_id))
    more = len(rows) > first
    rows = rows[:first]
    position = (rows[-1].xid, rows[-1].id) if rows else after
    caught_up = more or await db.fetch_one(held_back(below, position, meeting_id)) is None
    if not rows:
        return FeedPage([], after, False, caught_up)
    verdicts = {r.id: r for r in await db.fetch(classify(scope, [r.id for r in rows]))}
    viewer = scope.viewer
    is_buyer = viewer.role is RoleName.BUYER
    # (entry, the log keys of which one created after the cursor means the viewer cannot hold it)
    found: list[tuple[Entry, list[tuple]]] = []
    for row in rows:
        if row.entity == ChangeEntity.COVERAGE:
            if viewer.channel is Channel.WEB and row.owner_id == viewer.id:
                link = (ChangeEntity.COVERAGE, row.entity_id, row.owner_id)
                found += [(entry, [link, _key(entry)]) for entry in await _coverage_entries(db, scope, row)]
            continue
        kind = _kind(verdicts[row.id])
        if kind is None:
            continue
        entry = Entry(
            kind,
            TYPE_BY_ENTITY[row.entity],
            row.entity_id,
            row.meeting_id if row.entity == ChangeEntity.ATTENDEE else None,
        )
        keys = [_key(entry)]
        if row.entity == ChangeEntity.LIST and row.meeting_id is not None:  # seen through the attachment
            keys.append((ChangeEntity.LIST, row.entity_id, row.meeting_id))
        left = kind == ChangeKind.REMOVED_FROM_VIEW and row.entity == ChangeEntity.MEETING
        if row.entity == ChangeEntity.MEETING and kind != ChangeKind.UPSERT:
            if is_buyer:  # a web buyer saw the meeting only if attending it at the cursor's time
                keys.append((ChangeEntity.ATTENDEE, viewer.id, row.entity_id))
            else:  # staff saw it only if its host at the cursor's time was within their reach
                keys.append((HOST, row.entity_id))
        found.append((entry, keys))
        if left and not is_buyer:  # the lists reached only through this meeting (R11) leave with it
            for hidden in await db.fetch(lists_out_of_sight(scope, row.entity_id)):
                gone = Entry(ChangeKind.REMOVED_FROM_VIEW, "List", hidden.id)
                found.append((gone, [_key(gone), *keys, (ChangeEntity.LIST, hidden.id, row.entity_id)]))
    asked = [key for entry, keys in found if entry.kind != ChangeKind.UPSERT for key in keys]
    entered = await _entered_after(db, after, [key for key in asked if key[0] != HOST])
    hosted = [key[1] for key in asked if key[0] == HOST]
    entered |= {(HOST, pk) for pk in await _hosted_out_of_reach(db, scope, after, hosted)}
    entries = [
        entry
        for entry, keys in found
        if entry.kind == ChangeKind.UPSERT or not any(key in entered for key in keys)
    ]
    return FeedPage(_latest(entries), position, more, caught_up)


async def _hosted_out_of_reach(
    db: RequestDatabase, scope: Scope, after: tuple[int, int], meeting_ids: list[int]
) -> set[int]:
    """The meetings whose host at the cursor's time was out of the viewer's reach: a meeting
    moved to a host of theirs and away again after the cursor was never in their view. The
    host at that time is the one before the first change of the meeting's row after the
    cursor (`owner_id` of a row of the meetings table; an attendee's row names no host)."""
    if not meeting_ids:
        return set()
    statement = (
        sa.select(CHANGE.entity_id, CHANGE.owner_id, CHANGE.op)
        .where(
            sa.tuple_(CHANGE.xid, CHANGE.id) > sa.tuple_(*after),
            CHANGE.entity == ChangeEntity.MEETING,
            CHANGE.buyer_id.is_(None),
            CHANGE.entity_id.in_(sorted(set(meeting_ids))),
        )
        .order_by(CHANGE.xid, CHANGE.id)
    )
    first: dict[int, Any] = {}
    for row in await db.fetch(statement):
        first.setdefault(row.entity_id, row)
    hosts = {pk: row.owner_id for pk, row in first.items() if row.owner_id is not None}
    if not hosts:
        return set()
    in_reach = sa.select(users.c.id).where(
        users.c.id.in_(sorted(set(hosts.values()))), scope.hosts_once_managed(users.c.id)
    )
    reached = {row.id for row in await db.fetch(in_reach)}
    return {pk for pk, host in hosts.items() if host not in reached}


def _key(entry: Entry) -> tuple:
    """The change-log key of an entry's object (an attendance: buyer and meeting)."""
    entity = ENTITY_BY_TYPE[entry.type_name]
    if entity == ChangeEntity.ATTENDEE:
        return (entity, entry.pk, entry.meeting_pk)
    return (entity, entry.pk)


def _row_key(row: Any) -> tuple:
    """A row's key: the object, or for a list's attachment to a meeting, an attendance and an
    AM-SC link, the pair."""
    if row.entity == ChangeEntity.LIST and row.meeting_id is not None:
        return (row.entity, row.entity_id, row.meeting_id)
    if row.entity == ChangeEntity.ATTENDEE:
        return (row.entity, row.entity_id, row.meeting_id)
    if row.entity == ChangeEntity.COVERAGE:
        return (row.entity, row.entity_id, row.owner_id)
    return (row.entity, row.entity_id)


async def _entered_after(db: RequestDatabase, after: tuple[int, int], keys: list[tuple]) -> set[tuple]:
    """The keys whose first change-log row after the cursor is an INSERT: the object (the
    attendance, the AM-SC link) did not exist at the cursor's time. Rows written before
    revision 0010 say UPDATE, which keeps the entries they gave before."""
    if not keys:
        return set()
    statement = (
        sa.select(CHANGE.entity, CHANGE.entity_id, CHANGE.meeting_id, CHANGE.owner_id, CHANGE.op)
        .where(
            sa.tuple_(CHANGE.xid, CHANGE.id) > sa.tuple_(*after),
            CHANGE.entity.in_(sorted({str(key[0]) for key in keys})),
            CHANGE.entity_id.in_(sorted({key[1] for key in keys})),
        )
        .order_by(CHANGE.xid, CHANGE.id)
    )
    wanted, first_op = set(keys), {}
    for row in await db.fetch(statement):
        key = _row_key(row)
        if key in wanted:
            first_op.setdefault(key, row.op)
    return {key for key, op in first_op.items() if op == ChangeOp.INSERT}


def _kind(verdict: Any) -> ChangeKind | None:
    if verdict.visible:
        return ChangeKind.UPSERT
    if not verdict.context:
        return None
    return ChangeKind.REMOVED_FROM_VIEW if verdict.present else ChangeKind.DELETED


async def _coverage_entries(db: RequestDatabase, scope: Scope, row: Any) -> list[Entry]:
    meeting_rows, list_rows = coverage(scope, row.entity_id, row.at)
    entries = [
        Entry(ChangeKind.UPSERT if r.visible else ChangeKind.REMOVED_FROM_VIEW, "Meeting", r.id)
        for r in await db.fetch(meeting_rows)
    ]
    entries += [
        Entry(ChangeKind.UPSERT if r.visible else ChangeKind.REMOVED_FROM_VIEW, "List", r.id)
        for r in await db.fetch(list_rows)
    ]
    return entries


def _latest(entries: list[Entry]) -> list[Entry]:
    """One entry per object, at the place of its last change (entries reflect current state)."""
    last = {(e.type_name, e.pk, e.meeting_pk): i for i, e in enumerate(entries)}
    return [e for i, e in enumerate(entries) if last[(e.type_name, e.pk, e.meeting_pk)] == i]


async def purge(connection: AsyncConnection, retention: timedelta = RETENTION) -> None:
    await connection.execute(change_log.delete().where(CHANGE.at < utcnow() - retention - PURGE_MARGIN))
