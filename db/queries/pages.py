"""Keyset pagination, both ways, for one list or for many parents' lists in one statement.

A page is ordered by a sort key ending in the primary key, and each row's cursor is its
sort key, so a page never repeats or skips rows when rows are added before it (unlike
offsets). `first` rows after a cursor read the order forwards; `last` rows before a cursor
read it backwards (ORDER BY every sort column DESC) and are returned in the list's order,
so walking a list from either end gives the same rows in the same order (Relay).

Nested connections (an AM's buyers for each of 200 AMs) page every parent at once with
ROW_NUMBER() OVER (PARTITION BY parent), in either direction: one statement however many
parents there are.
"""

from __future__ import annotations

import base64
import json
import weakref
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from salescoord.db.session import RequestDatabase
from salescoord.db.storable import BIGINT, INTEGER, fits, storable_text
from salescoord.permissions.scope import Scope
from sqlalchemy.engine import Row

from salescoord.errors import BadUserInput

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
"""`first` when a query gives neither `first` nor `last`."""


@dataclass(frozen=True, slots=True)
class PageRequest:
    """`first` rows from the start, or `last` rows from the end, of the rows between the
    cursors `after` and `before` (sort keys decoded from cursors); exactly one of `first`
    and `last` is set.

    >>> PageRequest.parse(None, None, 10, cursor)  # the 10 rows just before `cursor`
    """

    first: int | None = None
    after: tuple[Any, ...] | None = None
    last: int | None = None
    before: tuple[Any, ...] | None = None

    @classmethod
    def parse(
        cls, first: int | None, after: str | None, last: int | None = None, before: str | None = None
    ) -> PageRequest:
        if first is not None and last is not None:
            raise BadUserInput("Give first or last, not both.", field="last")
        if first is None and last is None:
            first = DEFAULT_PAGE_SIZE
        for name, size in (("first", first), ("last", last)):
            if size is not None and not 1 <= size <= MAX_PAGE_SIZE:
                raise BadUserInput(f"{name} must be between 1 and {MAX_PAGE_SIZE}.", field=name)
        return cls(
            first,
            decode_cursor(after, "after") if after is not None else None,
            last,
            decode_cursor(before, "before") if before is not None else None,
        )

    @property
    def backward(self) -> bool:
        return self.last is not None

    @property
    def size(self) -> int:
        size = self.last if self.last is not None else self.first
        assert size is not None
        return size


@dataclass(frozen=True, slots=True)
class Page:
    """Rows in the list's order. The direction a page was read in knows whether more rows lie
    that way; the other way, a page read from a cursor has the cursor's row beyond it."""

    rows: Sequence[Row[Any]]
    has_next: bool
    sort_keys: Sequence[str]  # the names of the sort columns, to build each row's cursor
    has_previous: bool = False

    def cursor(self, row: Row[Any]) -> str:
        return encode_cursor(tuple(getattr(row, key) for key in self.sort_keys))


EMPTY_PAGE = Page((), False, ())


def encode_cursor(key: tuple[Any, ...]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str, field: str = "after") -> tuple[Any, ...]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeError) as error:
        raise BadUserInput("Malformed cursor.", field=field) from error
    if (
        not isinstance(key, list)
        or not key
        or not all(isinstance(part, str | int) and not isinstance(part, bool) for part in key)
    ):
        raise BadUserInput("Malformed cursor.", field=field)
    return tuple(key)


def _check(order: Sequence[sa.ColumnElement[Any]], page: PageRequest) -> None:
    """Refuses a cursor that does not fit the order."""
    for field, key in (("after", page.after), ("before", page.before)):
        if key is not None and (
            len(key) != len(order)
            or not all(_fits(column, part) for column, part in zip(order, key, strict=True))
        ):
            raise BadUserInput("Malformed cursor.", field=field)


