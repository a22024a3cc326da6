"""`IntrospectionSwitch`: `__schema` and `__type` refused when the `introspection` setting
is off (production, R22); on in the embedded default, where GraphiQL needs it."""

from __future__ import annotations

from collections.abc import Iterator

from graphql.validation import NoSchemaIntrospectionCustomRule
from salescoord.schema.limits.settings import settings_of
from strawberry.extensions import SchemaExtension


class IntrospectionSwitch(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        if not settings_of(self.execution_context).introspection:
            context = self.execution_context
            context.validation_rules = (*context.validation_rules, NoSchemaIntrospectionCustomRule)
        yield
