"""Connections from the scoped statements of `db.queries`, top-level and nested, paged forward
(`first`, `after`) or backward (`last`, `before`) by `db.queries.pages`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from salescoord.db.queries.pages import PageRequest, Relation, count, fetch_page
from salescoord.resolvers.related import load_ahead
from salescoord.schema.pagination import Connection, connection

from salescoord.context import Info

NodeT = TypeVar("NodeT")


async def top_connection(
    info: Info,
    statement: sa.Select,
    order: Sequence[sa.ColumnElement[Any]],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    build: Callable[[Any], NodeT],
) -> Connection[NodeT]:
    request = PageRequest.parse(first, after, last, before)
    db = info.context.db
    page = await fetch_page(db, statement, order, request)
    await load_ahead(info, page.rows)
    return connection(page, build, lambda: count(db, statement))


async def child_connection(
    info: Info,
    relation: Relation,
    parent_id: Any,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    build: Callable[[Any], NodeT],
) -> Connection[NodeT]:
    """A nested connection: batched with every sibling parent's into one statement."""
    request = PageRequest.parse(first, after, last, before)
    loaders = info.context.loaders
    page = await loaders.pages(relation).load((parent_id, request))
    await load_ahead(info, page.rows)
    return connection(page, build, lambda: loaders.counts(relation).load(parent_id))
