"""Cursor connections (Relay): `first`/`after` and `last`/`before` (1..100, 20 rows when neither
size is given) on every list, `totalCount` on demand.

Nodes are built when the page is read; edges and cursors only when a query asks for them
(most ask for `nodes`), so a page of 100 rows does not encode 100 unread cursors.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

import strawberry

NodeT = TypeVar("NodeT")


class Page(Protocol):
    """What a connection reads of a page of rows (`db.queries.pages.Page`)."""

    rows: Sequence[Any]
    has_next: bool
    has_previous: bool

    def cursor(self, row: Any) -> str: ...


def _end_cursor(root: PageInfo) -> str | None:
    return root.page.cursor(root.page.rows[-1]) if root.page.rows else None


def _start_cursor(root: PageInfo) -> str | None:
    return root.page.cursor(root.page.rows[0]) if root.page.rows else None


def _cursor(root: Edge) -> str:
    return root.page.cursor(root.row)


def _edges(root: Connection) -> list[Edge]:
    rows = root.page.rows
    return [Edge(node=node, page=root.page, row=row) for row, node in zip(rows, root.nodes, strict=True)]


@strawberry.type(
    description="Whether more rows lie beyond the page: exact in the direction it was read "
    "(after `first`, `hasNextPage`; after `last`, `hasPreviousPage`); the other way, true "
    "when the page was read from a cursor (`after` or `before`)."
)
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None = strawberry.field(resolver=_start_cursor)
    end_cursor: str | None = strawberry.field(resolver=_end_cursor)
    page: strawberry.Private[Page]


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(resolver=_cursor)
    node: NodeT
    page: strawberry.Private[Page]
    row: strawberry.Private[Any]


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(resolver=_edges)
    nodes: list[NodeT]
    page_info: PageInfo
    page: strawberry.Private[Page]
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Rows in the whole list (viewer's scope applied), not the page.")
    async def total_count(self) -> int:
        return await self.count()


def connection(
    page: Page, build: Callable[[Any], NodeT], count: Callable[[], Awaitable[int]]
) -> Connection[NodeT]:
    return Connection(
        nodes=[build(row) for row in page.rows],
        page_info=PageInfo(has_next_page=page.has_next, has_previous_page=page.has_previous, page=page),
        page=page,
        count=count,
    )
