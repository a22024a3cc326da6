"""`make load`: 32 clients for 60 s against 2 server processes on PostgreSQL; 0 errors and
every acknowledged write readable afterwards, or the run fails. p50/p99 by operation go to
bench/results/<date>-load.json.

The server is DATABASE_URL's, else TEST_DATABASE_URL's (`--database-url`); the run loads its
own database there (`--database`, default salescoord_load) and never touches another.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bench import harness


async def main(setup: harness.Setup, seconds: float, clients: int, workers: int) -> int:
    await harness.fresh_database(setup, scale=2)
    server = harness.start_server(setup, workers)
    try:
        await harness.wait_ready(setup.base)
        actors = await harness.actors(setup.base, clients)
        stats = harness.Stats()
        until = time.monotonic() + seconds
        await asyncio.gather(
            *(harness.client_loop(setup.base, a, stats, until, n) for n, a in enumerate(actors))
        )
    finally:
        harness.stop_server(server)
    lost = await harness.lost_writes(setup, stats)
    table = harness.summary(stats, seconds)
    path = harness.write_result(
        setup,
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
    if stats.errors:
        print(f"the servers' log: {setup.server_log}")
    return 0 if not stats.errors and not lost else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    harness.add_arguments(parser, port=8765)
    args = parser.parse_args()
    setup = harness.Setup.from_arguments(args)
    raise SystemExit(asyncio.run(main(setup, args.seconds, args.clients, args.workers)))
