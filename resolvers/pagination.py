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


def nested_connection(relation: Relation, node_type: Callable[[], Any]) -> Callable[..., Any]:
    """The resolver of a nested connection over `relation`, with its four page arguments, for a
    field that declares its own type; `node_type` is called at the first request (the types
    import the resolvers): `books = nested_connection(BOOKS_BY_AUTHOR, lambda: types.books.Book)`."""

    async def resolve(
        root: Any,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Any:
        build = node_type().from_row
        return await child_connection(info, relation, root.pk, first, after, last, before, build)

    resolve.relation = relation  # type: ignore[attr-defined]  # what a compiled plan reads (schema.planner)
    return resolve
