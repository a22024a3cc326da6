"""Per-request data loaders: every lookup by key is batched into one statement per tick.

They are built for each request in the context getter (aiodataloader binds the
running loop, and a loader's cache must not outlive the request: R3), from the
request's scope, so a batched lookup applies the same filter as any other path.

    loaders.user_by_id.load(7)                     -> Row | None (None: missing or out of scope)
    loaders.pages(BUYERS_BY_ACCOUNT_MANAGER).load((7, PageRequest(10)))  -> Page
    loaders.counts(BUYERS_BY_ACCOUNT_MANAGER).load(7)                    -> int
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from aiodataloader import DataLoader

from db.queries.pages import Page, PageRequest, Relation, count_children, fetch_child_pages
from db.session import RequestDatabase
from permissions.scope import Scope

__all__ = ["Loaders", "Relation"]


class RowByIdLoader(DataLoader):
    """Rows by primary key with the scope applied: a key outside the scope loads None."""

    def __init__(self, db: RequestDatabase, statement: sa.Select, key: sa.ColumnElement[Any]):
        super().__init__()
        self.db, self.statement, self.key = db, statement, key

    async def batch_load_fn(self, keys: Sequence[Any]) -> list[Any]:
        rows = await self.db.fetch(self.statement.where(self.key.in_(keys)))
        by_key = {getattr(row, self.key.key): row for row in rows}
        return [by_key.get(key) for key in keys]


class PagesByParentLoader(DataLoader):
    """Pages of a relation for many parents: one statement per distinct page request."""

    def __init__(self, db: RequestDatabase, scope: Scope, relation: Relation):
        super().__init__()
        self.db, self.scope, self.relation = db, scope, relation

    async def batch_load_fn(self, keys: Sequence[tuple[Any, PageRequest]]) -> list[Page]:
        parents_by_request: dict[PageRequest, list[Any]] = defaultdict(list)
        for parent_id, request in keys:
            parents_by_request[request].append(parent_id)
        pages: dict[tuple[Any, PageRequest], Page] = {}
        for request, parent_ids in parents_by_request.items():
            statement, parent = self.relation.build(self.scope, parent_ids)
            found = await fetch_child_pages(
                self.db, statement, parent, self.relation.order, request, parent_ids
            )
            pages.update(((parent_id, request), page) for parent_id, page in found.items())
        return [pages[key] for key in keys]


class CountsByParentLoader(DataLoader):
    def __init__(self, db: RequestDatabase, scope: Scope, relation: Relation):
        super().__init__()
        self.db, self.scope, self.relation = db, scope, relation

    async def batch_load_fn(self, keys: Sequence[Any]) -> list[int]:
        statement, parent = self.relation.build(self.scope, keys)
        counts = await count_children(self.db, statement, parent, keys)
        return [counts[key] for key in keys]


class Loaders:
    """One request's loaders. By-id loaders are named attributes; relation loaders are made
    on first use, one pair per relation."""

    def __init__(self, db: RequestDatabase, scope: Scope) -> None:
        from db.queries import lists, people, places, registrations

        self.db, self.scope = db, scope
        self.user_by_id = RowByIdLoader(db, people.users_statement(scope), people.USER.id)
        self.company_by_id = RowByIdLoader(db, places.companies_statement(scope), places.COMPANY.id)
        self.territory_by_id = RowByIdLoader(db, places.territories_statement(scope), places.TERRITORY.id)
        self.list_by_id = RowByIdLoader(db, lists.lists_statement(scope), lists.LIST.id)
        self.list_item_by_id = RowByIdLoader(db, lists.items_statement(scope), lists.ITEM.id)
        self.content_by_id = RowByIdLoader(db, lists.contents_statement(scope), lists.CONTENT.id)
        self.registration_by_id = RowByIdLoader(
            db, registrations.registrations_statement(scope), registrations.REGISTRATION.id
        )
        self._pages: dict[str, PagesByParentLoader] = {}
        self._counts: dict[str, CountsByParentLoader] = {}

    def pages(self, relation: Relation) -> PagesByParentLoader:
        loader = self._pages.get(relation.name)
        if loader is None:
            loader = self._pages[relation.name] = PagesByParentLoader(self.db, self.scope, relation)
        return loader

    def counts(self, relation: Relation) -> CountsByParentLoader:
        loader = self._counts.get(relation.name)
        if loader is None:
            loader = self._counts[relation.name] = CountsByParentLoader(self.db, self.scope, relation)
        return loader

    def clear(self) -> None:
        """Forget what was loaded: called after a write, so a payload reads the new state."""
        for loader in (
            self.user_by_id,
            self.company_by_id,
            self.territory_by_id,
            self.list_by_id,
            self.list_item_by_id,
            self.content_by_id,
            self.registration_by_id,
            *self._pages.values(),
            *self._counts.values(),
        ):
            loader.clear_all()
