"""`DirectLeaves`: the execution context, with a direct path for plain leaf fields.

Most of what a page of rows returns is plain leaves: `name`, `email`, `id` of a type
built from a row, with no resolver, no arguments and no guard (guards sit on the fields
that reach other objects). graphql-core executes every field the same way: a resolve
info, a path, the resolver through Strawberry's wrapper, then value completion; for a
plain leaf that is about 45,000 instructions, of which reading the attribute and
serialising the value are a few hundred. This context reads such a leaf directly and
hands every other field, and every leaf whose value is null where null is not allowed or
does not serialise, to graphql-core's own path, so errors read as they always did.

    strawberry.Schema(query=Query, execution_context_class=DirectLeaves)

A 100-row page of four leaves and two nested objects (`bench` Q2) costs a fifth of the
instructions it did. Resolver middleware (a schema extension's `resolve` hook) turns the
direct path off, so an extension that wraps every field still sees every field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLField, GraphQLNonNull, GraphQLObjectType, is_leaf_type
from graphql.pyutils import Path, Undefined
from graphql.pyutils.gather_with_cancel import gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

# (python attribute, how the field's default resolver reads it, serialise, null allowed)
Plan = tuple[str, Callable[[Any, str], Any], Callable[[Any], Any], bool]
_PLANS: dict[int, tuple[GraphQLField, Plan | None]] = {}  # by id: fields are not hashable


def plan_of(field: GraphQLField) -> Plan | None:
    """How to read `field` directly, or None when it needs graphql-core's full path. Made
    once per field of the schema."""
    known = _PLANS.get(id(field))
    if known is not None and known[0] is field:
        return known[1]
    plan = None
    definition = field.extensions.get("strawberry-definition")
    # Strawberry marks the resolver of a field without resolver, extensions or exception
    # handlers: reading the attribute is all it does.
    if definition is not None and getattr(field.resolve, "_is_default", False) and not field.args:
        nullable = not isinstance(field.type, GraphQLNonNull)
        leaf = field.type if nullable else field.type.of_type
        if is_leaf_type(leaf):
            plan = (definition.python_name, definition.default_resolver, leaf.coerce_output_value, nullable)
    _PLANS[id(field)] = (field, plan)
    return plan


class DirectLeaves(StrawberryGraphQLCoreExecutionContext):
    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        """graphql-core's `execute_fields`, with plain leaves read in place."""
        middleware = self.middleware_manager
        if middleware is not None and middleware.middlewares:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        fields = parent_type.fields
        results: dict[str, Any] = {}
        awaitable_fields: list[str] = []
        is_awaitable = self.is_awaitable
        try:
            for response_name, field_details_list in grouped_field_set.items():
                node = field_details_list[0].node
                field = fields.get(node.name.value)
                plan = plan_of(field) if field is not None and not node.arguments else None
                if plan is not None:
                    attribute, read, serialise, nullable = plan
                    value = read(source_value, attribute)
                    if value is None and nullable:
                        results[response_name] = None
                        continue
                    if value is not None:
                        try:
                            serialised = serialise(value)
                        except Exception:  # graphql-core's path reports it
                            serialised = None
                        if serialised is not None and serialised is not Undefined:
                            results[response_name] = serialised
                            continue
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[name] for name in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return self._gather(results, awaitable_fields)

    @staticmethod
    async def _gather(results: dict[str, Any], awaitable_fields: list[str]) -> dict[str, Any]:
        if len(awaitable_fields) == 1:
            name = awaitable_fields[0]
            results[name] = await results[name]
        else:
            values = await gather_with_cancel(*(results[name] for name in awaitable_fields))
            results.update(zip(awaitable_fields, values, strict=True))
        return results
