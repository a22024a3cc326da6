"""How big one operation is, read from its document before anything runs (R24).

Fragments are expanded where they are spread, so aliases, directives and fields
hidden in fragments count as often as they are used; a fragment already on the
current path is not entered again (graphql-core refuses such cycles; this walk
never loops on them either). The walk stops as soon as it passes `budget` field
visits, so a document that would expand exponentially costs no more than that.

    measure(schema, document, operation_name, variables)
    # Measure(depth=4, aliases=0, directives=0, fields=7, nodes=110, cost=122)

The sizes follow the published models of GitHub and Shopify:
- `nodes`: objects that connections may return: the sum, over every `nodes`/`edges`
  list of a connection, of its `first` (or `last`) times that of every connection above it;
- `cost`: objects of any kind the query may resolve: every field returning an object
  or a list of objects counts once per object it may return (a connection's items
  `first` times, `nodes(ids:)` once per id), multiplied like `nodes`; leaves are free.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode as Document
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_composite_type,
    value_from_ast_untyped,
)

DEFAULT_PAGE = 20
MAX_PAGE = 100
MAX_IDS = 100
ITEM_LISTS = frozenset({"nodes", "edges"})


@dataclass
class Measure:
    depth: int = 0
    aliases: int = 0
    directives: int = 0
    fields: int = 0
    nodes: int = 0
    cost: int = 0


class TooBig(Exception):
    """The walk passed its budget: the document expands beyond any bound."""


def operation_of(document: Document, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name is not None and o.name.value == name), None)


def measure(
    schema: GraphQLSchema,
    document: Document,
    operation_name: str | None = None,
    variables: dict[str, Any] | None = None,
    budget: int = 10_000,
) -> Measure | None:
    """The measure of the operation to run, or None when the document names none (then the
    request fails validation or operation selection anyway). Raises TooBig past `budget`."""
    operation = operation_of(document, operation_name)
    if operation is None:
        return None
    root = schema.get_root_type(operation.operation)
    if root is None:
        return None
    # a variable left out takes its declared default, as execution will: `first: $n` with
    # `$n: Int! = 100` counts 100, not the field's own default
    declared = {
        definition.variable.name.value: value_from_ast_untyped(definition.default_value)
        for definition in operation.variable_definitions or ()
        if definition.default_value is not None
    }
    walk = _Walk(schema, document, {**declared, **(variables or {})}, budget)
    walk.result.directives += len(operation.directives or ())
    walk.selections(operation.selection_set, root, depth=0, instances=1, connection_page=None)
    return walk.result


class _Walk:
    def __init__(
        self, schema: GraphQLSchema, document: Document, variables: dict[str, Any], budget: int
    ) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.variables = variables
        self.budget = budget
        self.result = Measure()
        self._path: list[str] = []

    def selections(
        self,
        selection_set: SelectionSetNode | None,
        parent: Any,
        depth: int,
        instances: int,
        connection_page: int | None,
    ) -> None:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            self.result.directives += len(selection.directives or ())
            if isinstance(selection, FieldNode):
                self.field(selection, parent, depth + 1, instances, connection_page)
            elif isinstance(selection, InlineFragmentNode):
                inner = parent
                if selection.type_condition is not None:
                    inner = self._schema_type(parent, selection.type_condition.name.value)
                self.selections(selection.selection_set, inner, depth, instances, connection_page)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in self._path:
                    continue
                self._path.append(name)
                self.result.directives += len(fragment.directives or ())
                inner = self._schema_type(parent, fragment.type_condition.name.value)
                self.selections(fragment.selection_set, inner, depth, instances, connection_page)
                self._path.pop()

    def field(
        self, node: FieldNode, parent: Any, depth: int, instances: int, connection_page: int | None
    ) -> None:
        result = self.result
        result.fields += 1
        if result.fields > self.budget:
            raise TooBig
        result.depth = max(result.depth, depth)
        if node.alias is not None:
            result.aliases += 1
        definition = getattr(parent, "fields", {}).get(node.name.value) if parent is not None else None
        if definition is None or not is_composite_type(get_named_type(definition.type)):
            return
        returns_list = isinstance(_nullable(definition.type), GraphQLList)
        size = 1
        if returns_list:
            if node.name.value in ITEM_LISTS and connection_page is not None:
                size = connection_page
                result.nodes += instances * size
            else:
                size = self._ids(node) or DEFAULT_PAGE
        objects = instances * size
        result.cost += objects
        page = self._page(node, definition) if "first" in definition.args else None
        self.selections(node.selection_set, get_named_type(definition.type), depth, objects, page)

    def _page(self, node: FieldNode, definition: Any) -> int:
        """The rows a page may hold: `first` or `last` (both given is refused when it runs),
        else the field's default."""
        sizes = [_argument(node, name, self.variables) for name in ("first", "last")]
        sizes = [size for size in sizes if isinstance(size, int)]
        if not sizes:
            default = definition.args["first"].default_value
            sizes = [default if isinstance(default, int) else DEFAULT_PAGE]
        return min(max(max(sizes), 1), MAX_PAGE)

    def _ids(self, node: FieldNode) -> int | None:
        value = _argument(node, "ids", self.variables)
        return min(len(value), MAX_IDS) if isinstance(value, list) else None

    def _schema_type(self, parent: Any, name: str) -> Any:
        return self.schema.get_type(name) or parent


def _nullable(type_: Any) -> Any:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def _argument(node: FieldNode, name: str, variables: dict[str, Any]) -> Any:
    for argument in node.arguments or ():
        if argument.name.value != name:
            continue
        value = argument.value
        if isinstance(value, VariableNode):
            return variables.get(value.name.value)
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, ListValueNode):
            return list(value.values)
        return None
    return None
