"""`CompiledPlans`: a query whose every root field the planner knows is answered by one
statement per root field, its JSON written by the database; any other operation executes
through the resolvers as before.

It runs last of the schema's extensions, once the operation has been parsed, validated,
bounded and admitted and the viewer loaded, and replaces only execution: every limit, the
budget, the error codes and the logs see the request as before. Plans are kept per viewer
scope (the viewer's role, permissions and channel decide the guards) and per document,
operation and variables, so a repeated operation is neither read nor built again.
Off unless `Settings.planner` (SALESCOORD_PLANNER=1), and on PostgreSQL only.
"""

from __future__ import annotations

import json
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator
from typing import Any

from graphql import ExecutionResult, OperationDefinitionNode
from salescoord.schema.planner.cursors import fill
from salescoord.schema.planner.plan import Root, Unplannable, read_operation
from salescoord.schema.planner.sql import from_viewer_row, leaves_of, statement_of
from sqlalchemy.exc import CompileError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from salescoord.errors import ServiceError

PLANS_PER_SCOPE = 256
UNPLANNABLE: list[tuple[Root, Any]] = []
answered: Counter[str] = Counter()
"""Queries this process answered by a plan ("plan") or left to the resolvers ("resolvers")."""


class CompiledPlans(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        settings = getattr(context, "settings", None)
        if (
            settings is not None
            and settings.planner
            and getattr(context, "viewer", None) is not None
            and context.db.dialect == "postgresql"
            and execution.operation_type is OperationType.QUERY
        ):
            plan = plan_of(execution)
            answered["plan" if plan else "resolvers"] += 1
            if plan:
                execution.result = ExecutionResult(data=await answer(context, plan), errors=None)
        yield


def plan_of(execution: Any) -> list[tuple[Root, Any]]:
    """The operation's roots with their statements; [] when the resolvers must answer."""
    context = execution.context
    scope = context.scope
    plans: OrderedDict[Any, list[tuple[Root, Any]]] = scope.memo("compiled plans", OrderedDict)
    variables = execution.variables or {}
    key = (execution.query, execution.operation_name, json.dumps(variables, sort_keys=True, default=str))
    plan = plans.get(key)
    if plan is not None:
        plans.move_to_end(key)
        return plan
    plan = _read(execution)
    plans[key] = plan
    if len(plans) > PLANS_PER_SCOPE:
        plans.popitem(last=False)
    return plan


def _read(execution: Any) -> list[tuple[Root, Any]]:
    document = execution.graphql_document
    operation = next(
        (
            d
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
            and (execution.operation_name is None or (d.name and d.name.value == execution.operation_name))
        ),
        None,
    )
    if operation is None:
        return UNPLANNABLE
    schema = execution.schema._schema
    try:
        roots = read_operation(schema, document, operation, execution.variables or {}, execution.context)
        plan = [
            (root, None if from_viewer_row(root) else statement_of(root, execution.context.scope))
            for root in roots
        ]
        for _, statement in plan:
            if statement is not None:
                statement.compile(dialect=execution.context.db.engine.dialect)
        return plan
    except (Unplannable, ServiceError, CompileError):
        return UNPLANNABLE


async def answer(context: Any, plan: list[tuple[Root, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for root, statement in plan:
        if statement is None:
            row = context.viewer.row
            if row is None:  # not read with the viewer: the statement after all
                statement = statement_of(root, context.scope)
            else:
                data[root.key] = leaves_of(row, root.target)
                continue
        text = await context.db.scalar(statement)
        data[root.key] = fill(json.loads(text), root) if text is not None else None
    return data
