"""What one request changed, row by row, and a quick way back to a saved data set: the
fuzzed write matrix reads the database before and after each mutation.

One statement tells which tables changed: a print of each service table's rows (a few
dozen in the fuzz's data set) and of each log's count and last id. Only the tables whose
print moved are read again, so a request that wrote nothing costs one statement. The logs
only grow while a request runs (audit events, the change log, activity, the outbox, client
keys): of them only the rows past the last one seen are read, and the count shows any row
that went missing.

    before = await read(engine)
    ...  # one request
    after = await read(engine, since=before)
    changes = diff(before, after)   # {"lists": Changes(added=[...], removed=[], changed=[])}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.db_state import TABLES

LOGS = ("audit_events", "change_log", "activities", "emails", "mutation_outcomes")
Row = dict[str, Any]


def _key(table: sa.Table, row: Row) -> tuple[Any, ...]:
    return tuple(row[column.name] for column in table.primary_key.columns)


@cache
def _prints(dialect: str) -> sa.TextClause:
    """One row: a column per table that changes whenever the table's rows do."""
    columns = []
    for table in TABLES:
        if table.name in LOGS:
            columns.append(f"(SELECT count(*) || ':' || coalesce(max(id), 0) FROM {table.name})")
        elif dialect == "postgresql":
            columns.append(
                f"(SELECT md5(coalesce(string_agg(CAST(x AS text), ';'), '')) FROM {table.name} AS x)"
            )
        else:
            row = " || ',' || ".join(f'quote("{column.name}")' for column in table.columns)
            columns.append(f"(SELECT group_concat({row}, ';') FROM {table.name})")
    return sa.text("SELECT " + ", ".join(f"{column} AS p{n}" for n, column in enumerate(columns)))


@dataclass
class State:
    tables: dict[str, dict[tuple[Any, ...], Row]] = field(default_factory=dict)
    prints: dict[str, Any] = field(default_factory=dict)
    new_log_rows: dict[str, list[Row]] = field(default_factory=dict)  # past `since`'s last rows
    log_marks: dict[str, int] = field(default_factory=dict)  # the highest id of each log
    log_counts: dict[str, int] = field(default_factory=dict)

    def rows(self, table: str) -> list[Row]:
        return list(self.tables[table].values())


@dataclass
class Changes:
    added: list[Row] = field(default_factory=list)
    removed: list[Row] = field(default_factory=list)
    changed: list[tuple[Row, Row]] = field(default_factory=list)
    missing_log_rows: int = 0

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.missing_log_rows)


async def read(engine: AsyncEngine, since: State | None = None) -> State:
    state = State()
    async with engine.connect() as connection:
        prints = (await connection.execute(_prints(connection.dialect.name))).one()
        state.prints = {table.name: prints[n] for n, table in enumerate(TABLES)}
        for table in TABLES:
            moved = since is None or since.prints[table.name] != state.prints[table.name]
            if table.name in LOGS:
                mark = since.log_marks.get(table.name, 0) if since else 0
                count, _, last = state.prints[table.name].partition(":")
                state.log_counts[table.name] = int(count)
                state.log_marks[table.name] = max(mark, int(last))
                rows: list[Row] = []
                if moved:
                    tail = sa.select(table).where(table.c.id > mark).order_by(table.c.id)
                    rows = [dict(row._mapping) for row in await connection.execute(tail)]
                state.new_log_rows[table.name] = rows
            elif moved:
                result = await connection.execute(sa.select(table))
                state.tables[table.name] = {
                    _key(table, row): row for row in (dict(r._mapping) for r in result)
                }
            else:
                state.tables[table.name] = since.tables[table.name]
    return state


def diff(before: State, after: State) -> dict[str, Changes]:
    """The tables that changed between two reads (`after` read with `since=before`)."""
    changes: dict[str, Changes] = {}
    for name, rows in after.tables.items():
        old = before.tables[name]
        found = Changes(
            added=[row for key, row in rows.items() if key not in old],
            removed=[row for key, row in old.items() if key not in rows],
            changed=[(old[key], row) for key, row in rows.items() if key in old and old[key] != row],
        )
        if found:
            changes[name] = found
    for name, rows in after.new_log_rows.items():
        missing = before.log_counts[name] + len(rows) - after.log_counts[name]
        if rows or missing:
            changes[name] = Changes(added=rows, missing_log_rows=missing)
    return changes


async def dump(engine: AsyncEngine) -> dict[str, list[Row]]:
    """Every row of every table but the change log, to `restore` later."""
    async with engine.connect() as connection:
        return {
            table.name: [dict(row._mapping) for row in await connection.execute(sa.select(table))]
            for table in TABLES
            if table.name != "change_log"
        }


async def restore(engine: AsyncEngine, saved: dict[str, list[Row]]) -> None:
    """Back to `saved` in one transaction, ids included. The change log starts empty (its
    triggers record the re-inserted rows, which no test reads as changes); the id sequences
    go on past the saved rows, as after any delete."""
    async with engine.begin() as connection:
        postgresql = connection.dialect.name == "postgresql"
        for table in reversed(TABLES):  # DELETE: quicker than TRUNCATE on a few rows
            await connection.execute(table.delete())
        for table in TABLES:
            if saved.get(table.name):
                await connection.execute(table.insert(), saved[table.name])
        await connection.execute(sa.text("DELETE FROM change_log"))
        if postgresql:
            for table in TABLES:
                if "id" in table.c and table.c.id.primary_key and saved.get(table.name):
                    await connection.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"(SELECT max(id) FROM {table.name}))"
                        )
                    )
