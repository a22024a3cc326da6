"""`OperationChoice`: which operation of the document runs, decided as the GraphQL spec's
GetOperation() decides it, once the document is parsed.

strawberry runs the first operation of a document that holds several when the request names
none, and answers an unknown `operationName` with a plain-text HTTP 400. The spec makes both
request errors; here they are BAD_USER_INPUT with `field: "operationName"` (R22), on every
channel. Running the first operation silently also skipped the query's bounds, which are
measured for the operation the request names (R24).
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from salescoord.errors import BadUserInput


class OperationChoice(SchemaExtension):
    def on_parse(self) -> Iterator[None]:
        yield
        context = self.execution_context
        document = context.graphql_document
        if document is None:
            return
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        # strawberry keeps the name the request gave apart from the one it falls back on
        requested = context._provided_operation_name
        if requested is None:
            if not operations:
                raise BadUserInput("The document holds no operation to run.", field="query")
            if len(operations) > 1:
                raise BadUserInput(
                    "The document holds several operations: name the one to run in `operationName`.",
                    field="operationName",
                )
        elif not any(o.name is not None and o.name.value == requested for o in operations):
            raise BadUserInput(f"The document holds no operation named '{requested}'.", field="operationName")