def _between(
    order: Sequence[sa.ColumnElement[Any]], after: Sequence[Any] | None, before: Sequence[Any] | None
) -> sa.ColumnElement[bool]:
    conditions = []
    if after is not None:
        conditions.append(sa.tuple_(*order) > sa.tuple_(*after))
    if before is not None:
        conditions.append(sa.tuple_(*order) < sa.tuple_(*before))
    return sa.and_(sa.true(), *conditions)


def _reading(order: Sequence[sa.ColumnElement[Any]], backward: bool) -> list[sa.ColumnElement[Any]]:
    """The order a page is read in: the list's, or for `last` its reverse."""
    return [column.desc() for column in order] if backward else list(order)


def _page(rows: Sequence[Row[Any]], page: PageRequest, sort_keys: Sequence[str]) -> Page:
    """The page from the rows read (one more than asked, to know whether more lie that way)."""
    more = len(rows) > page.size
    rows = tuple(rows[: page.size])
    if page.backward:
        return Page(rows[::-1], page.before is not None, sort_keys, has_previous=more)
    return Page(rows, more, sort_keys, has_previous=page.after is not None)


def _fits(column: sa.ColumnElement[Any], value: Any) -> bool:
    """A cursor from another list (or forged) must not reach the database as a comparison of
    mismatched types or a value the column cannot hold: PostgreSQL refuses it, SQLite quietly
    compares anyway."""
    kind = column.type.impl if isinstance(column.type, sa.TypeDecorator) else column.type
    if isinstance(kind, sa.Integer):
        return isinstance(value, int) and fits(value, BIGINT if isinstance(kind, sa.BigInteger) else INTEGER)
    if isinstance(kind, sa.String):
        return isinstance(value, str) and storable_text(value)
    return False


# The parents of a batch, bound at execution: a statement for many parents is built once.
PARENT_IDS = sa.bindparam("parent_ids", expanding=True)


@dataclass(frozen=True)
class Relation:
    """Children of many parents, for a nested connection.

    `build(scope)` returns the scoped statement selecting the child columns and the column
    that names each row's parent; `order` ends in a unique column. A statement that needs
    the parents themselves (`reads_parents`) is built as `build(scope, parents)`, `parents`
    being what `IN` compares with: PARENT_IDS for the loaders, the parent rows' ids inside
    a compiled plan's statement (`schema.planner`).
    """

    name: str
    build: Callable[..., tuple[sa.Select, sa.ColumnElement[Any]]]
    order: tuple[sa.ColumnElement[Any], ...]
    reads_parents: bool = False
    one_parent: Callable[..., sa.Select] | None = None
    """For a relation that reads its parents: `one_parent(scope, parent_id, parents, name)`,
    the children of the one parent `parent_id` (a column of the row it hangs from), the form
    a compiled plan joins LATERAL, per parent, so each parent's page stops at its rows."""

    def of_one_parent(self, scope: Scope, parent_id: Any, parents: Any, name: str) -> sa.Select | None:
        """The children of one parent, or None when the relation has no such form."""
        return self.one_parent(scope, parent_id, parents, name) if self.one_parent is not None else None

    def statement(
        self, scope: Scope, parents: Any = PARENT_IDS, name: str | None = None
    ) -> tuple[sa.Select, sa.ColumnElement[Any]]:
        """`name`: a name of its own for what the statement derives from its parents, where
        one statement reads the relation at two levels."""
        if not self.reads_parents:
            return self.build(scope)
        return self.build(scope, parents, name) if name else self.build(scope, parents)


async def fetch_page(
    db: RequestDatabase,
    statement: sa.Select,
    order: Sequence[sa.ColumnElement[Any]],
    page: PageRequest,
) -> Page:
    """One page of `statement`, ordered by `order` (which must end in a unique column)."""
    _check(order, page)
    between = _between(order, page.after, page.before)
    reading = _reading(order, page.backward)
    rows = await db.fetch(statement.where(between).order_by(*reading).limit(page.size + 1))
    return _page(rows, page, [c.key for c in order])


