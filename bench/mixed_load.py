"""`make load`: 32 clients for 60 s against 2 server processes on PostgreSQL; 0 errors and
every acknowledged write readable afterwards, or the run fails. p50/p99 by operation go to
bench/results/<date>-load.json."""

from __future__ import annotations

import argparse
import asyncio
import time

from bench import harness


async def main(seconds: float, clients: int, workers: int, port: int) -> int:
    url = await harness.fresh_database(scale=2)
    server = harness.start_server(url, port, workers)
    base = f"http://127.0.0.1:{port}"
    try:
        await harness.wait_ready(base)
        actors = await harness.actors(base, clients)
        stats = harness.Stats()
        until = time.monotonic() + seconds
        await asyncio.gather(*(harness.client_loop(base, a, stats, until, n) for n, a in enumerate(actors)))
    finally:
        harness.stop_server(server)
    lost = await harness.lost_writes(stats)
    table = harness.summary(stats, seconds)
    path = harness.write_result(
        "load",
        {
            "seconds": seconds,
            "clients": clients,
            "workers": workers,
            "database": "postgresql",
            "operations": table,
            "errors": len(stats.errors),
            "first_errors": stats.errors[:10],
            "acknowledged_writes": harness.acknowledged(stats),
            "lost_writes": lost,
        },
    )
    harness.print_table(table)
    print(
        f"errors: {len(stats.errors)}  acknowledged writes: {harness.acknowledged(stats)}"
        f"  lost: {len(lost)}  -> {path}"
    )
    for error in stats.errors[:5]:
        print("  ", error)
    return 0 if not stats.errors and not lost else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.seconds, args.clients, args.workers, args.port)))
