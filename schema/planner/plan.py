"""An operation, read into what its answer is made of: for each root field, the objects,
to-one relations and pages of rows it asks for, with the arguments decided.

Reading refuses (`Unplannable`) whatever a plan would not answer exactly as the resolvers do:
a field the planner does not know (`fields.known`), a guard that refuses the viewer (the
resolvers raise its error), an argument that the resolvers would refuse (a malformed cursor
or id, a page size out of range: they answer its error), `@skip`/`@include`, a client id.
Then the whole operation runs through the resolvers, as it always did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    value_from_ast,
)
from graphql.execution.values import get_variable_values
from graphql.language import VariableNode
from salescoord.db.queries.pages import PageRequest, Relation, _check
from salescoord.resolvers import inputs, node_types
from salescoord.schema.enums import RoleName
from salescoord.schema.ids import decode_id, is_client_id
from salescoord.schema.planner.fields import Leaf, NestedField, ToOneField, known, rowed

from salescoord.errors import ServiceError


class Unplannable(Exception):
    """The operation, or one of its fields, is left to the resolvers."""


@dataclass
class Obj:
    """An object of a Node type: each response key and what answers it."""

    type_name: str
    fields: list[tuple[str, Any]] = field(default_factory=list)  # Leaf | Typename | One | Many


@dataclass(frozen=True)
class Typename:
    name: str


@dataclass
class One:
    key: str  # the column holding the related row's id
    target: Obj


@dataclass
class Many:
    """A page of a relation's rows, for every parent at once. `parts` are the connection's
    response keys: ("nodes", Obj), ("edges", [(key, "cursor" | Typename | Obj)]),
    ("pageInfo", [(key, field name | Typename)]), ("totalCount", None), ("typename", name)."""

    relation: Relation | None  # None: a root connection, `statement` and `order` given
    page: PageRequest
    parts: list[tuple[str, str, Any]]
    statement: Any = None
    order: tuple[Any, ...] = ()

    @property
    def cursors(self) -> bool:
        """Whether any cursor is asked for (they are encoded after the database answers)."""
        for _, part, inner in self.parts:
            if part == "edges" and any(what == "cursor" for _, what in inner):
                return True
            if part == "pageInfo" and any(what in ("startCursor", "endCursor") for _, what in inner):
                return True
        return False


@dataclass
class Root:
    key: str
    kind: str  # "viewer", "node" or "connection"
    target: Obj | None = None  # viewer, node
    pk: int | None = None  # node
    many: Many | None = None  # connection
    filters: tuple[Any, ...] = ()  # a root list's own arguments (role, search)


@dataclass
class Reading:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: dict[str, Any]
    context: Any  # the request's context: the guards read its viewer and scope

    def arguments(self, parent: GraphQLObjectType, node: FieldNode) -> dict[str, Any]:
        """The field's arguments as given (variables substituted), by GraphQL name."""
        definition = parent.fields[node.name.value]
        values: dict[str, Any] = {}
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        for name, argument in definition.args.items():
            if name not in given:
                continue
            ast = given[name]
            if isinstance(ast, VariableNode):
                if ast.name.value not in self.variables:
                    continue
                value = self.variables[ast.name.value]
            else:
                value = value_from_ast(ast, argument.type, self.variables)
            values[name] = getattr(value, "value", value)  # an enum's member: its stored value
        return values

    def collect(self, type_name: str, selection_sets: list[SelectionSetNode]) -> dict[str, list[FieldNode]]:
        """The fields selected on an object of `type_name`, by response key, through fragments
        whose type condition it meets."""
        grouped: dict[str, list[FieldNode]] = {}
        runtime = self.schema.type_map[type_name]
        conditions = {type_name, *(i.name for i in getattr(runtime, "interfaces", ()))}

        def walk(selection_set: SelectionSetNode) -> None:
            for selection in selection_set.selections:
                if selection.directives:
                    raise Unplannable("directive")
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    grouped.setdefault(key, []).append(selection)
                    continue
                if isinstance(selection, InlineFragmentNode):
                    condition, inner = selection.type_condition, selection.selection_set
                elif isinstance(selection, FragmentSpreadNode):
                    fragment = self.fragments[selection.name.value]
                    condition, inner = fragment.type_condition, fragment.selection_set
                else:
                    raise Unplannable("selection")
                if condition is None or condition.name.value in conditions:
                    walk(inner)

        for selection_set in selection_sets:
            walk(selection_set)
        return grouped

    def guarded(self, parent: GraphQLObjectType, name: str) -> Any:
        """The field as the planner knows it, once its guards let the viewer through."""
        found = known(parent, name)
        if found is None:
            raise Unplannable(f"{parent.name}.{name}")
        info = _GuardInfo(self.context)
        for permission in found.guards:
            try:
                allowed = permission.has_permission(None, info)  # type: ignore[arg-type]
            except ServiceError as error:
                raise Unplannable("guard") from error
            if not allowed:
                raise Unplannable("guard")
        return found

    def obj(self, type_name: str, nodes: list[FieldNode]) -> Obj:
        parent = self.schema.type_map[type_name]
        assert isinstance(parent, GraphQLObjectType)
        result = Obj(type_name)
        for key, group in self.collect(
            type_name, [n.selection_set for n in nodes if n.selection_set]
        ).items():
            name = group[0].name.value
            if name == "__typename":
                result.fields.append((key, Typename(type_name)))
                continue
            found = self.guarded(parent, name)
            shape = found.shape
            if isinstance(shape, ToOneField) and not found.nullable:
                raise Unplannable(name)  # a missing row would be an error, and its null propagate
            if isinstance(shape, Leaf):
                result.fields.append((key, shape))
            elif isinstance(shape, ToOneField):
                result.fields.append((key, One(shape.key, self.obj(shape.target, group))))
            elif isinstance(shape, NestedField):
                page = self.page(self.arguments(parent, group[0]), shape.relation.order)
                result.fields.append((key, self.many(shape.relation, shape.target, page, group)))
            else:
                raise Unplannable(name)
        return result

    def page(self, arguments: dict[str, Any], order: tuple[Any, ...]) -> PageRequest:
        try:
            page = PageRequest.parse(
                arguments.get("first"), arguments.get("after"), arguments.get("last"), arguments.get("before")
            )
            _check(order, page)
        except ServiceError as error:
            raise Unplannable("page") from error
        return page

    def many(
        self,
        relation: Relation | None,
        node_type: str,
        page: PageRequest,
        group: list[FieldNode],
        **root: Any,
    ) -> Many:
        connection_type = f"{node_type}Connection"
        parts: list[tuple[str, str, Any]] = []
        for key, fields in self.collect(
            connection_type, [n.selection_set for n in group if n.selection_set]
        ).items():
            name = fields[0].name.value
            if name == "nodes":
                parts.append((key, "nodes", self.obj(node_type, fields)))
            elif name == "totalCount":
                parts.append((key, "totalCount", None))
            elif name == "__typename":
                parts.append((key, "typename", connection_type))
            elif name == "pageInfo":
                inner = [
                    (k, Typename("PageInfo") if f[0].name.value == "__typename" else f[0].name.value)
                    for k, f in self.collect(
                        "PageInfo", [n.selection_set for n in fields if n.selection_set]
                    ).items()
                ]
                parts.append((key, "pageInfo", inner))
            elif name == "edges":
                edge_type = f"{node_type}Edge"
                inner_edges: list[tuple[str, Any]] = []
                for k, f in self.collect(
                    edge_type, [n.selection_set for n in fields if n.selection_set]
                ).items():
                    what = f[0].name.value
                    if what == "node":
                        inner_edges.append((k, self.obj(node_type, f)))
                    elif what == "__typename":
                        inner_edges.append((k, Typename(edge_type)))
                    else:
                        inner_edges.append((k, "cursor"))
                parts.append((key, "edges", inner_edges))
            else:
                raise Unplannable(name)
        return Many(relation, page, parts, **root)

    def root(self, key: str, group: list[FieldNode]) -> Root:
        query = self.schema.query_type
        assert query is not None
        name = group[0].name.value
        if name == "__typename":
            raise Unplannable("root typename")
        self.guarded(query, name)
        arguments = self.arguments(query, group[0])
        scope = self.context.scope
        if name == "viewer":
            return Root(key, "viewer", self.obj("User", group))
        if name == "node":
            global_id = arguments.get("id")
            if not isinstance(global_id, str) or is_client_id(global_id):
                raise Unplannable("client id")
            try:
                type_name, pk = decode_id(global_id)
            except ServiceError as error:
                raise Unplannable("id") from error
            if node_types.named(type_name) is None or not rowed(type_name):
                raise Unplannable("node type")
            return Root(key, "node", self.obj(type_name, group), pk=pk)
        # users(role, search, first, after, last, before): resolvers.people.users
        from salescoord.db.queries import people

        try:
            search = inputs.search(arguments.get("search"))
        except ServiceError as error:
            raise Unplannable("search") from error
        role = arguments.get("role")
        statement = people.search_users(scope, role=RoleName(role) if role else None, search=search)
        page = self.page(arguments, people.USER_ORDER)
        many = self.many(None, "User", page, group, statement=statement, order=people.USER_ORDER)
        return Root(key, "connection", many=many, filters=(role, search))


@dataclass
class _GuardInfo:
    """What a guard reads of `info` when a plan decides it: the request's context."""

    context: Any


def read_operation(
    schema: GraphQLSchema,
    document: Any,
    operation: OperationDefinitionNode,
    variables: dict[str, Any],
    context: Any,
) -> list[Root]:
    """The roots of a query operation, or Unplannable."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):  # graphql-core refuses them, with its own errors
        raise Unplannable("variables")
    reading = Reading(schema, fragments, coerced.coerced, context)
    grouped = reading.collect("Query", [operation.selection_set])
    return [reading.root(key, group) for key, group in grouped.items()]
