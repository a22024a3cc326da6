"""The client's operations: ipad_client/operations.graphql and the service's snapshot
(salescoord/sync/snapshot.graphql), read as one document; each request carries one operation
and only the fragments it uses."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from gql import GraphQLRequest
from graphql import DocumentNode, parse, print_ast
from graphql.utilities import separate_operations

HERE = Path(__file__).resolve().parent
SNAPSHOT = HERE.parent / "salescoord" / "sync" / "snapshot.graphql"
OPERATIONS = HERE / "operations.graphql"


@cache
def operations() -> dict[str, DocumentNode]:
    source = SNAPSHOT.read_text() + "\n" + OPERATIONS.read_text()
    return separate_operations(parse(source))


@cache
def _text(name: str) -> str:
    return print_ast(operations()[name])


class Request(GraphQLRequest):
    """A GraphQLRequest whose text is printed once per operation, not once per request."""

    @property
    def payload(self) -> dict:
        payload: dict = {"query": _text(self.operation_name)}
        payload["operationName"] = self.operation_name
        if self.variable_values:
            payload["variables"] = self.variable_values
        return payload


def request(name: str, variables: dict | None = None) -> GraphQLRequest:
    """The named operation, ready for a gql session."""
    return Request(operations()[name], variable_values=variables or {}, operation_name=name)
