"""`CompiledPlans`: a query whose every root field the planner knows is answered by one
statement per root field, its JSON written by the database; any other operation executes
through the resolvers as before.

It runs last of the schema's extensions, once the operation has been parsed, validated,
bounded and admitted and the viewer loaded, and replaces only execution: every limit, the
budget, the error codes and the logs see the request as before. Plans are kept per viewer
scope (the viewer's role, permissions and channel decide the guards) and per document,
operation and variables, so a repeated operation is neither read nor built again.
On PostgreSQL, unless `Settings.planner` is off (SALESCOORD_PLANNER=0) or the process is the
benchmark's naive baseline (`Settings.naive`).
"""

from __future__ import annotations

import json
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator
from typing import Any

from graphql import ExecutionResult, OperationDefinitionNode
from salescoord.schema.planner.cursors import fill
from salescoord.schema.planner.plan import Root, Unplannable, read_operation
from salescoord.schema.planner.sql import from_viewer_row, leaves_of, parameters, shape_of, statement_of
from sqlalchemy.exc import CompileError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from salescoord.errors import ServiceError

PLANS_PER_SCOPE = 256
UNPLANNABLE: list[tuple[Root, Any, dict[str, Any]]] = []
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
            and not settings.naive
            and getattr(context, "viewer", None) is not None
            and context.db.dialect == "postgresql"
            and execution.operation_type is OperationType.QUERY
        ):
            plan = plan_of(execution)
            if plan:
                try:
                    execution.result = ExecutionResult(data=await answer(context, plan), errors=None)
                except CompileError:  # a statement SQLAlchemy cannot write: the resolvers answer
                    forget(execution)
                    plan = UNPLANNABLE
            answered["plan" if plan else "resolvers"] += 1
        yield


def _kept(scope: Any, name: str) -> OrderedDict[Any, Any]:
    return scope.memo(name, OrderedDict)


def _keep(cache: OrderedDict[Any, Any], key: Any, value: Any) -> Any:
    cache[key] = value
    if len(cache) > PLANS_PER_SCOPE:
        cache.popitem(last=False)
    return value


def plan_of(execution: Any) -> list[tuple[Root, Any, dict[str, Any]]]:
    """The operation's roots with their statements and parameters; [] when the resolvers
    must answer. Kept per viewer scope twice over: by document and variables (a repeated
    request reads nothing again), and by document and shape (a new page of a list, or another
    meeting's detail, binds new values to the statements built for the first)."""
    context = execution.context
    plans = _kept(context.scope, "compiled plans")
    variables = execution.variables or {}
    key = (execution.query, execution.operation_name, json.dumps(variables, sort_keys=True, default=str))
    plan = plans.get(key)
    if plan is None:
        plan = _keep(plans, key, _read(execution))
    else:
        plans.move_to_end(key)
    return plan


def forget(execution: Any) -> None:
    """Leave this operation to the resolvers from now on (its statement would not compile)."""
    plans = _kept(execution.context.scope, "compiled plans")
    variables = execution.variables or {}
    key = (execution.query, execution.operation_name, json.dumps(variables, sort_keys=True, default=str))
    plans[key] = UNPLANNABLE


def _read(execution: Any) -> list[tuple[Root, Any, dict[str, Any]]]:
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
    context = execution.context
    try:
        roots = read_operation(
            execution.schema._schema, document, operation, execution.variables or {}, context
        )
        shapes = _kept(context.scope, "compiled statements")
        shape = (execution.query, execution.operation_name, tuple(shape_of(root) for root in roots))
        statements = shapes.get(shape)
        if statements is None:
            statements = [
                None if from_viewer_row(root) else statement_of(root, context.scope) for root in roots
            ]
            _keep(shapes, shape, statements)
        return [
            (root, statement, parameters(root)) for root, statement in zip(roots, statements, strict=True)
        ]
    except (Unplannable, ServiceError):
        return UNPLANNABLE


async def answer(context: Any, plan: list[tuple[Root, Any, dict[str, Any]]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for root, statement, values in plan:
        if statement is None:
            row = context.viewer.row
            if row is not None:
                data[root.key] = leaves_of(row, root.target)
                continue
            statement = statement_of(root, context.scope)  # not read with the viewer: a statement
        text = await context.db.scalar(statement, values)
        data[root.key] = fill(json.loads(text), root) if text is not None else None
    return data
