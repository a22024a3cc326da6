"""`ValidationWorkLimiter`: a document whose validation would take more than
`max_validation_steps` (schema/limits/overlap.py) is refused as QUERY_TOO_COMPLEX before
graphql-core validates it (R24).

List it before `ValidationCache`: that one validates while entering its hook, and only an
error raised earlier keeps validation from running. The query's own bounds (depth, fields,
cost) are measured after validation; this one guards validation itself, for every operation
and fragment of the document, whoever sends it.
"""

from __future__ import annotations

from collections.abc import Iterator

from salescoord.schema.limits.overlap import TooDeep, TooMuchWork, merging_steps
from salescoord.schema.limits.settings import settings_of
from strawberry.extensions import SchemaExtension

from salescoord.errors import QueryTooComplex


class ValidationWorkLimiter(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and not context.pre_execution_errors:
            settings = settings_of(context)
            limit, depth = settings.max_validation_steps, settings.max_depth
            try:
                merging_steps(context.graphql_document, limit, depth)
            except TooMuchWork:
                raise QueryTooComplex(
                    f"Validating the query would take more than {limit} steps, over the limit of"
                    f" {limit}: fields repeated under one response name are compared pairwise,"
                    " also inside repeated fields and fragments.",
                    bound="validation",
                    limit=limit,
                ) from None
            except TooDeep:
                raise QueryTooComplex(
                    f"The query's depth is more than {depth}, over the limit of {depth}.",
                    bound="depth",
                    limit=depth,
                ) from None
        yield
