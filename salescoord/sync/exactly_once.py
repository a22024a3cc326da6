"""Exactly-once mutations for the iPad app (R16, R31), after Stripe and the IETF Idempotency-Key
draft: the first call with a key performs the mutation and stores its outcome in the same
transaction; a replay with the same key and the same request performs nothing and answers
with the same object; the same key with a different request is BAD_USER_INPUT (the draft's
422). The app must send a key with every mutation, its device's next `mutationNumber` (R31,
`salescoord.sync.numbered`: recognised at any age) or a `clientMutationId`; the web may send
a `clientMutationId`. A call with a number is keyed by the number alone.

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
from salescoord.errors import AlreadyApplied, BadUserInput, Conflict, OutOfOrder
from salescoord.permissions.enums import Channel
from salescoord.permissions.viewer import Viewer
from salescoord.sync import numbered, outcomes

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
    number: int | None = None  # the device's mutation number (R31), instead of the key
    kept: int = 1  # outcomes kept per device
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
        number: int | None = None,
        kept: int = 1,
    ) -> Call:
        """The replay check: BAD_USER_INPUT for a malformed key or number, a call from the app
        without either, or a key or number used for another request; for a number also
        ALREADY_APPLIED and OUT_OF_ORDER (`salescoord.sync.numbered`)."""
        key = checked_key(key)
        if number is not None:
            if viewer.device_id is None:
                raise BadUserInput(
                    "mutationNumber numbers an app device's mutations; send clientMutationId.",
                    field=numbered.FIELD,
                )
            if not 1 <= number <= numbered.LARGEST:
                raise BadUserInput("mutationNumber counts from 1.", field=numbered.FIELD)
            key = None
        elif key is None and viewer.channel is Channel.APP:
            raise BadUserInput(
                "Every mutation from the app carries a mutationNumber or a clientMutationId (R16, R31).",
                field=FIELD,
            )
        earlier = frozenset() if also is None else frozenset({fingerprint(operation, also)})
        call = cls(
            db, viewer, key, operation, fingerprint(operation, arguments), earlier, number=number, kept=kept
        )
        await call._look_up()
        return call

    async def _look_up_number(self, number: int) -> None:
        row = await self.db.fetch_one(numbered.stored(self.viewer.device_id, number))
        if row is None:  # the device is gone: its sign-in no longer stands
            raise Conflict("This device no longer exists.", field=numbered.FIELD)
        if row.result_type is not None:
            same = row.request_hash == self.request_hash or row.request_hash in self.also_known_as
            if row.operation != self.operation or not same:
                raise BadUserInput(
                    "This mutationNumber was used for a different request.", field=numbered.FIELD
                )
            self.replayed = Outcome(row.result_type, row.result_id)
        elif number <= row.last_mutation_number:
            raise AlreadyApplied(
                f"Mutation {number} of this device was applied already; it is not run again.",
                field=numbered.FIELD,
                lastMutationNumber=row.last_mutation_number,
            )
        elif number > numbered.expected(row):
            raise OutOfOrder(
                f"This device's next mutation is number {numbered.expected(row)}; nothing was written.",
                field=numbered.FIELD,
                expected=numbered.expected(row),
            )

    async def _look_up(self) -> Any:
        """The key's stored row, taken as this call's `replayed` outcome when it has one."""
        if self.number is not None:
            return await self._look_up_number(self.number)
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
            device_id = self.viewer.device_id
            if self.number is not None:
                await numbered.claim(
                    connection, device_id, self.number, self.operation, self.request_hash, self.kept
                )
            if self.key is not None:
                await outcomes.claim(connection, self.viewer.id, self.key, self.operation, self.request_hash)
            yield connection
            if self._settled is None:
                raise RuntimeError(f"{self.operation} ended its transaction without settle()")
            if self.number is not None:
                await numbered.settle(connection, device_id, self.number, *self._settled)
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
        if self.number is not None:
            await self._look_up()  # ALREADY_APPLIED: a copy committed, and its outcome is no longer kept
            return self.replayed is not None
        if self.key is None:
            return False
        row = await self._look_up()
        if isinstance(error, IntegrityError) and (row is None or row.result_type is None):
            raise Conflict("The request collided with another; send it again.", field=FIELD) from None
        return self.replayed is not None
