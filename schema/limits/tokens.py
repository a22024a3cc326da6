"""`TokenLimiter`: a document of more than `max_tokens` tokens is not even parsed past
the bound (graphql-core's `max_tokens` stops the lexer), and is refused as QUERY_TOO_COMPLEX.

List it after `ErrorCodes`, so the refusal is formatted like every other error.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from salescoord.schema.limits.settings import settings_of
from strawberry.extensions import SchemaExtension

from salescoord.errors import QueryTooComplex

_PARSER_MESSAGE = "Document contains more than"


def _over(error: GraphQLError) -> bool:
    return _PARSER_MESSAGE in error.message and "tokens" in error.message


def _refusal(limit: int) -> QueryTooComplex:
    return QueryTooComplex(
        f"The query's tokens are more than {limit}, over the limit of {limit}.",
        bound="tokens",
        limit=limit,
    )


class TokenLimiter(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        limit = settings_of(self.execution_context).max_tokens
        self.execution_context.parse_options["max_tokens"] = limit
        try:
            yield
        except GraphQLError as error:
            if _over(error):
                raise _refusal(limit) from None
            raise
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [
                GraphQLError(str(_refusal(limit)), original_error=_refusal(limit)) if _over(error) else error
                for error in result.errors
            ]