# Statements for many parents' pages and counts, made once per relation statement (which
# the scope keeps) and executed with bound parents, cursor and page size: building their
# subqueries is the larger part of a nested connection's Python.
_CHILD_PAGES: weakref.WeakKeyDictionary[sa.Select, dict[tuple[bool, bool, bool], sa.Select]] = (
    weakref.WeakKeyDictionary()
)
_CHILD_COUNTS: weakref.WeakKeyDictionary[sa.Select, sa.Select] = weakref.WeakKeyDictionary()


def _child_pages_statement(
    statement: sa.Select,
    parent: sa.ColumnElement[Any],
    order: Sequence[sa.ColumnElement[Any]],
    shape: tuple[bool, bool, bool],
) -> sa.Select:
    """`shape`: (has an after cursor, has a before cursor, reads backward)."""
    made = _CHILD_PAGES.setdefault(statement, {})
    if shape not in made:
        after, before, backward = shape

        def cursor(name: str) -> list[sa.BindParameter[Any]]:
            return [sa.bindparam(f"{name}_{n}", type_=column.type) for n, column in enumerate(order)]

        keyset = _between(order, cursor("after") if after else None, cursor("before") if before else None)
        numbered = (
            statement.add_columns(
                parent.label("parent_key"),
                sa.func.row_number()
                .over(partition_by=parent, order_by=_reading(order, backward))
                .label("row_number"),
            )
            .where(parent.in_(PARENT_IDS), keyset)
            .subquery("numbered")
        )
        made[shape] = (
            sa.select(numbered)
            .where(numbered.c.row_number <= sa.bindparam("rows_per_parent"))
            .order_by(numbered.c.parent_key, numbered.c.row_number)
        )
    return made[shape]


async def fetch_child_pages(
    db: RequestDatabase,
    statement: sa.Select,
    parent: sa.ColumnElement[Any],
    order: Sequence[sa.ColumnElement[Any]],
    page: PageRequest,
    parent_ids: Sequence[Any],
) -> dict[Any, Page]:
    """The same page of children for each parent of `parent_ids`, in one statement."""
    _check(order, page)
    params: dict[str, Any] = {"parent_ids": list(parent_ids), "rows_per_parent": page.size + 1}
    for name, key in (("after", page.after), ("before", page.before)):
        if key is not None:
            params.update((f"{name}_{n}", value) for n, value in enumerate(key))
    shape = (page.after is not None, page.before is not None, page.backward)
    rows = await db.fetch(_child_pages_statement(statement, parent, order, shape), params)
    by_parent: dict[Any, list[Row[Any]]] = defaultdict(list)
    for row in rows:
        by_parent[row.parent_key].append(row)
    keys = [c.key for c in order]
    return {parent_id: _page(by_parent[parent_id], page, keys) for parent_id in parent_ids}


async def count_children(
    db: RequestDatabase,
    statement: sa.Select,
    parent: sa.ColumnElement[Any],
    parent_ids: Sequence[Any],
) -> dict[Any, int]:
    """How many children each parent has, in one statement (GROUP BY parent)."""
    counting = _CHILD_COUNTS.get(statement)
    if counting is None:
        counted = statement.add_columns(parent.label("parent_key")).where(parent.in_(PARENT_IDS))
        inner = counted.subquery("counted")
        counting = _CHILD_COUNTS[statement] = sa.select(inner.c.parent_key, sa.func.count()).group_by(
            inner.c.parent_key
        )
    rows = await db.fetch(counting, {"parent_ids": list(parent_ids)})
    counts = dict(rows)
    return {parent_id: counts.get(parent_id, 0) for parent_id in parent_ids}


async def count(db: RequestDatabase, statement: sa.Select) -> int:
    return await db.scalar(sa.select(sa.func.count()).select_from(statement.subquery()))
