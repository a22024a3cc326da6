"""Numbered mutations of the app's devices (R31), after Replicache's per-client mutation ids:
each device numbers its mutations 1, 2, 3, …; the server keeps the number of the device's
last applied mutation and the outcomes of its most recent ones (KEPT_OUTCOMES_PER_DEVICE).

- the next number (last + 1) runs, and its outcome is stored in the mutation's own
  transaction, which first moves the device's number on;
- a number whose outcome is kept answers that outcome (the same arguments) or BAD_USER_INPUT
  (other arguments), and runs nothing;
- an older number answers ALREADY_APPLIED and runs nothing, whatever its age;
- a number past the next answers OUT_OF_ORDER and writes nothing (`expected` in extensions).

A mutation that fails writes nothing and takes no number: the app gives its next mutation the
same number. Concurrent copies of one number (in any process) meet on the device's row: on
PostgreSQL the second UPDATE waits for the first transaction and then finds the number taken;
SQLite serialises writers. The loser reads the stored outcome.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from salescoord.db.models.base import utcnow
from salescoord.db.tables import device_outcomes, devices
from salescoord.errors import Conflict

OUTCOME = device_outcomes.c
DEVICE = devices.c
FIELD = "mutationNumber"
LARGEST = 2**31 - 1


def stored(device_id: int, number: int) -> sa.Select:
    """The device's last number, and the outcome kept for `number` (nulls when none)."""
    return (
        sa.select(
            DEVICE.last_mutation_number,
            OUTCOME.operation,
            OUTCOME.request_hash,
            OUTCOME.result_type,
            OUTCOME.result_id,
        )
        .select_from(devices)
        .outerjoin(
            device_outcomes,
            sa.and_(OUTCOME.device_id == DEVICE.id, OUTCOME.mutation_number == number),
        )
        .where(DEVICE.id == device_id)
    )


async def claim(
    connection: AsyncConnection,
    device_id: int,
    number: int,
    operation: str,
    request_hash: str,
    kept: int,
) -> None:
    """Take `number` for this transaction (CONFLICT when another call took it meanwhile: the
    caller then reads that call's outcome), and forget outcomes older than the `kept` newest."""
    taken = await connection.execute(
        devices.update()
        .where(DEVICE.id == device_id, DEVICE.last_mutation_number == number - 1, DEVICE.revoked_at.is_(None))
        .values(last_mutation_number=number)
    )
    if taken.rowcount != 1:
        raise Conflict("The request collided with another; send it again.", field=FIELD)
    await connection.execute(
        device_outcomes.delete().where(
            OUTCOME.device_id == device_id, OUTCOME.mutation_number <= number - max(kept, 1)
        )
    )
    await connection.execute(
        device_outcomes.insert().values(
            device_id=device_id,
            mutation_number=number,
            operation=operation,
            request_hash=request_hash,
            created_at=utcnow(),
        )
    )


async def settle(
    connection: AsyncConnection, device_id: int, number: int, result_type: str, result_id: int | None
) -> None:
    await connection.execute(
        device_outcomes.update()
        .where(OUTCOME.device_id == device_id, OUTCOME.mutation_number == number)
        .values(result_type=result_type, result_id=result_id)
    )


def expected(row: Any) -> int:
    return row.last_mutation_number + 1
