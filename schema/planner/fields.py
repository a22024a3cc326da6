"""What a compiled plan can answer of a field, read from the schema itself, so the planner
holds no second description of the types.

- a **leaf** of a Node type: a field without resolver whose value is the row's column of the
  same name (`User.email`), an `id` (the global id of the row), an enum or a DateTime;
- a **to-one** relation: a field marked `ToOne` (`User.company`), read through the target
  type's scoped rows (`db.loaders.ROWS_BY_ID`), as its loader reads them;
- a **nested connection**: a field whose resolver `nested_connection` made over a
  `Relation` (`User.associatedBuyers`), paged as the loaders page it.

Anything else (a resolver of its own, a list of scalars, a type without scoped rows) is
unknown, and an operation that asks for it runs through the resolvers. The guards of a
field are kept beside it: the plan decides them for the viewer before it runs (they depend
on the viewer and the channel, never on a row).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from graphql import GraphQLEnumType, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLScalarType
from salescoord.db.loaders import ROWS_BY_ID
from salescoord.db.queries.pages import Relation
from salescoord.resolvers.related import ToOne
from strawberry.permission import BasePermission, PermissionExtension

PLAIN_SCALARS = {"String": "plain", "Int": "plain", "Boolean": "plain", "DateTime": "datetime"}
ROOTS = {"viewer", "users", "node"}


@dataclass(frozen=True)
class Leaf:
    column: str
    encoding: str  # "id" (global id of the row's type), "plain", "datetime" or "enum"
    enum_names: tuple[tuple[str, str], ...] = ()  # (stored value, GraphQL name) where they differ


@dataclass(frozen=True)
class ToOneField:
    key: str  # the column of the row holding the related key
    target: str  # the Node type it leads to


@dataclass(frozen=True)
class NestedField:
    relation: Relation
    target: str  # the node type of the connection


@dataclass(frozen=True)
class Known:
    """A field the planner can answer, and the guards that decide whether it may run."""

    shape: Leaf | ToOneField | NestedField | None  # None: a root field, handled by name
    guards: tuple[BasePermission, ...]
    nullable: bool


def rowed(type_name: str) -> bool:
    """A type whose rows the scope reads by id: the only types a plan builds objects of."""
    return type_name in ROWS_BY_ID and type_name not in ("Registration", "Device", "Role")


@functools.cache
def known(parent: GraphQLObjectType, name: str) -> Known | None:
    """How a plan answers `parent.name`, or None when only the resolvers can. Read once per
    field of the schema (the schema is built once per process)."""
    field = parent.fields.get(name)
    if field is None:
        return None
    definition = field.extensions.get("strawberry-definition")
    if definition is None:
        return None
    guards: list[BasePermission] = []
    to_one: ToOne | None = None
    for extension in definition.extensions:
        if isinstance(extension, PermissionExtension):
            guards.extend(extension.permissions)
        elif isinstance(extension, ToOne):
            to_one = extension
        else:
            return None
    nullable = not isinstance(field.type, GraphQLNonNull)
    returns = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    if parent.name == "Query":
        return Known(None, tuple(guards), nullable) if name in ROOTS else None
    if not rowed(parent.name):
        return None
    resolver = definition.base_resolver
    if to_one is not None:
        if not isinstance(returns, GraphQLObjectType) or not rowed(returns.name):
            return None
        return Known(ToOneField(to_one.key, returns.name), tuple(guards), nullable)
    if resolver is not None:
        relation = getattr(resolver.wrapped_func, "relation", None)
        if not isinstance(relation, Relation) or not isinstance(returns, GraphQLObjectType):
            return None
        node = returns.fields["nodes"].type
        while isinstance(node, GraphQLNonNull | GraphQLList):
            node = node.of_type
        if not rowed(node.name):
            return None
        return Known(NestedField(relation, node.name), tuple(guards), nullable)
    if field.args or guards or isinstance(returns, GraphQLList):
        return None
    if name == "id" and isinstance(returns, GraphQLScalarType) and returns.name == "ID":
        return Known(Leaf("id", "id"), (), nullable)
    if isinstance(returns, GraphQLEnumType):
        names = tuple(
            (str(getattr(value.value, "value", value.value)), enum_name)
            for enum_name, value in returns.values.items()
            if str(getattr(value.value, "value", value.value)) != enum_name
        )
        return Known(Leaf(definition.python_name, "enum", names), (), nullable)
    if isinstance(returns, GraphQLScalarType) and returns.name in PLAIN_SCALARS:
        return Known(Leaf(definition.python_name, PLAIN_SCALARS[returns.name]), (), nullable)
    return None


__all__ = ["Known", "Leaf", "NestedField", "ToOneField", "known", "rowed"]
