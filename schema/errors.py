"""Every error leaves with an `extensions.code` (R22), and nothing else leaves.

- the service's own errors (`salescoord.errors`) keep their message and code;
- errors of the request itself (syntax, validation, variable coercion such as an
  unknown enum value) are BAD_USER_INPUT (R23), unless a limit gave them a code,
  with the argument, input field or variable at fault as `field` where there is one;
- graphql-core's own abort of a validation past its work budget is QUERY_TOO_COMPLEX
  (R24), like the bound that normally refuses such a document first;
- anything else is INTERNAL with a request id; the stack is logged, never sent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from graphql import (
    BREAK,
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    Node,
    ObjectFieldNode,
    VariableDefinitionNode,
    Visitor,
    visit,
)
from graphql.validation.validate import ValidationAbortedError
from salescoord.schema.limits.settings import settings_of
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from salescoord.errors import ServiceError

log = logging.getLogger("salescoord.errors")


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        try:
            yield
        except (MissingQueryError, CannotGetOperationTypeError, InvalidOperationTypeError):
            raise  # answered by the HTTP view (400, JSON: salescoord.graphql_http)
        except Exception as error:
            # Raised by another extension's hook (the parser cache parses while entering its
            # hook, so a syntax error arrives here) rather than returned in the result:
            # strawberry sends what is raised as it is, so it leaves formatted.
            wrapped = (
                error if isinstance(error, GraphQLError) else GraphQLError(str(error), original_error=error)
            )
            raise self._format(wrapped) from None
        result = self.execution_context.result
        if result is None or not getattr(result, "errors", None):
            return
        result.errors = [self._format(error) for error in result.errors]

    def _format(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        while isinstance(original, GraphQLError) and original.original_error is not None:
            original = original.original_error
        if isinstance(original, ServiceError):
            return self._rebuild(error, original.message, original.extensions)
        if _validation_aborted(error):
            message = "Validating the query took too long; repeat fewer fields under one response name."
            return self._rebuild(error, message, {"code": "QUERY_TOO_COMPLEX", "bound": "validation"})
        if original is None or _coercion_error(error):
            extensions = {**(error.extensions or {})}
            extensions["code"] = extensions.get("code") or "BAD_USER_INPUT"
            field = _field_at_fault(self.execution_context.graphql_document, error)
            if field is not None and extensions["code"] == "BAD_USER_INPUT":
                extensions.setdefault("field", field)
            return self._rebuild(error, error.message, extensions)
        request_id = getattr(self.execution_context.context, "request_id", None)
        log.error(
            "unexpected error (request %s) at %s",
            request_id,
            error.path,
            exc_info=(type(original), original, original.__traceback__),
        )
        return self._rebuild(error, "Internal error.", {"code": "INTERNAL", "requestId": request_id})

    def _rebuild(self, error: GraphQLError, message: str, extensions: dict) -> GraphQLError:
        if not settings_of(self.execution_context).field_suggestions:
            message = without_suggestions(message)
        return GraphQLError(
            message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions=extensions,
        )


SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def without_suggestions(message: str) -> str:
    """graphql-core's "Did you mean 'email'?" tells a prober the schema it may not read
    when introspection is off: with `field_suggestions` off, it goes."""
    return SUGGESTION.sub("", message)


def _validation_aborted(error: GraphQLError) -> bool:
    """graphql-core's work budget ran out ("Validation aborted."), not its error count (whose
    notice follows a hundred errors of the client's own)."""
    return isinstance(error, ValidationAbortedError) and error.message == "Validation aborted."


def _coercion_error(error: GraphQLError) -> bool:
    """A variable that does not coerce to its type: graphql-core reports it before execution
    (no path), wrapping its own GraphQLError (itself wrapping, say, the KeyError of an
    unknown enum value)."""
    return error.path is None and isinstance(error.original_error, GraphQLError)


def _field_at_fault(document: DocumentNode | None, error: GraphQLError) -> str | None:
    """The variable, or the innermost argument or input field around the offending literal."""
    node = error.nodes[0] if error.nodes else None
    if isinstance(node, VariableDefinitionNode):
        return node.variable.name.value
    if node is None or node.loc is None or document is None:
        return None
    finder = _Enclosing(node)
    visit(document, finder)
    return finder.found


class _Enclosing(Visitor):
    """Finds the name of the innermost argument or input object field that holds `target`
    (matched by position, as a cached document may be another copy of the same text)."""

    def __init__(self, target: Node) -> None:
        super().__init__()
        self.target = (target.kind, target.loc.start, target.loc.end)
        self.names: list[str] = []
        self.found: str | None = None

    def enter(self, node: Node, *_: Any) -> Any:
        if isinstance(node, ArgumentNode | ObjectFieldNode):
            self.names.append(node.name.value)
        if node.loc is not None and (node.kind, node.loc.start, node.loc.end) == self.target:
            self.found = self.names[-1] if self.names else None
            return BREAK
        return None

    def leave(self, node: Node, *_: Any) -> Any:
        if isinstance(node, ArgumentNode | ObjectFieldNode):
            self.names.pop()
        return None
