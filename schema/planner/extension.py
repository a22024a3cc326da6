"""`CompiledPlans`: a query whose every root field the planner knows is answered by one
statement per root field, its JSON written by the database; any other operation executes
through the resolvers as before.

It runs last of the schema's extensions, once the operation has been parsed, validated,
bounded and admitted and the viewer loaded, and replaces only execution: every limit, the
budget, the error codes and the logs see the request as before. Plans are kept per viewer
scope (the viewer's role, permissions and channel decide the guards) and per document,
operation and variables, so a repeated operation is neither read nor built again; both kept
sets are bounded for the whole process (below).
On PostgreSQL, unless `Settings.planner` is off (SALESCOORD_PLANNER=0) or the process is the
benchmark's naive baseline (`Settings.naive`).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator
from typing import Any

from graphql import ExecutionResult, OperationDefinitionNode
from salescoord.schema.planner.cursors import fill
from salescoord.schema.planner.plan import Unplannable, read_operation
from salescoord.schema.planner.sql import from_viewer_row, leaves_of, parameters, shape_of, statement_of
from sqlalchemy.exc import CompileError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from salescoord.errors import ServiceError

# Kept for the whole process, every viewer scope together, least recently used first out.
# A statement is the heavy part (about 0.6 MB for the SC dashboard, built and compiled): a
# plan names its statements by shape and holds none, so a caller who sends many different
# queries can never hold more than STATEMENTS_KEPT of them in memory.
PLANS_KEPT = 1024
STATEMENTS_KEPT = 128
answered: Counter[str] = Counter()
"""Queries this process answered by a plan ("plan") or left to the resolvers ("resolvers")."""
_plans: OrderedDict[Any, Any] = OrderedDict()
_statements: OrderedDict[Any, list[Any]] = OrderedDict()


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
            statements = _built(execution, plan)
            if statements is None:
                plan = None
            else:
                try:
                    result = await answer(context, plan, statements)
                except CompileError:  # a statement SQLAlchemy cannot write: the resolvers answer
                    forget(execution)
                    plan = None
                else:
                    execution.result = ExecutionResult(data=result, errors=None)
            answered["resolvers" if plan is None else "plan"] += 1
        yield


def _keep(cache: OrderedDict[Any, Any], key: Any, value: Any, most: int) -> Any:
    cache[key] = value
    while len(cache) > most:
        cache.popitem(last=False)
    return value


def _document(execution: Any) -> tuple[bytes, str | None]:
    """The document and operation in a key: a digest, so a kept key never holds a long query."""
    return hashlib.sha256(execution.query.encode()).digest(), execution.operation_name


def _key(execution: Any) -> tuple[Any, ...]:
    variables = json.dumps(execution.variables or {}, sort_keys=True, default=str)
    return (execution.context.scope, *_document(execution), hashlib.sha256(variables.encode()).digest())


def plan_of(execution: Any) -> Any:
    """The operation's plan: its roots with their parameters, and the key of its statements;
    None when the resolvers must answer. Kept by viewer scope, document and variables (a
    repeated request reads nothing again); the statements by scope, document and shape (a new
    page of a list, or another meeting's detail, binds new values to those built for the first)."""
    key = _key(execution)
    plan = _plans.get(key)
    if key not in _plans:
        plan = _keep(_plans, key, _read(execution), PLANS_KEPT)
    else:
        _plans.move_to_end(key)
    return plan


def forget(execution: Any) -> None:
    """Leave this operation to the resolvers from now on (its statement would not compile)."""
    _keep(_plans, _key(execution), None, PLANS_KEPT)


def _read(execution: Any) -> Any:
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
        return None
    context = execution.context
    try:
        roots = read_operation(
            execution.schema._schema, document, operation, execution.variables or {}, context
        )
    except (Unplannable, ServiceError):
        return None
    if not roots:
        return None
    shape = (context.scope, *_document(execution), tuple(shape_of(r) for r in roots))
    return shape, [(root, parameters(root)) for root in roots]


def _built(execution: Any, plan: Any) -> list[Any] | None:
    """The plan's statements, built when their shape is not kept (an item None: the viewer's
    row answers that root); None when there is no plan, or its statements cannot be written."""
    if plan is None:
        return None
    shape, roots = plan
    statements = _statements.get(shape)
    if statements is not None:
        _statements.move_to_end(shape)
        return statements
    scope = execution.context.scope
    try:
        statements = [None if from_viewer_row(root) else statement_of(root, scope) for root, _ in roots]
    except ServiceError:
        forget(execution)
        return None
    return _keep(_statements, shape, statements, STATEMENTS_KEPT)


async def answer(context: Any, plan: Any, statements: list[Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for (root, values), statement in zip(plan[1], statements, strict=True):
        if statement is None:
            row = context.viewer.row
            if row is not None:
                data[root.key] = leaves_of(row, root.target)
                continue
            statement = statement_of(root, context.scope)  # not read with the viewer: a statement
        text = await context.db.scalar(statement, values)
        data[root.key] = fill(json.loads(text), root) if text is not None else None
    return data
