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
def operations(keyed: bool = False) -> dict[str, DocumentNode]:
    """Every operation by name. `keyed`: the queue's mutations take `$key` (clientMutationId)
    in place of `$number` (mutationNumber), for a service without numbered mutations."""
    source = SNAPSHOT.read_text() + "\n" + OPERATIONS.read_text()
    if keyed:
        source = source.replace("$number: Int!", "$key: String!").replace(
            "mutationNumber: $number", "clientMutationId: $key"
        )
    return separate_operations(parse(source))


@cache
def _text(name: str, keyed: bool) -> str:
    return print_ast(operations(keyed)[name])


class Request(GraphQLRequest):
    """A GraphQLRequest whose text is printed once per operation, not once per request."""

    keyed = False

    @property
    def payload(self) -> dict:
        payload: dict = {"query": _text(self.operation_name, self.keyed)}
        payload["operationName"] = self.operation_name
        if self.variable_values:
            payload["variables"] = self.variable_values
        return payload


def request(name: str, variables: dict | None = None, keyed: bool = False) -> GraphQLRequest:
    """The named operation, ready for a gql session."""
    made = Request(operations(keyed)[name], variable_values=variables or {}, operation_name=name)
    made.keyed = keyed
    return made
