"""`make bench`: the operations of bench.operations against (a) the service, (b) the same
service in naive mode (SALESCOORD_NAIVE=1: loaders without batching or caching, no parser
or validation cache) and (c) the raw floor (bench.floor), on one freshly loaded database.

    python -m bench.run --db sqlite|postgresql [--scale 1] [--seconds 3] [--reuse]

Each server is a uvicorn process pinned to core 0 (taskset); this process, the load
generator, pins itself to core 1. Reported per operation: req/s at 8 clients, p50/p99 at
1 client, SQL statements per request (an operation: Q5 is ten pages), every ratio, and
whether (a), (b) and (c) answered equal data. Results: bench/results/<date>-<db>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.engine import make_url

from bench import dataset
from bench.load import HttpConnection, measure
from bench.operations import OPERATIONS, Operation, perform
from permissions.enums import Channel
from salescoord.settings import Settings
from salescoord.tokens import issue_token

HERE = Path(__file__).resolve().parent
SECRET = "bench-secret-" + "b" * 40
HOST = "127.0.0.1"
TARGETS = {"service": 8301, "naive": 8302, "floor": 8303}
PG_BASE = os.environ.get(
    "BENCH_DATABASE_URL",
    os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"),
)


async def prepare(db: str, scale: int, reuse: bool) -> str:
    from db.migrate import upgrade_async

    if db == "sqlite":
        path = HERE / "var" / f"bench-s{scale}.db"
        url = f"sqlite+aiosqlite:///{path}"
        if reuse and path.exists():
            return url
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        import asyncpg

        base = make_url(PG_BASE)
        name = f"salescoord_bench_s{scale}"
        url = base.set(database=name).render_as_string(hide_password=False)
        admin = await asyncpg.connect(base.set(drivername="postgresql").render_as_string(hide_password=False))
        try:
            exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if reuse and exists:
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
        dataset.load_sqlite(str(path), data)
    else:
        await dataset.load_postgresql(
            make_url(url).set(drivername="postgresql").render_as_string(False), data
        )
    print(
        f"loaded scale {scale} ({sum(data.sizes().values()):,} rows): generated in "
        f"{generated - started:.1f} s, written in {time.perf_counter() - generated:.1f} s",
        flush=True,
    )
    return url


def viewers(scale: int) -> dict[str, int]:
    """Ids by construction of bench.dataset: 1 the analyst, then 20·scale AMs, then SCs."""
    return {"analyst": dataset.ADMIN_ID, "sc": dataset.ADMIN_ID + 1 + 20 * scale}


def start_server(target: str, url: str) -> subprocess.Popen:
    app = "bench.floor:create_floor" if target == "floor" else "salescoord.app:create_app"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SALESCOORD_SECRET": SECRET,
        "SALESCOORD_NAIVE": "1" if target == "naive" else "0",
        "SALESCOORD_GRAPHIQL": "0",
        "SALESCOORD_DATA_DIR": str(HERE / "var"),
    }
    command = [sys.executable, "-m", "uvicorn", app, "--factory", "--host", HOST]
    command += ["--port", str(TARGETS[target]), "--log-level", "warning", "--no-access-log"]
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        command = ["taskset", "-c", "0", *command]
    process = subprocess.Popen(command, env=env, cwd=HERE.parent)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://{HOST}:{TARGETS[target]}/healthz", timeout=1).read()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{target} did not start")


async def statements_in_process(url: str, naive: bool, operation: Operation, token: str) -> int:
    """SQL statements of one operation, counted on the engine of an in-process app."""
    from db.session import create_engine
    from salescoord.app import attach_engine, create_app

    engine = create_engine(url)
    counter = {"n": 0}

    def count(*_: Any) -> None:
        counter["n"] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    app = create_app(Settings(database_url=url, secret_keys=(SECRET,), naive=naive))
    attach_engine(app, engine)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as http:

            async def send(payload: dict[str, Any], token: str) -> tuple[dict[str, str], Any]:
                response = await http.post(
                    "/graphql", json=payload, headers={"Authorization": f"Bearer {token}"}
                )
                return dict(response.headers), response.json()

            await perform(operation, send, token)  # warm: the viewer's first statement compiles
            counter["n"] = 0
            await perform(operation, send, token)
            return counter["n"]
    finally:
        await engine.dispose()


async def run_target(
    target: str, url: str, operations: list[Operation], tokens: dict[str, str], seconds: float
):
    process = start_server(target, url)
    results: dict[str, Any] = {}
    try:
        for operation in operations:
            token = tokens[operation.viewer]
            connection = HttpConnection(HOST, TARGETS[target])
            floor_statements = 0

            async def send(payload: dict[str, Any], token: str, connection: HttpConnection = connection):
                nonlocal floor_statements
                headers, body = await connection.post("/graphql", payload, token)
                floor_statements += int(headers.get("x-sql-statements", 0))
                return headers, body

            bodies = await perform(operation, send, token)
            connection.close()

            async def once(connection: HttpConnection, operation: Operation = operation, token: str = token):
                async def send(payload: dict[str, Any], token: str) -> Any:
                    return await connection.post("/graphql", payload, token)

                await perform(operation, send, token)

            measured = await measure(HOST, TARGETS[target], once, seconds)
            results[operation.name] = {
                "bodies": bodies,
                "measurement": measured,
                "floor_statements": floor_statements,
            }
            print(
                f"  {target:8s} {operation.name}: {measured.per_second:8.1f} op/s at 8 clients, "
                f"p50 {measured.p50_ms:7.2f} ms, p99 {measured.p99_ms:7.2f} ms",
                flush=True,
            )
    finally:
        process.terminate()
        process.wait(10)
    return results


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    parser.add_argument("--reuse", action="store_true", help="keep a database loaded before")
    parser.add_argument("--only", default="", help="comma-separated operation names")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})

    from schema.root import schema

    url = await prepare(args.db, args.scale, args.reuse)
    chosen = [o for o in OPERATIONS if not args.only or o.name in args.only.split(",")]
    skipped = {
        o.name: f"no {o.needs_type} type in the schema"
        for o in chosen
        if o.needs_type and o.needs_type not in schema._schema.type_map
    }
    operations = [o for o in chosen if o.name not in skipped]
    settings = Settings(database_url=url, secret_keys=(SECRET,))
    tokens = {role: issue_token(settings, user, Channel.WEB)[0] for role, user in viewers(args.scale).items()}

    runs = {}
    for target in TARGETS:
        print(f"{target}:", flush=True)
        runs[target] = await run_target(target, url, operations, tokens, args.seconds)

    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "db": args.db,
        "scale": args.scale,
        "seconds_per_measurement": args.seconds,
        "pinned": bool(shutil.which("taskset")) and (os.cpu_count() or 1) > 1,
        "skipped": skipped,
        "operations": {},
    }
    for operation in operations:
        service, naive, floor = (runs[t][operation.name] for t in TARGETS)
        token = tokens[operation.viewer]
        entry = {
            "title": operation.title,
            "equal_data": service["bodies"] == naive["bodies"] == floor["bodies"],
            "statements": {
                "service": await statements_in_process(url, False, operation, token),
                "naive": await statements_in_process(url, True, operation, token),
                "floor": floor["floor_statements"],
            },
        }
        for target, run in (("service", service), ("naive", naive), ("floor", floor)):
            entry[target] = {
                k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(run["measurement"]).items()
            }
        entry["ratios"] = {
            "service/naive req/s": _ratio(service["measurement"].per_second, naive["measurement"].per_second),
            "service/floor req/s": _ratio(service["measurement"].per_second, floor["measurement"].per_second),
            "naive/floor req/s": _ratio(naive["measurement"].per_second, floor["measurement"].per_second),
            "service/naive p50": _ratio(service["measurement"].p50_ms, naive["measurement"].p50_ms),
            "service/floor p50": _ratio(service["measurement"].p50_ms, floor["measurement"].p50_ms),
        }
        report["operations"][operation.name] = entry
    print_table(report)
    out = (
        HERE
        / "results"
        / f"{datetime.now(UTC).date()}-{args.db}{'' if args.scale == 1 else f'-s{args.scale}'}.json"
    )
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results: {out.relative_to(HERE.parent)}")
    unequal = [name for name, entry in report["operations"].items() if not entry["equal_data"]]
    if unequal:
        print(f"UNEQUAL DATA: {unequal}")
        return 1
    return 0


def print_table(report: dict[str, Any]) -> None:
    print(f"\n{report['db']}, scale {report['scale']}, {report['seconds_per_measurement']} s per measurement")
    header = (
        f"{'op':4} {'req/s (a)':>9} {'(b) naive':>9} {'(c) floor':>9} {'a/b':>6} {'a/c':>5} "
        f"{'p50 a/b/c ms':>20} {'p99 a/b/c ms':>22} {'SQL a/b/c':>12} equal"
    )
    print(header)
    print("-" * len(header))
    for name, e in report["operations"].items():
        s, n, f = e["service"], e["naive"], e["floor"]
        r, st = e["ratios"], e["statements"]
        print(
            f"{name:4} {s['per_second']:9.1f} {n['per_second']:9.1f} {f['per_second']:9.1f} "
            f"{r['service/naive req/s'] or 0:6.1f} {r['service/floor req/s'] or 0:5.2f} "
            f"{s['p50_ms']:6.1f}/{n['p50_ms']:6.1f}/{f['p50_ms']:6.1f} "
            f"{s['p99_ms']:7.1f}/{n['p99_ms']:7.1f}/{f['p99_ms']:6.1f} "
            f"{st['service']:>4}/{st['naive']:>4}/{st['floor']:>3} {'yes' if e['equal_data'] else 'NO'}"
        )
    for name, why in report["skipped"].items():
        print(f"{name}: skipped ({why})")


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
