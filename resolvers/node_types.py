"""The Node types and how each is read: the loader that finds its rows by key through the
viewer's scope, and the type's builder from a row. `node(id:)`, every id argument
(`resolvers.lookups`), every to-one field (`resolvers.related`), the change feed and live
updates read a Node type through here, so it reads the same on every path (R11, R13, R22).

    await load(info, User, 7)        # User | None: None when missing or out of sight
    named("User").build(row)         # a User, from a row of the users table
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from salescoord.db.loaders import Loaders, RowByIdLoader
from salescoord.schema import types

from salescoord.context import Info

T = TypeVar("T")


@dataclass(frozen=True)
class NodeKind:
    """A Node type, and which of the request's loaders reads its rows."""

    type: type
    loader: Callable[[Loaders], RowByIdLoader]

    @property
    def name(self) -> str:
        """The GraphQL name: also what a global id names (`User:7`)."""
        return self.type.__strawberry_definition__.name

    def rows(self, loaders: Loaders) -> RowByIdLoader:
        return self.loader(loaders)

    def build(self, row: Any) -> Any:
        return self.type.from_row(row)


@functools.cache
def _kinds() -> tuple[NodeKind, ...]:
    # Read on first use, not while this module loads: the types import the resolvers.
    return (
        NodeKind(types.people.User, lambda loaders: loaders.user_by_id),
        NodeKind(types.places.Company, lambda loaders: loaders.company_by_id),
        NodeKind(types.places.Territory, lambda loaders: loaders.territory_by_id),
        NodeKind(types.lists.List, lambda loaders: loaders.list_by_id),
        NodeKind(types.lists.ListItem, lambda loaders: loaders.list_item_by_id),
        NodeKind(types.lists.Content, lambda loaders: loaders.content_by_id),
        NodeKind(types.registrations.Registration, lambda loaders: loaders.registration_by_id),
        NodeKind(types.meetings.Meeting, lambda loaders: loaders.meeting_by_id),
        NodeKind(types.meetings.Note, lambda loaders: loaders.note_by_id),
        NodeKind(types.devices.Device, lambda loaders: loaders.device_by_id),
        NodeKind(types.people.Role, lambda loaders: loaders.role_by_id),
    )


@functools.cache
def _by_name() -> dict[str, NodeKind]:
    return {kind.name: kind for kind in _kinds()}


@functools.cache
def _by_type() -> dict[type, NodeKind]:
    return {kind.type: kind for kind in _kinds()}


def named(name: str) -> NodeKind | None:
    """The Node type a global id names, or None for a name of no Node type."""
    return _by_name().get(name)


def kind_of(node_type: type) -> NodeKind:
    return _by_type()[node_type]


async def load(info: Info, node_type: type[T], pk: int | None) -> T | None:
    """The object of `node_type` with primary key `pk`, as the viewer may see it."""
    if pk is None:
        return None
    kind = kind_of(node_type)
    row = await kind.rows(info.context.loaders).load(pk)
    return kind.build(row) if row is not None else None
