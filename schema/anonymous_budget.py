"""`AnonymousBudget`: anonymous requests are counted per IP (`anonymous_requests_per_ip` per
`anonymous_window_seconds`) before they are validated; past the limit: RATE_LIMITED.

Anonymous callers may only sign in and sign up (R4), and those two have limits of their own,
so they are not counted here. Everything else an anonymous caller sends answers
UNAUTHENTICATED, but only after it has been parsed and validated, and that CPU is what this
budget bounds per address: `limit` validations a window, each bounded by the validation
work bound that runs just before (schema/limits/validation_work.py). A signed-in caller
(a valid token; the viewer itself is loaded later, by `Admission`) spends the per-user
budget instead.

    Schema(..., extensions=[..., ValidationWorkLimiter, AnonymousBudget, ValidationCache, ...])
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from graphql import FieldNode, OperationType
from salescoord.schema.limits.measure import operation_of
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from salescoord.rate_limits import client_ip
from salescoord.tokens import read_token

SIGN_IN_FIELDS = frozenset({"login", "register", "__typename"})


class AnonymousBudget(SchemaExtension):
    async def on_validate(self) -> AsyncIterator[None]:
        execution_context = self.execution_context
        context = execution_context.context
        budget = getattr(context, "anonymous_budget", None)
        if budget is not None and _anonymous(context) and not _signs_in(execution_context):
            await budget.spend(context, client_ip(context))
        yield


def _anonymous(context: Any) -> bool:
    if getattr(context, "viewer", None) is not None:
        return False
    token = getattr(context, "token", None)
    return token is None or read_token(context.settings, token) is None


def _signs_in(execution_context: ExecutionContext) -> bool:
    """A mutation of `login` or `register` alone, which count under limits of their own."""
    document = execution_context.graphql_document
    operation = operation_of(document, execution_context.operation_name) if document else None
    if operation is None or operation.operation != OperationType.MUTATION:
        return False
    selections = operation.selection_set.selections
    return all(isinstance(s, FieldNode) and s.name.value in SIGN_IN_FIELDS for s in selections)
