"""The bench database, made and loaded: one executemany per table on SQLite, COPY on PostgreSQL.

The change log's triggers (R18) are off while the rows go in: they record edits for the
app's sync, a bulk load is not an edit, and one trigger call per row was most of the
load's time. On PostgreSQL `session_replication_role = replica` skips them (and the
foreign-key checks) for the loading connection only; SQLite has no such switch, so its
triggers are dropped and created again from their own stored SQL. On both, the secondary
indexes are dropped and built again once the rows are in (an index built in one pass
instead of millions of random inserts into it); primary keys and unique constraints
stay, and check the rows as they arrive.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench import dataset
from bench.dataset import Dataset

LOAD_ORDER = [
    "territories",
    "companies",
    "users",
    "account_manager_territories",
    "account_manager_coordinators",
    "meetings",
    "meeting_attendees",
    "notes",
    "activities",
    "contents",
    "lists",
    "list_items",
    "meeting_lists",
]
WITH_SEQUENCES = ["territories", "companies", "users", "meetings", "notes", "activities"]
WITH_SEQUENCES += ["contents", "lists", "list_items"]


# Indexes that no constraint owns (primary keys and unique constraints stay and check).
SECONDARY_INDEXES = """SELECT i.indexname, i.indexdef FROM pg_indexes i
WHERE i.schemaname = 'public' AND i.tablename = ANY($1::text[])
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                  WHERE c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass)"""


def plain(url: str) -> str:
    """The URL for the driver itself (asyncpg, pg) rather than SQLAlchemy."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def prepare(db: str, scale: int, reuse: bool, pg_base: str, folder: Path) -> str:
    """The URL of the bench database for `db` at `scale`, loaded: afresh, or with `reuse`
    the one loaded before (brought to the newest migration; the data set is deterministic,
    so it holds the same rows). SQLite's file is in `folder`."""
    from salescoord.db.migrate import upgrade_async

    if db == "sqlite":
        path = folder / f"bench-s{scale}.db"
        url = f"sqlite+aiosqlite:///{path}"
        if reuse and path.exists():
            await upgrade_async(url)
            return url
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        import asyncpg

        base = make_url(pg_base)
        name = f"salescoord_bench_s{scale}"
        url = base.set(database=name).render_as_string(hide_password=False)
        admin = await asyncpg.connect(plain(pg_base))
        try:
            exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if reuse and exists:
                await upgrade_async(url)
                return url
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
    started = time.perf_counter()
    await upgrade_async(url)
    data = dataset.generate(scale)
    generated = time.perf_counter()
    if db == "sqlite":
        load_sqlite(str(path), data)
    else:
        await load_postgresql(plain(url), data)
    print(
        f"loaded scale {scale} ({sum(data.sizes().values()):,} rows): migrated and generated in "
        f"{generated - started:.1f} s, written in {time.perf_counter() - generated:.1f} s",
        flush=True,
    )
    return url


def _sqlite_moment(value: datetime) -> str:
    """As the service's UTCDateTime stores a moment: '2026-01-01 00:00:00.000000'."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


def _sqlite_rows(rows: list[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]] | list[tuple[Any, ...]]:
    """The rows with their moments as text; only the columns holding datetimes are touched,
    and a moment seen before (most `created_at`) is formatted once."""
    width = len(rows[0]) if rows else 0
    moments = [
        i for i in range(width) if isinstance(next((r[i] for r in rows if r[i] is not None), None), datetime)
    ]
    if not moments:
        return rows
    formatted: dict[datetime, str] = {}

    def text(value: datetime | None) -> str | None:
        if value is None:
            return None
        found = formatted.get(value)
        if found is None:
            found = formatted[value] = _sqlite_moment(value)
        return found

    def convert(row: tuple[Any, ...]) -> tuple[Any, ...]:
        values = list(row)
        for i in moments:
            values[i] = text(values[i])
        return tuple(values)

    return map(convert, rows)


def load_sqlite(path: str, data: Dataset) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA foreign_keys=OFF")
        connection.execute("PRAGMA journal_mode=OFF")  # WAL again below: one write, no log
        connection.execute("PRAGMA synchronous=OFF")
        marks = ", ".join("?" * len(LOAD_ORDER))
        dropped = connection.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE type = 'trigger' "
            f"OR (type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks}))",
            LOAD_ORDER,
        ).fetchall()
        with connection:
            for kind, name, _ in dropped:
                connection.execute(f'DROP {kind.upper()} "{name}"')
            for table in LOAD_ORDER:
                columns, rows = data.tables[table]
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                connection.executemany(sql, _sqlite_rows(rows))
            for _, _, sql in dropped:
                connection.execute(sql)
        connection.execute("ANALYZE")
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()


async def load_postgresql(dsn: str, data: Dataset) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("SET session_replication_role = replica")
        async with connection.transaction():
            indexes = await connection.fetch(SECONDARY_INDEXES, LOAD_ORDER)
            for index in indexes:
                await connection.execute(f'DROP INDEX "{index["indexname"]}"')
            for table in LOAD_ORDER:
                columns, rows = data.tables[table]
                await connection.copy_records_to_table(table, records=rows, columns=columns)
            for index in indexes:
                await connection.execute(index["indexdef"])
            for table in WITH_SEQUENCES:
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
