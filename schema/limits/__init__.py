"""Bounds on one query, checked before it runs (R24); the values are settings (README).

- `TokenLimiter` (tokens.py): tokens in the document, counted while parsing;
- `ValidationWorkLimiter` (validation_work.py): the work validation would do comparing
  repeated fields, counted from the document by `overlap.py` before validation runs;
- `QueryCostLimiter` (cost.py): depth, aliases, directives and fields after fragment
  expansion, connection nodes and the computed cost, from `measure.py`;
- `IntrospectionSwitch` (introspection.py): `__schema`/`__type` refused when turned off.

Each refusal is QUERY_TOO_COMPLEX (introspection: BAD_USER_INPUT) naming the bound, and
comes before the viewer is loaded, so a refused query runs no SQL at all.
"""

from salescoord.schema.limits.cost import QueryCostLimiter
from salescoord.schema.limits.introspection import IntrospectionSwitch
from salescoord.schema.limits.tokens import TokenLimiter
from salescoord.schema.limits.validation_work import ValidationWorkLimiter

__all__ = ["IntrospectionSwitch", "QueryCostLimiter", "TokenLimiter", "ValidationWorkLimiter"]
