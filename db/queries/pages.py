"""Keyset pagination, for one list or for many parents' lists in one statement.

A page is ordered by a sort key ending in the primary key, and its cursor is the
sort key of its last row, so a page never repeats or skips rows when rows are
added before it (unlike offsets). Nested connections (an AM's buyers for each
of 200 AMs) page every parent at once with ROW_NUMBER() OVER (PARTITION BY
parent): one statement however many parents there are.
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


@dataclass(frozen=True, slots=True)
class PageRequest:
    """`first` rows after the row whose sort key is `after` (decoded from the cursor)."""

    first: int
    after: tuple[Any, ...] | None = None

    @classmethod
    def parse(cls, first: int, after: str | None) -> PageRequest:
        if not 1 <= first <= MAX_PAGE_SIZE:
            raise BadUserInput(f"first must be between 1 and {MAX_PAGE_SIZE}.", field="first")
        return cls(first, decode_cursor(after) if after is not None else None)


@dataclass(frozen=True, slots=True)
class Page:
    rows: Sequence[Row[Any]]
    has_next: bool
    sort_keys: Sequence[str]  # the names of the sort columns, to build each row's cursor

    def cursor(self, row: Row[Any]) -> str:
        return encode_cursor(tuple(getattr(row, key) for key in self.sort_keys))


EMPTY_PAGE = Page((), False, ())


def encode_cursor(key: tuple[Any, ...]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str) -> tuple[Any, ...]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeError) as error:
        raise BadUserInput("Malformed cursor.", field="after") from error
    if (
        not isinstance(key, list)
        or not key
        or not all(isinstance(part, str | int) and not isinstance(part, bool) for part in key)
    ):
        raise BadUserInput("Malformed cursor.", field="after")
    return tuple(key)


def _after(order: Sequence[sa.ColumnElement[Any]], page: PageRequest) -> sa.ColumnElement[bool]:
    if page.after is None:
        return sa.true()
    if len(page.after) != len(order) or not all(
        _fits(column, part) for column, part in zip(order, page.after, strict=True)
    ):
        raise BadUserInput("Malformed cursor.", field="after")
    return sa.tuple_(*order) > sa.tuple_(*page.after)


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
    that names each row's parent (a statement that needs the parents themselves reads
    them from PARENT_IDS); `order` ends in a unique column.
    """

    name: str
    build: Callable[[Scope], tuple[sa.Select, sa.ColumnElement[Any]]]
    order: tuple[sa.ColumnElement[Any], ...]


async def fetch_page(
    db: RequestDatabase,
    statement: sa.Select,
    order: Sequence[sa.ColumnElement[Any]],
    page: PageRequest,
) -> Page:
    """One page of `statement`, ordered by `order` (which must end in a unique column)."""
    rows = await db.fetch(statement.where(_after(order, page)).order_by(*order).limit(page.first + 1))
    return Page(rows[: page.first], len(rows) > page.first, [c.key for c in order])


# Statements for many parents' pages and counts, made once per relation statement (which
# the scope keeps) and executed with bound parents, cursor and page size: building their
# subqueries is the larger part of a nested connection's Python.
_CHILD_PAGES: weakref.WeakKeyDictionary[sa.Select, dict[bool, sa.Select]] = weakref.WeakKeyDictionary()
_CHILD_COUNTS: weakref.WeakKeyDictionary[sa.Select, sa.Select] = weakref.WeakKeyDictionary()


def _child_pages_statement(
    statement: sa.Select, parent: sa.ColumnElement[Any], order: Sequence[sa.ColumnElement[Any]], after: bool
) -> sa.Select:
    made = _CHILD_PAGES.setdefault(statement, {})
    if after not in made:
        cursor = [sa.bindparam(f"after_{n}", type_=column.type) for n, column in enumerate(order)]
        keyset = sa.tuple_(*order) > sa.tuple_(*cursor) if after else sa.true()
        numbered = (
            statement.add_columns(
                parent.label("parent_key"),
                sa.func.row_number().over(partition_by=parent, order_by=list(order)).label("row_number"),
            )
            .where(parent.in_(PARENT_IDS), keyset)
            .subquery("numbered")
        )
        made[after] = (
            sa.select(numbered)
            .where(numbered.c.row_number <= sa.bindparam("rows_per_parent"))
            .order_by(numbered.c.parent_key, numbered.c.row_number)
        )
    return made[after]


async def fetch_child_pages(
    db: RequestDatabase,
    statement: sa.Select,
    parent: sa.ColumnElement[Any],
    order: Sequence[sa.ColumnElement[Any]],
    page: PageRequest,
    parent_ids: Sequence[Any],
) -> dict[Any, Page]:
    """The same page of children for each parent of `parent_ids`, in one statement."""
    _after(order, page)  # refuses a cursor that does not fit the order
    params: dict[str, Any] = {"parent_ids": list(parent_ids), "rows_per_parent": page.first + 1}
    if page.after is not None:
        params.update((f"after_{n}", value) for n, value in enumerate(page.after))
    child_pages = _child_pages_statement(statement, parent, order, page.after is not None)
    rows = await db.fetch(child_pages, params)
    by_parent: dict[Any, list[Row[Any]]] = defaultdict(list)
    for row in rows:
        by_parent[row.parent_key].append(row)
    keys = [c.key for c in order]
    return {
        parent_id: Page(
            tuple(by_parent[parent_id][: page.first]), len(by_parent[parent_id]) > page.first, keys
        )
        for parent_id in parent_ids
    }


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
