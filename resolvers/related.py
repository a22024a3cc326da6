"""To-one relations: a buyer's company, a company's territory, a list item's content.

Such a field answers at once, without awaiting, when its row is loaded already; and a
connection, before it answers, loads the rows its page's selection will ask for, for all
its rows at once and level by level (`load_ahead`). The statements are the ones the fields
would have sent (one batched lookup per relation and level, through the same scoped
loaders); what is saved is an await per row and field: a page of 100 buyers with company
and territory completes without 200 of them.

    # schema/types/people.py: the field's type says what it leads to, a Company
    COMPANY = ToOne("company_id")
    company: Company | None = strawberry.field(resolver=resolve.company, extensions=[scoped(), COMPANY])

    # resolvers/people.py
    def company(root: User, info: Info) -> Company | None:
        return one(info, types.people.COMPANY, root)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode, get_named_type
from salescoord.resolvers import node_types
from strawberry.extensions import FieldExtension
from strawberry.types.base import StrawberryOptional
from strawberry.types.field import StrawberryField
from strawberry.types.lazy_type import LazyType

from salescoord.context import Info


class ToOne(FieldExtension):
    """Marks a field as the to-one relation `key` → the Node type the field returns; `key`
    names the attribute holding the key on the object and on its row. Takes no part in
    resolving: `apply`, when the schema is built, only finds the Node type (`node_types`)."""

    kind: node_types.NodeKind

    def __init__(self, key: str) -> None:
        self.key = key

    def apply(self, field: StrawberryField) -> None:
        returns = field.type
        while isinstance(returns, StrawberryOptional):
            returns = returns.of_type
        if isinstance(returns, LazyType):
            returns = returns.resolve_type()
        self.kind = node_types.kind_of(returns)


def one(info: Info, relation: ToOne, source: Any) -> Any:
    """The related object (None: no key, or a row outside the viewer's scope), at once when
    its row is loaded, else an awaitable of it."""
    key = getattr(source, relation.key)
    if key is None:
        return None
    kind = relation.kind
    loader = kind.rows(info.context.loaders)
    loaded, row = loader.loaded(key)
    if loaded:
        return kind.build(row) if row is not None else None
    return _built(loader.load(key), kind.build)


async def _built(row: Any, build: Callable[[Any], Any]) -> Any:
    row = await row
    return build(row) if row is not None else None


async def load_ahead(info: Info, rows: Sequence[Any]) -> None:
    """Load the to-one relations that the selection of the current connection field reads
    on its nodes, for `rows` (the page). Naive mode (loaders without cache) has nothing to
    keep them in, and skips this."""
    if not rows or not info.context.loaders.caching:
        return
    raw = info._raw_info
    nodes = [s for field in raw.field_nodes for s in _node_selections(raw.fragments, field.selection_set)]
    if nodes:
        await _ahead(info, raw.schema, raw.fragments, _node_type(raw.return_type), rows, nodes)


def _node_type(connection: Any) -> str:
    """The node type's name of a connection type (`UserConnection!` → `User`)."""
    node = get_named_type(connection).fields["nodes"].type
    return get_named_type(node).name


async def _ahead(
    info: Info,
    schema: Any,
    fragments: dict[str, Any],
    type_name: str,
    rows: Sequence[Any],
    selections: list[SelectionSetNode],
) -> None:
    fields = schema.type_map[type_name].fields
    wanted: dict[ToOne, list[SelectionSetNode]] = {}
    for selection in selections:
        for field in _fields(fragments, selection):
            definition = fields.get(field.name.value)
            relation = _relation(definition) if definition is not None else None
            if relation is not None:
                below = wanted.setdefault(relation, [])
                if field.selection_set is not None:
                    below.append(field.selection_set)
    if not wanted:
        return

    async def load(relation: ToOne, below: list[SelectionSetNode]) -> None:
        keys = list(dict.fromkeys(k for row in rows if (k := getattr(row, relation.key)) is not None))
        if not keys:
            return
        loader = relation.kind.rows(info.context.loaders)
        found = [row for row in await loader.load_many(keys) if row]
        if below and found:
            await _ahead(info, schema, fragments, relation.kind.name, found, below)

    await asyncio.gather(*(load(relation, below) for relation, below in wanted.items()))


def _relation(definition: Any) -> ToOne | None:
    field = definition.extensions.get("strawberry-definition")
    for extension in getattr(field, "extensions", ()):
        if isinstance(extension, ToOne):
            return extension
    return None


def _fields(fragments: dict[str, Any], selection_set: SelectionSetNode | None) -> Iterator[FieldNode]:
    """The fields of a selection set, through inline fragments and fragment spreads."""
    for selection in selection_set.selections if selection_set is not None else ():
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(fragments, selection.selection_set)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _fields(fragments, fragment.selection_set)


def _node_selections(fragments: dict[str, Any], selection_set: SelectionSetNode | None) -> Iterator[Any]:
    """The selection sets a connection applies to its nodes: `nodes { … }`, `edges { node { … } }`."""
    for field in _fields(fragments, selection_set):
        if field.name.value == "nodes" and field.selection_set is not None:
            yield field.selection_set
        elif field.name.value == "edges":
            for inner in _fields(fragments, field.selection_set):
                if inner.name.value == "node" and inner.selection_set is not None:
                    yield inner.selection_set
