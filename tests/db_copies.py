"""Copies of the test's database, one for each of several runs that must not see each
other's writes (the fuzzed write matrix runs its viewers side by side, each judging a
database of its own). SQLite copies with `VACUUM INTO`, PostgreSQL from the test database
as a template; both take well under a second."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite
import asyncpg
from salescoord.db.session import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine


async def _admin(url: str) -> asyncpg.Connection:
    """A connection beside the copies: to the database the suite's own are made from."""
    parts = make_url(url)
    beside = make_url(
        os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    )
    return await asyncpg.connect(
        host=parts.host,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        database=beside.database,
    )


@asynccontextmanager
async def copies(backend: tuple[str, str, AsyncEngine], count: int) -> AsyncIterator[list[AsyncEngine]]:
    """`count` engines, each on a copy of the backend's database as it is now."""
    name, url, engine = backend
    urls: list[str] = []
    if name == "sqlite":
        source = Path(make_url(url).database)
        async with aiosqlite.connect(source) as connection:  # outside any transaction, as VACUUM needs
            for n in range(count):
                target = source.with_name(f"{source.stem}-copy{n}-{uuid.uuid4().hex[:6]}.db")
                await connection.execute("VACUUM INTO ?", (str(target),))
                urls.append(f"sqlite+aiosqlite:///{target}")
    else:
        await engine.dispose()  # a template database has no other connection
        admin = await _admin(url)
        try:
            template = make_url(url).database
            for n in range(count):
                copy = f"{template}_c{n}"
                await admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{template}"')
                urls.append(make_url(url).set(database=copy).render_as_string(hide_password=False))
        finally:
            await admin.close()
    engines = [create_engine(copy_url) for copy_url in urls]
    try:
        yield engines
    finally:
        for copy_engine in engines:
            await copy_engine.dispose()
        if name == "sqlite":
            for copy_url in urls:
                Path(make_url(copy_url).database).unlink(missing_ok=True)
        else:
            admin = await _admin(url)
            try:
                for copy_url in urls:
                    await admin.execute(
                        f'DROP DATABASE IF EXISTS "{make_url(copy_url).database}" WITH (FORCE)'
                    )
            finally:
                await admin.close()
