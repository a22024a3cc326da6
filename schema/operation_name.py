"""Names every operation for the logs and metrics: the client's name, or one derived from
the root fields of an anonymous operation (`query:users+lists`), so no request is unnamed."""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import FieldNode, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

_SAFE = re.compile(r"[^A-Za-z0-9_:+]")


class OperationName(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if hasattr(context, "operation"):
            context.operation = derive(self.execution_context)
        yield


def derive(execution_context: object) -> str:
    name = getattr(execution_context, "operation_name", None)
    if name:
        return _SAFE.sub("", name)[:64] or "unnamed"
    document = getattr(execution_context, "graphql_document", None)
    for definition in getattr(document, "definitions", ()):
        if isinstance(definition, OperationDefinitionNode):
            fields = [s.name.value for s in definition.selection_set.selections if isinstance(s, FieldNode)]
            kind = definition.operation.value
            return _SAFE.sub("", f"{kind}:{'+'.join(sorted(set(fields)))}")[:64]
    return "unparsed"
