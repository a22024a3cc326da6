"""Per-request data loaders: every lookup by key is batched into one statement per tick.

They are built for each request in the context getter (aiodataloader binds the
running loop, and a loader's cache must not outlive the request: R3), from the
request's scope, so a batched lookup applies the same filter as any other path.

    loaders.user_by_id.load(7)                     -> Row | None (None: missing or out of scope)
    loaders.pages(BUYERS_BY_ACCOUNT_MANAGER).load((7, PageRequest(10)))  -> Page
    loaders.counts(BUYERS_BY_ACCOUNT_MANAGER).load(7)                    -> int
    loaders.reasons("User").load(7)               -> [Row(basis, account_manager_id, …)] (R35)
    loaders.territory_chain.load(3)               -> [3, its parent, …, the root]

`Loaders(db, scope, batching=False)` is the naive mode the benchmark compares against
(SALESCOORD_NAIVE=1): the same code with batching and caching off, one statement per key.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from aiodataloader import DataLoader
from salescoord.db.queries import devices, lists, meetings, people, places, registrations, roles, visibility
from salescoord.db.queries.pages import Page, PageRequest, Relation, count_children, fetch_child_pages
from salescoord.db.session import RequestDatabase
from salescoord.permissions.scope import Scope

__all__ = ["Loaders", "Relation"]

KEYS = sa.bindparam("keys", expanding=True)

# Each Node type's rows as the viewer may see them, and its key: what a by-id loader reads
# (`… AND key IN :keys`), and what a compiled plan joins a to-one relation to (`schema.planner`).
ROWS_BY_ID: dict[str, tuple[Callable[[Scope], sa.Select], sa.ColumnElement[Any]]] = {
    "User": (people.users_statement, people.USER.id),
    "Company": (places.companies_statement, places.COMPANY.id),
    "Territory": (places.territories_statement, places.TERRITORY.id),
    "List": (lists.lists_statement, lists.LIST.id),
    "ListItem": (lists.items_statement, lists.ITEM.id),
    "Content": (lists.contents_statement, lists.CONTENT.id),
    "Registration": (registrations.registrations_statement, registrations.REGISTRATION.id),
    "Meeting": (meetings.meetings_statement, meetings.MEETING.id),
    "Note": (meetings.notes_statement, meetings.NOTE.id),
    "Device": (devices.devices_statement, devices.DEVICE.id),
    "Role": (roles.roles_statement, roles.ROLE.id),
}


class SharedLoader(DataLoader):
    """A loader whose futures are shared by every field that asks for the same key.

    graphql-core cancels the sibling fields of one that fails (a bad argument under a
    non-null field); cancelling a field's task would cancel the future it awaits, and so
    every other field of the request waiting on that key. Each caller gets a shield.
    """

    def load(self, key: Any) -> asyncio.Future[Any]:
        return asyncio.shield(super().load(key))


class RowByIdLoader(SharedLoader):
    """Rows by primary key with the scope applied: a key outside the scope loads None."""

    def __init__(self, db: RequestDatabase, statement: sa.Select, key: str, **options: Any):
        super().__init__(**options)
        self.db, self.statement, self.key = db, statement, key  # statement: ... IN :keys

    async def batch_load_fn(self, keys: Sequence[Any]) -> list[Any]:
        rows = await self.db.fetch(self.statement, {"keys": list(keys)})
        by_key = {getattr(row, self.key): row for row in rows}
        return [by_key.get(key) for key in keys]

    def loaded(self, key: Any) -> tuple[bool, Any]:
        """(True, row) when this request has loaded `key` already (the row, or None), so a
        field can answer without awaiting; (False, None) otherwise."""
        future = self._cache.get(key) if self.cache else None
        if future is None or not future.done() or future.cancelled() or future.exception() is not None:
            return False, None
        return True, future.result()


class _RelationLoader(SharedLoader):
    def __init__(self, db: RequestDatabase, scope: Scope, relation: Relation, **options: Any):
        super().__init__(**options)
        self.db, self.scope, self.relation = db, scope, relation

    def statement(self) -> tuple[sa.Select, Any]:
        """The relation's scoped statement and parent column, built once per scope."""
        return self.scope.memo(("relation", self.relation.name), lambda: self.relation.statement(self.scope))


class PagesByParentLoader(_RelationLoader):
    """Pages of a relation for many parents: one statement per distinct page request."""

    async def batch_load_fn(self, keys: Sequence[tuple[Any, PageRequest]]) -> list[Page]:
        parents_by_request: dict[PageRequest, list[Any]] = defaultdict(list)
        for parent_id, request in keys:
            parents_by_request[request].append(parent_id)
        pages: dict[tuple[Any, PageRequest], Page] = {}
        for request, parent_ids in parents_by_request.items():
            statement, parent = self.statement()
            found = await fetch_child_pages(
                self.db, statement, parent, self.relation.order, request, parent_ids
            )
            pages.update(((parent_id, request), page) for parent_id, page in found.items())
        return [pages[key] for key in keys]


class CountsByParentLoader(_RelationLoader):
    """totalCount of a relation for many parents: one grouped count per tick."""

    async def batch_load_fn(self, keys: Sequence[Any]) -> list[int]:
        statement, parent = self.statement()
        counts = await count_children(self.db, statement, parent, keys)
        return [counts[key] for key in keys]


