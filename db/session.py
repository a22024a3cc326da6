"""The engine, and one connection per request shared by every resolver and loader of it.

graphql-core resolves sibling fields concurrently; a SQLAlchemy connection runs
one statement at a time, so the request's statements queue on a lock instead of
each opening a connection of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    # JIT off: reporting's aggregates over CTEs get estimates large enough to trigger JIT
    # compilation, which cost 3 s to save nothing on a 200 ms statement (make bench, Q4).
    # No ping at every checkout (a round trip per request): a connection that died with
    # its server fails its first statement, the pool then drops it and every older one,
    # and RequestDatabase.fetch() retries a request's first read once on a new connection;
    # a request whose first use is a transaction checks its connection before it begins.
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        connect_args={"server_settings": {"jit": "off"}},
    )


def _sqlite_begin(connection: Any) -> None:
    """SQLAlchemy, not the driver, opens SQLite transactions, so they mean what they mean on
    PostgreSQL. A unit of writes takes the write lock up front (IMMEDIATE): a deferred one
    that read first could not upgrade once another writer committed ('database is locked')."""
    immediate = connection.info.pop(WRITE_INTENT, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


WRITE_INTENT = "salescoord.write_intent"
AUTOCOMMIT, READ_COMMITTED = "AUTOCOMMIT", "READ COMMITTED"
ALIVE = "SELECT 1"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class RequestDatabase:
    """One request's way to the database: a lazily opened connection behind a lock.

    `transaction()` commits a unit of writes (and everything it read) atomically, or rolls
    it back; reads outside it run as below.

    On PostgreSQL the reads outside `transaction()` run in autocommit: at READ COMMITTED
    each statement sees its own snapshot whether or not a transaction is open, so a
    BEGIN and a ROLLBACK around them would cost two round trips per request and change
    nothing. SQLite's reads do share the snapshot of their (explicit) transaction.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._connection: AsyncConnection | None = None
        self._lock = asyncio.Lock()
        self._closed = False
        self.statement_count = 0

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def _connect(self) -> AsyncConnection:
        if self._closed:
            raise RuntimeError("The request has ended; its database connection is closed.")
        if self._connection is None:
            connection = await self.engine.connect()
            if self.dialect == "postgresql":
                connection = await connection.execution_options(isolation_level=AUTOCOMMIT)
            event.listen(connection.sync_connection, "before_cursor_execute", self._counted)
            self._connection = connection
        return self._connection

    def _counted(self, *_args: Any) -> None:
        """Statements of this request, for its log line and the metrics."""
        self.statement_count += 1

    async def fetch(
        self, statement: sa.Executable, params: dict[str, Any] | None = None
    ) -> Sequence[Row[Any]]:
        """A statement once started runs to its end, also when the field that asked for it
        is cancelled (graphql-core cancels the siblings of a field that fails under a
        non-null parent): asyncpg cancelled mid-statement leaves the connection unusable,
        and every later statement of the request would fail with it."""
        return await asyncio.shield(self._fetch(statement, params))

    async def _fetch(self, statement: sa.Executable, params: dict[str, Any] | None) -> Sequence[Row[Any]]:
        async with self._lock:
            fresh = self._connection is None
            connection = await self._connect()
            try:
                return (await connection.execute(statement, params)).all()
            except sa.exc.DBAPIError as error:
                if not (fresh and error.connection_invalidated):
                    raise
            # The pooled connection had died (its server restarted) before this request's
            # first statement, so nothing of the request is lost: once more, on a new one.
            connection = await self._reconnect(connection)
            return (await connection.execute(statement, params)).all()

    async def _reconnect(self, dead: AsyncConnection) -> AsyncConnection:
        self._connection = None
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            await dead.close()
        return await self._connect()

    async def _connect_for_writes(self) -> AsyncConnection:
        """The request's connection, known alive when a transaction is its first use.

        A read that finds its pooled connection dead runs again (`_fetch`), but a
        transaction's body cannot run twice: its first statement would fail on the dead
        connection after the caller had started. So a PostgreSQL connection fresh from the
        pool answers one round trip first (sign-in and sign-up write before they read; every
        other request has read by then and pays nothing), and a dead one is replaced before
        anything of the request was sent."""
        fresh = self._connection is None
        connection = await self._connect()
        if not fresh or self.dialect != "postgresql":
            return connection
        try:
            await connection.exec_driver_sql(ALIVE)
        except sa.exc.DBAPIError as error:
            if not error.connection_invalidated:
                raise
            return await self._reconnect(connection)
        return connection

    async def fetch_one(
        self, statement: sa.Executable, params: dict[str, Any] | None = None
    ) -> Row[Any] | None:
        rows = await self.fetch(statement, params)
        return rows[0] if rows else None

    async def scalar(self, statement: sa.Executable, params: dict[str, Any] | None = None) -> Any:
        row = await self.fetch_one(statement, params)
        return row[0] if row is not None else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """Run writes atomically: commit on success, roll back on any error."""
        async with self._lock:
            connection = await self._connect_for_writes()
            if connection.in_transaction():
                await connection.commit()
            autocommit = self.dialect == "postgresql"
            if autocommit:
                await connection.execution_options(isolation_level=READ_COMMITTED)
            try:
                connection.info[WRITE_INTENT] = True
                await connection.begin()
                yield connection
                await connection.commit()
            except BaseException:
                await connection.rollback()
                raise
            finally:
                if autocommit and not connection.invalidated:
                    await connection.execution_options(isolation_level=AUTOCOMMIT)

    async def release(self) -> None:
        """Give the connection back to the pool between statements: a websocket lives for
        hours and must not hold one; the next statement takes a connection again."""
        async with self._lock:
            if self._connection is not None:
                connection, self._connection = self._connection, None
                await connection.close()

    async def close(self) -> None:
        """Waits for a statement still running: graphql-core can return a response (a field
        error nulled the parent) while a sibling resolver is still reading, and closing the
        connection under it broke the next statement on PostgreSQL ("another operation is
        in progress"). A resolver that asks after this gets an error nobody reads."""
        async with self._lock:
            self._closed = True
            if self._connection is not None:
                connection, self._connection = self._connection, None
                await connection.close()
