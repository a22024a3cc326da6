"""`QueryCostLimiter`: refuses an operation over any size bound before it runs (R24), and
reports its cost in `extensions.cost` as Shopify does.

    Schema(..., extensions=[..., ValidationCache, QueryCostLimiter])

It runs after validation (the document is known to be well formed, fragments acyclic)
and before execution, with the request's variables, so `first: $n` counts as sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from salescoord.schema.limits.measure import Measure, TooBig, measure
from salescoord.schema.limits.settings import settings_of
from strawberry.extensions import SchemaExtension

BOUNDS = ("depth", "aliases", "directives", "fields", "nodes", "cost")


def too_complex(bound: str, actual: int | str, limit: int) -> GraphQLError:
    return GraphQLError(
        f"The query's {bound} is {actual}, over the limit of {limit}.",
        extensions={"code": "QUERY_TOO_COMPLEX", "bound": bound, "limit": limit, "actual": actual},
    )


class QueryCostLimiter(SchemaExtension):
    """Depth, aliases, directives, fields, nodes and cost of the operation, each within its
    setting (`max_depth`, `max_aliases`, ...); the first one over is the error."""

    measured: Measure | None = None

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if not context.pre_execution_errors and context.graphql_document is not None:
            error = self._check()
            if error is not None:
                context.pre_execution_errors = [error]
        yield

    def _check(self) -> GraphQLError | None:
        context = self.execution_context
        settings = settings_of(context)
        try:
            self.measured = measure(
                context.schema._schema,
                context.graphql_document,
                context.operation_name,
                context.variables,
                budget=settings.max_fields,
            )
        except TooBig:
            return too_complex("fields", f"more than {settings.max_fields}", settings.max_fields)
        if self.measured is None:
            return None
        for bound in BOUNDS:
            actual, limit = getattr(self.measured, bound), getattr(settings, f"max_{bound}")
            if actual > limit:
                return too_complex(bound, actual, limit)
        return None

    def get_results(self) -> dict[str, Any]:
        if self.measured is None:
            return {}
        settings = settings_of(self.execution_context)
        return {
            "cost": {
                "requested": self.measured.cost,
                "limit": settings.max_cost,
                "nodes": self.measured.nodes,
                "nodeLimit": settings.max_nodes,
            }
        }