class ReasonsByIdLoader(SharedLoader):
    """Why the viewer sees each row of one type (R35): the reasons of a batch of ids in one
    statement, the scope's branches (`db.queries.visibility`); [] for a row out of sight."""

    def __init__(self, db: RequestDatabase, scope: Scope, type_name: str, **options: Any):
        super().__init__(**options)
        self.db, self.type_name = db, type_name
        self.statement = scope.memo(
            ("reasons", type_name), lambda: visibility.reasons_statement(scope, type_name)
        )

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[Any]]:
        by_key: dict[int, list[Any]] = defaultdict(list)
        for row in await self.db.fetch(self.statement, {"keys": list(keys)}):
            by_key[row.id].append(row)
        return [by_key.get(key, []) for key in keys]


class TerritoryChainLoader(SharedLoader):
    """Territory ids from each territory up to its root, for a batch of territories in one
    statement: the territory paths of R35. Ids only; the territories themselves are read
    through the scope (`territory_by_id`)."""

    def __init__(self, db: RequestDatabase, **options: Any):
        super().__init__(**options)
        self.db = db

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[int]]:
        chains: dict[int, list[int]] = defaultdict(list)
        for row in await self.db.fetch(visibility.territory_chains(), {"keys": list(keys)}):
            chains[row.start_id].append(row.territory_id)  # ordered by depth
        return [chains.get(key, []) for key in keys]


class Loaders:
    """One request's loaders. By-id loaders are named attributes; relation loaders are made
    on first use, one pair per relation."""

    def __init__(self, db: RequestDatabase, scope: Scope, *, batching: bool = True) -> None:
        self.db, self.scope = db, scope
        self.caching = batching
        self.options: dict[str, Any] = {} if batching else {"batch": False, "cache": False}
        self._pages: dict[str, PagesByParentLoader] = {}
        self._counts: dict[str, CountsByParentLoader] = {}
        self._reasons: dict[str, ReasonsByIdLoader] = {}

    # By-id loaders are made on first use: building a scoped statement (the territory tree,
    # the associations) is most of the Python a small request costs, and most requests use
    # one or two of these loaders.
    @cached_property
    def user_by_id(self) -> RowByIdLoader:
        return self._by_id(*ROWS_BY_ID["User"])

    @cached_property
    def company_by_id(self) -> RowByIdLoader:
        return self._by_id(*ROWS_BY_ID["Company"])

    @cached_property
    def territory_by_id(self) -> RowByIdLoader:
        return self._by_id(*ROWS_BY_ID["Territory"])

    @cached_property
    def list_by_id(self) -> RowByIdLoader:
        return self._by_id(*ROWS_BY_ID["List"])

    @cached_property
    def list_item_by_id(self) -> RowByIdLoader:
        return self._by_id(*ROWS_BY_ID["ListItem"])

    @cached_property
    def content_by_id(self) -> RowByIdLoader:
        return self._by_id(*ROWS_BY_ID["Content"])

    @cached_property
    def registration_by_id(self) -> RowByIdLoader:
        return self._by_id(*ROWS_BY_ID["Registration"])

    @cached_property
    def meeting_by_id(self) -> RowByIdLoader:
        return self._by_id(*ROWS_BY_ID["Meeting"])

    @cached_property
    def note_by_id(self) -> RowByIdLoader:
        return self._by_id(*ROWS_BY_ID["Note"])

    @cached_property
    def territory_chain(self) -> TerritoryChainLoader:
        return TerritoryChainLoader(self.db, **self.options)

    def reasons(self, type_name: str) -> ReasonsByIdLoader:
        """The reasons loader of `type_name` (User, Company, Meeting, List)."""
        loader = self._reasons.get(type_name)
        if loader is None:
            loader = self._reasons[type_name] = ReasonsByIdLoader(
                self.db, self.scope, type_name, **self.options
            )
        return loader

    @cached_property
    def device_by_id(self) -> RowByIdLoader:
        return self._by_id(*ROWS_BY_ID["Device"])

    @cached_property
    def role_by_id(self) -> RowByIdLoader:
        return self._by_id(*ROWS_BY_ID["Role"])

    def _by_id(self, build: Callable[[Scope], sa.Select], key: sa.ColumnElement[Any]) -> RowByIdLoader:
        """A loader of `build(scope)`'s rows by `key`; its statement (`… AND key IN :keys`) is
        built once per scope."""
        statement = self.scope.memo(("by ids", build), lambda: build(self.scope).where(key.in_(KEYS)))
        return RowByIdLoader(self.db, statement, key.key, **self.options)

    def pages(self, relation: Relation) -> PagesByParentLoader:
        loader = self._pages.get(relation.name)
        if loader is None:
            loader = self._pages[relation.name] = PagesByParentLoader(
                self.db, self.scope, relation, **self.options
            )
        return loader

    def counts(self, relation: Relation) -> CountsByParentLoader:
        loader = self._counts.get(relation.name)
        if loader is None:
            loader = self._counts[relation.name] = CountsByParentLoader(
                self.db, self.scope, relation, **self.options
            )
        return loader

    def clear(self) -> None:
        """Forget what was loaded: called after a write, so a payload reads the new state."""
        made = [value for value in vars(self).values() if isinstance(value, DataLoader)]
        for loader in (*made, *self._pages.values(), *self._counts.values(), *self._reasons.values()):
            loader.clear_all()
