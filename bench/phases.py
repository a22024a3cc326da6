"""Where a request's time goes, phase by phase, with and without the planner (issue 17), in
one process on the bench database (loaded by `make bench`, reused here; on SQLite, where
the resolvers answer everything, only the request, parse and validate phases):

- request: the whole request through the ASGI app (httpx), planner on, then off;
- parse and validate: graphql-core on the document (the app caches both per document);
- plan: reading the operation and building its statements (the app caches it per viewer
  scope, document and variables);
- sql: the plan's statements, executed (PostgreSQL's planning and execution, the driver);
- serialise: the database's JSON text to the response body (json.loads, cursors, json.dumps).

    .venv/bin/python -m bench.phases [--db postgresql] [--scale 1] [--repeat 200] [--only Q1,Q3]

Median microseconds per phase over `--repeat` runs, to stdout and to
bench/results/<date>-phases[-s<scale>].json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from dataclasses import replace
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from graphql import OperationDefinitionNode, parse, validate
from salescoord.db.session import RequestDatabase, create_engine
from salescoord.permissions.enums import Channel
from salescoord.permissions.scope import Scope
from salescoord.schema.ids import encode_id
from salescoord.schema.planner.cursors import fill
from salescoord.schema.planner.plan import Unplannable, read_operation
from salescoord.schema.planner.sql import parameters, statement_of
from salescoord.schema.root import schema

from bench import bulk
from bench.operations import OPERATIONS, perform
from bench.run import PG_BASE, SECRET, detail_meeting, in_process, viewers
from salescoord.context import load_viewer
from salescoord.settings import Settings
from salescoord.tokens import issue_token


def _median_us(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1e6, 1)


async def _timed(repeat: int, run: Any) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        if asyncio.iscoroutine(result):
            await result
        samples.append(time.perf_counter() - started)
    return _median_us(samples)


async def _requests(url: str, planner: bool, operation: Any, token: str, repeat: int) -> float:
    async with in_process(url, planner=planner) as (_, send):
        await perform(operation, send, token)
        return await _timed(repeat, lambda: perform(operation, send, token))


async def measure(url: str, scale: int, repeat: int, only: set[str] | None = None) -> dict[str, Any]:
    ids = viewers(scale)
    settings = Settings(database_url=url, secret_keys=(SECRET,))
    tokens = {role: issue_token(settings, user, Channel.WEB)[0] for role, user in ids.items()}
    meeting = await detail_meeting(url, ids["sc"])
    engine = create_engine(url)
    graphql_schema = schema._schema
    results: dict[str, Any] = {}
    try:
        for operation in OPERATIONS:
            if only and operation.name not in only:
                continue
            if operation.name == "Q3":
                operation = replace(operation, variables={"id": encode_id("Meeting", meeting)})
            token = tokens[operation.viewer]
            db = RequestDatabase(engine)
            viewer = await load_viewer(db, settings, token)
            context = SimpleNamespace(viewer=viewer, scope=Scope.of(viewer))
            document = parse(operation.query)
            op = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
            variables = dict(operation.variables)
            if operation.pages > 1:
                variables["after"] = None
            entry: dict[str, Any] = {
                "parse": await _timed(repeat, lambda q=operation.query: parse(q)),
                "validate": await _timed(repeat, lambda d=document: validate(graphql_schema, d)),
            }

            def plan(d: Any = document, o: Any = op, v: dict = variables, c: Any = context) -> Any:
                roots = read_operation(graphql_schema, d, o, v, c)
                built = [(root, statement_of(root, c.scope), parameters(root)) for root in roots]
                for _, statement, _ in built:
                    statement.compile(dialect=engine.dialect)
                return built

            try:
                if engine.dialect.name != "postgresql":
                    raise Unplannable("the planner is PostgreSQL's")
                built = plan()
            except Unplannable:
                entry["plan"] = "not compiled: the resolvers answer"
            else:
                entry["plan"] = await _timed(repeat, plan)
                texts: list[str] = []

                async def sql(built: Any = built, texts: list[str] = texts, db: Any = db) -> None:
                    texts.clear()
                    texts.extend([await db.scalar(statement, values) for _, statement, values in built])

                entry["sql"] = await _timed(repeat, sql)

                def serialise(built: Any = built, texts: list[str] = texts) -> str:
                    data = {
                        root.key: fill(json.loads(text), root)
                        for (root, _, _), text in zip(built, texts, strict=True)
                    }
                    return json.dumps({"data": data}, separators=(",", ":"))

                entry["serialise"] = await _timed(repeat, serialise)
                entry["response_bytes"] = len(serialise())
            await db.close()
            entry["request_with_planner"] = await _requests(url, True, operation, token, repeat)
            entry["request_without_planner"] = await _requests(url, False, operation, token, repeat)
            results[operation.name] = entry
            print(operation.name, entry, flush=True)
    finally:
        await engine.dispose()
    return results


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--only", default="", help="comma-separated operations, e.g. Q1,Q3")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--work-dir", type=Path, default=Path("bench/var"))
    parser.add_argument("--results", type=Path, default=Path("bench/results"))
    args = parser.parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    url = await bulk.prepare(args.db, args.scale, True, PG_BASE, args.work_dir)
    only = {name for name in args.only.split(",") if name} or None
    results = await measure(url, args.scale, args.repeat, only)
    suffix = f"-s{args.scale}" if args.scale != 1 else ""
    path = args.results / f"{date.today().isoformat()}-phases-{args.db}{suffix}.json"
    summary = {"db": args.db, "scale": args.scale, "repeat": args.repeat, "median_us": results}
    path.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
