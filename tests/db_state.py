"""The whole database as plain values, to prove that a refused request wrote nothing."""

from __future__ import annotations

from typing import Any

import salescoord.db.models  # noqa: F401  (every table in the metadata)
import sqlalchemy as sa
from salescoord.db.tables import users
from sqlalchemy.ext.asyncio import AsyncEngine

# Rate-limit counters count every call, refused or not: bookkeeping, not the service's data.
TABLES = [table for table in users.metadata.sorted_tables if table.name != "rate_counters"]
# A device's row changes as it is used (last seen, the token pair in use), and the test client
# registers one on its first app request: bookkeeping too. A numbered mutation's claim of a
# number (R31) shows in device_outcomes, which is compared.
COMPARED = [table for table in TABLES if table.name != "devices"]


async def counts(engine: AsyncEngine) -> dict[str, int]:
    """Rows in every table."""
    async with engine.connect() as connection:
        return {
            table.name: (await connection.execute(sa.select(sa.func.count()).select_from(table))).scalar_one()
            for table in COMPARED
        }


async def snapshot(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (an update shows here even where the counts stay the same)."""
    async with engine.connect() as connection:
        return {
            table.name: sorted(
                (tuple(repr(value) for value in row) for row in await connection.execute(sa.select(table))),
            )
            for table in COMPARED
        }
