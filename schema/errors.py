"""Every error leaves with an `extensions.code` (R22), and nothing else leaves.

- the service's own errors (`salescoord.errors`) keep their message and code;
- errors of the request itself (syntax, validation, variable coercion such as an
  unknown enum value) are BAD_USER_INPUT (R23), unless a limit gave them a code;
- anything else is INTERNAL with a request id; the stack is logged, never sent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from salescoord.errors import ServiceError

log = logging.getLogger("salescoord.errors")


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
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
        if original is None:
            code = (error.extensions or {}).get("code") or "BAD_USER_INPUT"
            return self._rebuild(error, error.message, {**(error.extensions or {}), "code": code})
        request_id = getattr(self.execution_context.context, "request_id", None)
        log.error(
            "unexpected error (request %s) at %s",
            request_id,
            error.path,
            exc_info=(type(original), original, original.__traceback__),
        )
        return self._rebuild(error, "Internal error.", {"code": "INTERNAL", "requestId": request_id})

    @staticmethod
    def _rebuild(error: GraphQLError, message: str, extensions: dict) -> GraphQLError:
        return GraphQLError(
            message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions=extensions,
        )
