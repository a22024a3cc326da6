"""The mutation queue: what the device did while it could not tell the server, in order.

Each pending mutation keeps its variables, the client id (UUID) of the object it creates, if
any, and, once sent, its mutation number (R31). Later mutations name a queued object by its
client id: the service resolves it, so nothing waits for an answer. A number is given when
the mutation is first sent and kept until it is answered: an answer that was lost is asked
again with the same number; a refusal frees the number for the next mutation."""

from __future__ import annotations

import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any


def new_client_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Pending:
    operation: str  # a mutation of operations.graphql
    variables: dict[str, Any]
    creates: str | None = None  # the client id of the object it creates
    number: int | None = None  # given when first sent
    sent: int = 0  # times sent
    outcome: str | None = None  # APPLIED, ALREADY_APPLIED or the refusal's code
    answer: dict[str, Any] | None = None


@dataclass
class Queue:
    pending: deque[Pending] = field(default_factory=deque)
    done: list[Pending] = field(default_factory=list)  # answered, in the order sent

    def add(self, operation: str, variables: dict[str, Any], creates: str | None = None) -> Pending:
        item = Pending(operation, variables, creates)
        self.pending.append(item)
        return item

    def __len__(self) -> int:
        return len(self.pending)
