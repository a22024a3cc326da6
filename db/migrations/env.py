"""Alembic environment: runs the migrations over the async engine of either database."""

from __future__ import annotations

import asyncio

import salescoord.db.models  # noqa: F401  (fills the metadata)
from alembic import context
from salescoord.db.session import create_engine
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

target_metadata = SQLModel.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


asyncio.run(_run_online())
