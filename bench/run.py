"""`make bench`: the operations of bench.operations, side by side on one freshly loaded
database, against (a) the service, (b) the same service in naive mode (SALESCOORD_NAIVE=1:
loaders without batching or caching, no parser or validation cache), (c) the raw floor
(bench.floor) and, on PostgreSQL, (d) PostGraphile 5 (bench.peer).

    python -m bench.run --db sqlite|postgresql [--scale 1[,10]] [--seconds 3] [--reuse]
                        [--only Q1,Q3] [--without-postgraphile]
                        [--port 8301] [--work-dir bench/var] [--results bench/results]

The servers run one after the other, pinned to core 0 (bench.servers); this process, the
load generator, pins itself to core 1. Reported per operation: req/s at 8 clients, p50/p99
at 1 client, SQL statements per request (Q5: per export of ten pages), every ratio, the
issue's targets met or missed (bench.report), and whether the answers agree: (a), (b) and
(c) must send equal data, and (d) the same data once ids and cursors are brought to one
form (bench.peer.normal). Any disagreement fails the run, naming where it lies.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from salescoord.permissions.enums import Channel
from salescoord.schema.ids import encode_id
from sqlalchemy import event

from bench import bulk, dataset, floor, peer, report, servers
from bench.load import HttpConnection, measure
from bench.operations import OPERATIONS, Operation, perform
from bench.servers import HOST, SECRET, Layout
from salescoord.settings import Settings
from salescoord.tokens import issue_token

PG_BASE = os.environ.get(
    "BENCH_DATABASE_URL",
    os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1/test"),
)
# Q3's meeting: the first one the SC manages with three attendees, notes and two lists
# (a BUYER list and a GLOBAL one), so that every part of the detail has rows at any scale.
DETAIL_MEETING = """SELECT m.id FROM meetings m
WHERE m.host_id IN (SELECT am_id FROM account_manager_coordinators WHERE sc_id = {sc})
  AND (SELECT count(*) FROM meeting_attendees a WHERE a.meeting_id = m.id) = 3
  AND (SELECT count(*) FROM notes n WHERE n.meeting_id = m.id) >= 3
  AND (SELECT count(*) FROM meeting_lists l WHERE l.meeting_id = m.id) = 2
ORDER BY m.id LIMIT 1"""


def viewers(scale: int) -> dict[str, int]:
    """Ids by construction of bench.dataset: 1 the analyst, then 20·scale AMs, then SCs."""
    return {"analyst": dataset.ADMIN_ID, "sc": dataset.ADMIN_ID + 1 + 20 * scale}


async def detail_meeting(url: str, sc: int) -> int:
    db = floor.Database(url)
    rows = await db.fetch(db.sql(DETAIL_MEETING, sc))
    if not rows:
        raise SystemExit("no meeting for Q3 in this database: load it again (without --reuse)")
    return int(rows[0][0])


@contextlib.asynccontextmanager
async def in_process(url: str, **settings: Any) -> AsyncIterator[tuple[Any, Any]]:
    """An app on `url` in this process, with its engine, and a `send(payload, token)` through
    it over ASGI, as `perform` calls it. `settings` override the app's Settings."""
    from salescoord.db.session import create_engine

    from salescoord.app import attach_engine, create_app

    engine = create_engine(url)
    app = create_app(Settings(database_url=url, secret_keys=(SECRET,), requests_per_user=0, **settings))
    attach_engine(app, engine)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as http:

            async def send(payload: dict[str, Any], token: str) -> tuple[dict[str, str], Any]:
                response = await http.post(
                    "/graphql", json=payload, headers={"Authorization": f"Bearer {token}"}
                )
                return dict(response.headers), response.json()

            yield engine, send
    finally:
        await engine.dispose()


async def statements_in_process(url: str, naive: bool, operation: Operation, token: str) -> int:
    """SQL statements of one operation, counted on the engine of an in-process app."""
    counter = {"n": 0}

    def count(*_: Any) -> None:
        counter["n"] += 1

    async with in_process(url, naive=naive) as (engine, send):
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        await perform(operation, send, token)  # warm: the viewer's first statement compiles
        counter["n"] = 0
        await perform(operation, send, token)
        return counter["n"]


async def run_target(
    target: str, url: str, operations: list[Operation], tokens: dict[str, str], seconds: float, layout: Layout
) -> dict[str, Any]:
    """One server: each operation's answer, its statements (the floor's and PostGraphile's,
    counted by the server around a second, warm request) and its measurement."""
    process = servers.start(target, url, layout)
    port = layout.port(target)
    results: dict[str, Any] = {}
    try:
        for operation in operations:
            asked = operation.for_peer() if target == "postgraphile" else operation
            token = tokens[operation.viewer]
            connection = HttpConnection(HOST, port)

            async def send(payload: dict[str, Any], token: str, connection: HttpConnection = connection):
                return await connection.post("/graphql", payload, token)

            bodies = await perform(asked, send, token)
            statements = None
            if target in ("floor", "postgraphile"):
                before = servers.statements_sent(port)
                await perform(asked, send, token)
                statements = servers.statements_sent(port) - before
            connection.close()

            async def once(connection: HttpConnection, asked: Operation = asked, token: str = token):
                async def send(payload: dict[str, Any], token: str) -> Any:
                    return await connection.post("/graphql", payload, token)

                await perform(asked, send, token)

            measured = await measure(HOST, port, once, seconds)
            results[operation.name] = {"bodies": bodies, "measurement": measured, "statements": statements}
            print(
                f"  {target:12s} {operation.name}: {measured.per_second:8.1f} op/s at 8 clients, "
                f"p50 {measured.p50_ms:7.2f} ms, p99 {measured.p99_ms:7.2f} ms",
                flush=True,
            )
    finally:
        servers.stop(process)
    return results


