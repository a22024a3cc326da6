"""Outcomes of client mutations, keyed per user by the client's id (R16).

The key is inserted *first* in the transaction that performs the mutation. A replay
(also a concurrent one, in another process) then meets the unique constraint: on
PostgreSQL its INSERT waits for the first transaction and fails once it commits; on
SQLite writers are serialised (BEGIN IMMEDIATE) and it fails at once. Either way the
replay performs nothing and reads the stored outcome. Keys are kept for RETENTION and
purged lazily, the user's expired keys on each of their keyed mutations.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from salescoord.db.models.base import utcnow
from salescoord.db.tables import mutation_outcomes

RETENTION = timedelta(days=7)
OUTCOME = mutation_outcomes.c


async def claim(
    connection: AsyncConnection, user_id: int, key: str, operation: str, request_hash: str
) -> None:
    """Purge the user's expired keys, then take `key` (IntegrityError: already taken)."""
    await connection.execute(
        mutation_outcomes.delete().where(
            OUTCOME.user_id == user_id, OUTCOME.created_at < utcnow() - RETENTION
        )
    )
    await connection.execute(
        mutation_outcomes.insert().values(
            user_id=user_id,
            client_mutation_id=key,
            operation=operation,
            request_hash=request_hash,
            created_at=utcnow(),
        )
    )


async def settle(
    connection: AsyncConnection, user_id: int, key: str, result_type: str, result_id: int | None
) -> None:
    await connection.execute(
        mutation_outcomes.update()
        .where(OUTCOME.user_id == user_id, OUTCOME.client_mutation_id == key)
        .values(result_type=result_type, result_id=result_id)
    )


def stored(user_id: int, key: str) -> sa.Select:
    return sa.select(*mutation_outcomes.c).where(
        OUTCOME.user_id == user_id,
        OUTCOME.client_mutation_id == key,
        OUTCOME.created_at >= utcnow() - RETENTION,
    )
