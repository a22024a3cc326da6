"""Exactly-once mutations for the iPad app (R16), after Stripe and the IETF Idempotency-Key
draft: the first call with a key performs the mutation and stores its outcome in the same
transaction; a replay with the same key and the same request performs nothing and answers
with the same object; the same key with a different request is BAD_USER_INPUT (the draft's
422). The app must send a key with every mutation; the web may.

    async def prepare():          # checks, run only when the key is new
        ...
        async def perform(connection): ...; return "Note", note_id
        return perform

    result_type, result_id = await exactly_once(info.context, key, "createNote", arguments, prepare)

`arguments` are the mutation's arguments as the client sent them: a replay is recognised
before any check runs, so replaying a deletion answers like the deletion did.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from db.session import RequestDatabase
from permissions.enums import Channel
from permissions.viewer import Viewer
from salescoord.errors import BadUserInput, Conflict, ServiceError
from salescoord.sync import outcomes

Outcome = tuple[str, int | None]
Perform = Callable[[AsyncConnection], Awaitable[Outcome]]
FIELD = "clientMutationId"


class Caller(Protocol):
    """Who makes the call, and the request's database: a request's context."""

    db: RequestDatabase
    viewer: Viewer


def _key(key: str | None) -> str | None:
    if key is None:
        return None
    if not 1 <= len(key) <= 64 or not key.isprintable() or key.strip() != key:
        raise BadUserInput("clientMutationId has 1 to 64 printable characters.", field=FIELD)
    return key


def fingerprint(operation: str, arguments: dict[str, Any]) -> str:
    canonical = json.dumps({"operation": operation, "arguments": arguments}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def exactly_once(
    caller: Caller,
    key: str | None,
    operation: str,
    arguments: dict[str, Any],
    prepare: Callable[[], Awaitable[Perform]],
) -> Outcome:
    viewer, db = caller.viewer, caller.db
    key = _key(key)
    if key is None:
        if viewer.channel is Channel.APP:
            raise BadUserInput("Every mutation from the app carries a clientMutationId (R16).", field=FIELD)
        perform = await prepare()
        async with db.transaction() as connection:
            return await perform(connection)
    request_hash = fingerprint(operation, arguments)
    row = await db.fetch_one(outcomes.stored(viewer.id, key))
    if row is not None:
        return _replayed(row, operation, request_hash)
    try:
        perform = await prepare()
    except ServiceError:
        # A copy of this request may have committed since the key was looked up, and its
        # effect is what the checks refuse now (the item it removed is gone): answer as it did.
        row = await db.fetch_one(outcomes.stored(viewer.id, key))
        if row is None:
            raise
        return _replayed(row, operation, request_hash)
    return await _perform_once(caller, key, operation, request_hash, perform)


def _replayed(row: Any, operation: str, request_hash: str) -> Outcome:
    if row.operation != operation or row.request_hash != request_hash:
        raise BadUserInput("This clientMutationId was used for a different request.", field=FIELD)
    return row.result_type, row.result_id


async def _perform_once(
    caller: Caller,
    key: str,
    operation: str,
    request_hash: str,
    perform: Perform,
) -> Outcome:
    """The outcome of performing now, or the stored one of the call that got there first."""
    viewer, db = caller.viewer, caller.db
    try:
        async with db.transaction() as connection:
            await outcomes.claim(connection, viewer.id, key, operation, request_hash)
            outcome = await perform(connection)
            await outcomes.settle(connection, viewer.id, key, *outcome)
            return outcome
    except IntegrityError:
        row = await db.fetch_one(outcomes.stored(viewer.id, key))
        if row is None or row.result_type is None:
            raise Conflict("The request collided with another; send it again.", field=FIELD) from None
    return _replayed(row, operation, request_hash)