def _versions(with_peer: bool) -> dict[str, str]:
    packages = peer.FOLDER / "node_modules"
    names = ["postgraphile", "node"] if with_peer else []
    return {name: json.loads((packages / name / "package.json").read_text())["version"] for name in names}


async def run_scale(args: argparse.Namespace, scale: int) -> dict[str, Any]:
    layout = Layout(args.port, args.work_dir)
    url = await bulk.prepare(args.db, scale, args.reuse, PG_BASE, layout.work_dir)
    ids = viewers(scale)
    settings = Settings(database_url=url, secret_keys=(SECRET,))
    tokens = {role: issue_token(settings, user, Channel.WEB)[0] for role, user in ids.items()}
    meeting = await detail_meeting(url, ids["sc"])
    operations = [
        replace(o, variables={"id": encode_id("Meeting", meeting)}, peer_variables={"meeting": meeting})
        if o.name == "Q3"
        else o
        for o in OPERATIONS
        if not args.only or o.name in args.only.split(",")
    ]
    targets = ["service", "naive", "floor"]
    if args.db == "postgresql" and not args.without_postgraphile:
        if not peer.installed():
            raise SystemExit("PostGraphile is not installed: make bench-peers (or --without-postgraphile)")
        await peer.install_schema(bulk.plain(url))
        targets.append("postgraphile")
    load_before = os.getloadavg()[0]
    runs = {}
    for target in targets:
        print(f"{target}:", flush=True)
        runs[target] = await run_target(target, url, operations, tokens, args.seconds, layout)
    result: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "db": args.db,
        "scale": scale,
        "seconds_per_measurement": args.seconds,
        "pinned": servers.pinned(),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "versions": _versions("postgraphile" in targets),
        "q3_meeting": meeting,
        "only": [o.name for o in operations] if args.only else None,
        "operations": {},
    }
    for operation in operations:
        result["operations"][operation.name] = await _entry(url, operation, runs, tokens[operation.viewer])
    return result


async def _entry(url: str, operation: Operation, runs: dict[str, Any], token: str) -> dict[str, Any]:
    answers = {target: run[operation.name]["bodies"] for target, run in runs.items()}
    data = {target: [body["data"] for body in bodies] for target, bodies in answers.items()}
    entry: dict[str, Any] = {
        "title": operation.title,
        "equal_data": data["service"] == data["naive"] == data["floor"],
        "differences": [
            f"{target}: {report.first_difference(data['service'], data[target])}"
            for target in ("naive", "floor")
            if data[target] != data["service"]
        ],
        "statements": {
            "service": await statements_in_process(url, False, operation, token),
            "naive": await statements_in_process(url, True, operation, token),
        },
    }
    if "postgraphile" in answers:
        ours = peer.normal(operation.name, answers["service"])
        theirs = peer.normal(operation.name, answers["postgraphile"], peer=True)
        entry["equal_peer"] = ours == theirs
        if ours != theirs:
            entry["differences"].append(f"postgraphile: {report.first_difference(ours, theirs)}")
    for target, run in runs.items():
        if run[operation.name]["statements"] is not None:
            entry["statements"][target] = run[operation.name]["statements"]
        measured = asdict(run[operation.name]["measurement"])
        entry[target] = {k: round(v, 3) if isinstance(v, float) else v for k, v in measured.items()}
    entry["ratios"] = report.ratios(entry)
    return entry


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--scale", default="1", help="a scale, or several: 1,10")
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    parser.add_argument("--reuse", action="store_true", help="keep a database loaded before")
    parser.add_argument("--only", default="", help="comma-separated operation names")
    parser.add_argument("--without-postgraphile", action="store_true", help="skip peer (d)")
    parser.add_argument("--port", type=int, default=Layout.first_port, help="the first of four ports")
    parser.add_argument("--work-dir", type=Path, default=Layout.work_dir, help="SQLite files, servers' data")
    parser.add_argument("--results", type=Path, default=report.RESULTS, help="folder of the results files")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})

    results = [await run_scale(args, int(scale)) for scale in args.scale.split(",")]
    failed = []
    for result in results:
        result["targets"] = report.targets(result, report.counterpart(result, results, args.results))
        report.print_table(result)
        print(f"results: {report.write(result, args.results)}")
        for name, entry in result["operations"].items():
            failed += [f"{result['db']} scale {result['scale']} {name}: {d}" for d in entry["differences"]]
    if failed:
        print("ANSWERS DIFFER:\n  " + "\n  ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
