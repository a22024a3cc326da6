"""`StorableText`: every string a request brings, in its variables or written in the document,
is text the database can store, or the request is refused as BAD_USER_INPUT naming the field,
before any resolver runs or any SQL is sent (R23).

A NUL or a lone surrogate otherwise travels as far as the statement that binds it, and fails
there (INTERNAL), or in the email or log line that quotes it. One check where arguments enter
covers every argument of every field, also those added later; the resolvers' own checks
(`resolvers/inputs.py`) keep what is specific to a field (length, emptiness, format).

List it before `Admission`, so a refused request costs no SQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    BREAK,
    ArgumentNode,
    Node,
    ObjectFieldNode,
    StringValueNode,
    VariableDefinitionNode,
    Visitor,
    visit,
)
from salescoord.db.storable import storable_text
from strawberry.extensions import SchemaExtension

from salescoord.errors import BadUserInput


class StorableText(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        field = _in_variables(context.variables or {})
        if field is None and context.graphql_document is not None and _may_hold_nul(context.query):
            finder = _LiteralFinder()
            visit(context.graphql_document, finder)
            field = finder.found
        if field is not None:
            raise BadUserInput(f"{field} contains a character that cannot be stored.", field=field)
        yield


def _in_variables(value: Any, field: str | None = None) -> str | None:
    """The innermost name (a variable, or a field of an input object) holding a bad string; a
    bad key counts too, as graphql-core quotes an unknown field's name in its error."""
    if isinstance(value, str):
        return None if storable_text(value) else field or "variables"
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = ((field or "variables", item) for item in value)
    else:
        return None
    for name, item in items:
        if not storable_text(name):
            return field or "variables"
        found = _in_variables(item, name)
        if found is not None:
            return found
    return None


def _may_hold_nul(source: str | None) -> bool:
    """A literal holds a NUL only by an escape (`\\u0000`, `\\u{0}`) or raw in a block string:
    a document with neither, nearly every one, is not walked (a walk costs ~0.3 ms)."""
    return source is None or "\\u" in source or "\x00" in source


class _LiteralFinder(Visitor):
    """The argument, input field or variable (a default value) around a string literal that
    holds a NUL (graphql-core refuses lone surrogates while lexing)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.found: str | None = None

    def enter(self, node: Node, *_: Any) -> Any:
        if isinstance(node, ArgumentNode | ObjectFieldNode):
            self.names.append(node.name.value)
        elif isinstance(node, VariableDefinitionNode):
            self.names.append(node.variable.name.value)
        elif isinstance(node, StringValueNode) and not storable_text(node.value):
            self.found = self.names[-1] if self.names else "query"
            return BREAK
        return None

    def leave(self, node: Node, *_: Any) -> Any:
        if isinstance(node, ArgumentNode | ObjectFieldNode | VariableDefinitionNode):
            self.names.pop()
        return None
