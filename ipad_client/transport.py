"""gql's HTTP transport on a network the tests control: the device goes offline (nothing is
sent), or an answer is lost after the server committed (the request reached it, the answer
never reached the device: the case exactly-once exists for)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gql import GraphQLRequest
from gql.transport.httpx import HTTPXAsyncTransport
from graphql import ExecutionResult


class Offline(ConnectionError):
    """No network: the request was not sent."""


class AnswerLost(ConnectionError):
    """The request reached the server and was answered; the answer was lost on the way."""


@dataclass
class Network:
    """What the next requests meet. `lose` answers are dropped, counting from the next request
    whose operation is in `losing` (every operation when `losing` is empty)."""

    online: bool = True
    lose: int = 0
    losing: set[str] = field(default_factory=set)
    sent: int = 0
    lost: int = 0

    def drops(self, operation: str | None) -> bool:
        if self.lose <= 0 or (self.losing and operation not in self.losing):
            return False
        self.lose -= 1
        self.lost += 1
        return True


class LossyTransport(HTTPXAsyncTransport):
    """HTTPXAsyncTransport whose answers may be lost after the server has them."""

    def __init__(self, url: str, network: Network, **kwargs: Any) -> None:
        super().__init__(url=url, **kwargs)
        self.network = network

    async def execute(self, request: GraphQLRequest, **kwargs: Any) -> ExecutionResult:
        if not self.network.online:
            raise Offline("the device is offline")
        result = await super().execute(request, **kwargs)
        self.network.sent += 1
        if self.network.drops(request.operation_name):
            raise AnswerLost(f"the answer to {request.operation_name} was lost")
        return result
