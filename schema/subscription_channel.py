"""`SubscriptionChannel`: a subscription runs over the WebSocket at /graphql
(graphql-transport-ws); sent as a plain HTTP POST it is refused with 400 and a JSON error,
BAD_USER_INPUT, before anything runs.

Over HTTP graphql-core would run the subscription's field as an ordinary one, which yields a
stream, not a value: the request failed as INTERNAL and logged a stack for a client's mistake.
"""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from salescoord.errors import BadUserInput

REFUSAL = "Subscriptions run over the WebSocket at /graphql (graphql-transport-ws), not over HTTP POST."


class SubscriptionChannel(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        request = getattr(context, "request", None)
        over_http = request is not None and request.scope.get("type") == "http"
        if over_http and self.execution_context.operation_type is OperationType.SUBSCRIPTION:
            if getattr(context, "response", None) is not None:
                context.response.status_code = 400
            raise BadUserInput(REFUSAL)
        yield
