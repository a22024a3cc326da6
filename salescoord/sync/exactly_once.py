"""Exactly-once mutations for the iPad app (R16, R31), after Stripe and the IETF Idempotency-Key
draft: the first call with a key performs the mutation and stores its outcome in the same
transaction; a replay with the same key and the same request performs nothing and answers
with the same object; the same key with a different request is BAD_USER_INPUT (the draft's
422). The app must send a key with every mutation; the web may.

A mutation body reads as the three steps it takes:

    call = await Call.begin(db, viewer, key, "createNote", arguments)   # the replay check
    if call.replayed is not None:
        return answer(call.replayed.id)              # what the first call answered
    ...checks, before anything is written...
    async with call.transaction() as connection:    # the key is taken here, first
        note_id = ...
        call.settle("Note", note_id)

`arguments` are the mutation's arguments as the client sent them, all but the key: a replay is
recognised before any check runs, so replaying a deletion answers like the deletion did.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from salescoord.db.session import RequestDatabase
from salescoord.errors import BadUserInput, Conflict
from salescoord.permissions.enums import Channel
from salescoord.permissions.viewer import Viewer
from salescoord.sync import outcomes

FIELD = "clientMutationId"


class Outcome(NamedTuple):
    """What a call did: the object it answers with."""

    type_name: str
    id: int | None


def checked_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not 1 <= len(key) <= 64 or not key.isprintable() or key.strip() != key:
        raise BadUserInput("clientMutationId has 1 to 64 printable characters.", field=FIELD)
    return key


def fingerprint(operation: str, arguments: dict[str, Any]) -> str:
    """The request a key stands for. Its form is that of the outcomes stored since R16, so a
    key stored before a release still recognises its replays after it (R31)."""
    canonical = json.dumps({"operation": operation, "arguments": arguments}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class Call:
    """One call of a mutation, keyed or not, from the replay check to its transaction."""

    db: RequestDatabase
    viewer: Viewer
    key: str | None
    operation: str
    request_hash: str
    also_known_as: frozenset[str] = frozenset()  # the same request's hash in earlier forms
    replayed: Outcome | None = None  # the outcome of the first call with this key
    _settled: Outcome | None = None

    @classmethod
    async def begin(
        cls,
        db: RequestDatabase,
        viewer: Viewer,
        key: str | None,
        operation: str,
        arguments: dict[str, Any],
        *,
        also: dict[str, Any] | None = None,
    ) -> Call:
        """The replay check: BAD_USER_INPUT for a malformed key, a call from the app without
        one, or a key used for another request."""
        key = checked_key(key)
        if key is None and viewer.channel is Channel.APP:
            raise BadUserInput("Every mutation from the app carries a clientMutationId (R16).", field=FIELD)
        earlier = frozenset() if also is None else frozenset({fingerprint(operation, also)})
        call = cls(db, viewer, key, operation, fingerprint(operation, arguments), earlier)
        await call._look_up()
        return call

    async def _look_up(self) -> Any:
        """The key's stored row, taken as this call's `replayed` outcome when it has one."""
        if self.key is None:
            return None
        row = await self.db.fetch_one(outcomes.stored(self.viewer.id, self.key))
        if row is not None and row.result_type is not None:
            same = row.request_hash == self.request_hash or row.request_hash in self.also_known_as
            if row.operation != self.operation or not same:
                raise BadUserInput("This clientMutationId was used for a different request.", field=FIELD)
            self.replayed = Outcome(row.result_type, row.result_id)
        return row

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """The call's one transaction: it takes the key first, so that a concurrent copy (in
        any process) waits for it and then fails on the key, and stores the settled outcome
        last (`outcomes.claim`)."""
        async with self.db.transaction() as connection:
            if self.key is not None:
                await outcomes.claim(connection, self.viewer.id, self.key, self.operation, self.request_hash)
            yield connection
            if self._settled is None:
                raise RuntimeError(f"{self.operation} ended its transaction without settle()")
            if self.key is not None:
                await outcomes.settle(connection, self.viewer.id, self.key, *self._settled)

    def settle(self, type_name: str, id: int | None) -> None:
        """What the call did, stored with its key when the transaction commits."""
        self._settled = Outcome(type_name, id)

    async def committed_meanwhile(self, error: Exception) -> bool:
        """After `error` ended the call: did a copy of it commit since the replay check? Then
        the body runs again and answers as that copy did. A check may refuse what the copy did
        (the item it removed is gone), and on the key a copy makes this call's transaction fail;
        a key taken but never settled there is a CONFLICT."""
        if self.key is None:
            return False
        row = await self._look_up()
        if isinstance(error, IntegrityError) and (row is None or row.result_type is None):
            raise Conflict("The request collided with another; send it again.", field=FIELD) from None
        return self.replayed is not None
