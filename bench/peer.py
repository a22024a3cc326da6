"""Peer (d): PostGraphile 5 over the bench database (PostgreSQL only).

`make bench-peers` installs Node 22 and PostGraphile into bench/postgraphile/node_modules
(ignored by git) from the committed package.json and package-lock.json. Before each run
this module creates the `bench_peer` schema (bench/postgraphile/peer.sql) in the bench
database, with Q4's function built from the raw floor's own reporting statement, so the
two answer from the same SQL.

PostGraphile's answers differ from ours only in form: integer ids where we send global
ids, its own cursors, and Q4 one level flatter. `normal()` brings both to one form, and
the run compares that.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import floor

FOLDER = Path(__file__).resolve().parent / "postgraphile"
NODE = FOLDER / "node_modules" / ".bin" / "node"
SERVER = FOLDER / "server.mjs"


def installed() -> bool:
    return NODE.exists() and (FOLDER / "node_modules" / "postgraphile").exists()


def schema_sql() -> str:
    reporting = floor.Q4.format(sc="(SELECT bench_peer.viewer_id())", p1="$1", p2="$2", p3="$3")
    return (FOLDER / "peer.sql").read_text().replace("{reporting}", reporting)


async def install_schema(dsn: str) -> None:
    """(Re)create `bench_peer` in the bench database: only there, never by a migration."""
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            await connection.execute(schema_sql())
    finally:
        await connection.close()


def _pk(value: Any) -> Any:
    """A global id's primary key ("VXNlcjo0Mg==" is User:42); anything else as it is."""
    if not isinstance(value, str):
        return value
    try:
        type_name, _, pk = base64.b64decode(value, validate=True).decode().partition(":")
        return int(pk) if type_name.isalpha() else value
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return value


def _moment(value: str) -> str:
    try:
        return datetime.fromisoformat(value).astimezone(UTC).isoformat()
    except ValueError:
        return value


def _normal(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _normal(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if key == "id":
        return _pk(value)
    if key == "endCursor":
        return value is not None  # each server's own cursor: only whether there is one
    if key.endswith("At") and isinstance(value, str):
        return _moment(value)
    return value


# Where PostGraphile's shape is not ours once the root is aliased.
RESHAPE = {"Q4": lambda data: {"reporting": {"byAccountManager": data["reporting"]}}}


def normal(operation: str, bodies: list[dict[str, Any]], peer: bool = False) -> list[Any]:
    """The answers' data in one form for comparing the service with PostGraphile."""
    reshape = RESHAPE.get(operation) if peer else None
    return [_normal(reshape(body["data"]) if reshape else body["data"]) for body in bodies]
