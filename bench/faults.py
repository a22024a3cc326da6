"""`make faults`: the load of `make load` while things break, scripted and repeatable.

1. postgres-restart: the PostgreSQL server restarts a third into the run. Errors are allowed
   only inside the fault's window (from 1 s before it began to GRACE_SECONDS after it ended),
   the service recovers without a restart of its own, and no acknowledged write is lost.
2. worker-killed: one of the two server processes is killed (SIGKILL) a third into the run:
   errors only inside the window, the other process keeps serving, the supervisor starts a
   replacement, and no acknowledged write is lost.

The restart runs PG_RESTART, else `pg_ctlcluster --skip-systemctl-redirect <version> <cluster>
restart` for the cluster of this machine whose data directory is the server's (as
`pg_lsclusters` lists it). `--without-restart` leaves phase 1 out: the test suite's smoke
runs beside other tests that use the same server. SMTP outages are covered by the outbox
tests (`make test`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable

import asyncpg

from bench import harness

GRACE_SECONDS = 10
RESTART_COMMAND = "pg_ctlcluster --skip-systemctl-redirect {version} {cluster} restart"


async def restart_command(setup: harness.Setup) -> str:
    """The command that restarts the server the run uses (never a guess at another one)."""
    if os.environ.get("PG_RESTART"):
        return os.environ["PG_RESTART"]
    admin = await asyncpg.connect(harness.plain(setup.server_url))
    try:
        data_directory = await admin.fetchval("SHOW data_directory")
    except asyncpg.InsufficientPrivilegeError as error:
        raise LookupError(f"the server does not say where its data lives ({error}): set PG_RESTART") from None
    finally:
        await admin.close()
    try:
        listed = subprocess.run(["pg_lsclusters", "--json"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        raise LookupError("pg_lsclusters is not available here: set PG_RESTART") from None
    for cluster in json.loads(listed.stdout):
        if cluster.get("pgdata") == data_directory:
            return RESTART_COMMAND.format(version=cluster["version"], cluster=cluster["cluster"])
    raise LookupError(f"no cluster of this machine holds {data_directory}: set PG_RESTART")


def workers(server: subprocess.Popen) -> list[int]:
    """The server's worker processes: the supervisor's children that multiprocessing spawned
    (not its resource tracker, also a child)."""
    out = subprocess.run(
        ["pgrep", "-P", str(server.pid), "-f", "multiprocessing.spawn"], capture_output=True, text=True
    )
    return sorted(int(pid) for pid in out.stdout.split())


def restart_postgres(command: str) -> Callable[[subprocess.Popen], str]:
    def action(_server: subprocess.Popen) -> str:
        done = subprocess.run(command, shell=True, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"`{command}` failed ({done.returncode}): {done.stderr.strip()}")
        return f"ran `{command}`"

    return action


def kill_one_worker(server: subprocess.Popen) -> str:
    running = workers(server)
    os.kill(running[0], signal.SIGKILL)
    return f"killed worker {running[0]} of {running} with SIGKILL"


async def _fault(
    at: float, action: Callable[[subprocess.Popen], str], server: subprocess.Popen
) -> tuple[float, float, str]:
    await asyncio.sleep(at)
    began = time.monotonic()
    done = await asyncio.to_thread(action, server)
    return began, time.monotonic(), done


async def _replaced(server: subprocess.Popen, count: int, seconds: float = 30) -> list[int]:
    """The workers once the supervisor has `count` of them again (or what it has after `seconds`)."""
    deadline = time.monotonic() + seconds
    while len(running := workers(server)) != count and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    return running


async def run(
    name: str, setup: harness.Setup, seconds: float, clients: int, action: Callable[[subprocess.Popen], str]
) -> dict:
    await harness.fresh_database(setup, scale=2)
    server = harness.start_server(setup, workers=2)
    try:
        await harness.wait_ready(setup.base)
        before = workers(server)
        actors = await harness.actors(setup.base, clients)
        stats = harness.Stats()
        until = time.monotonic() + seconds
        loops = [harness.client_loop(setup.base, a, stats, until, n) for n, a in enumerate(actors)]
        (began, ended, done), *_ = await asyncio.gather(_fault(seconds / 3, action, server), *loops)
        after = await _replaced(server, len(before))
        still_serving = await harness.gql_status(setup.base)
    finally:
        harness.stop_server(server)
    began, ended = began - stats.started, ended - stats.started
    inside = [e for e in stats.errors if began - 1 <= e[0] <= ended + GRACE_SECONDS]
    outside = [e for e in stats.errors if e not in inside]
    lost = await harness.lost_writes(setup, stats)
    table = harness.summary(stats, seconds)
    result = {
        "fault": name,
        "action": done,
        "window_s": [round(began, 1), round(ended, 1)],
        "allowed_s": [round(began - 1, 1), round(ended + GRACE_SECONDS, 1)],
        "answered": sum(row["requests"] for row in table.values()),
        "errors": len(stats.errors),
        "errors_by_operation": dict(Counter(e[1] for e in stats.errors)),
        "last_error_s": round(max((e[0] for e in stats.errors), default=0), 1) or None,
        "errors_outside_window": outside[:10],
        "acknowledged_writes": harness.acknowledged(stats),
        "lost_writes": lost,
        "workers_before": before,
        "workers_after": after,
        "served_after": still_serving,
        "operations": table,
    }
    ok = not outside and not lost and still_serving and len(after) == len(before)
    _print(result, ok)
    return result | {"ok": ok}


def _print(result: dict, ok: bool) -> None:
    began, ended = result["window_s"]
    print(f"\n{result['fault']}: {'ok' if ok else 'FAILED'}")
    print(f"  fault     {result['action']}, from {began} s to {ended} s of the run")
    print(
        f"  requests  {result['answered']} answered, {result['errors']} failed"
        f" {result['errors_by_operation'] or ''}; errors allowed from {result['allowed_s'][0]} s"
        f" to {result['allowed_s'][1]} s, outside that: {len(result['errors_outside_window'])}"
    )
    if result["last_error_s"] is not None:
        last = result["last_error_s"]
        print(f"  recovery  the last error at {last} s, {last - ended:.1f} s after the fault ended")
    print(
        f"  writes    {result['acknowledged_writes']} acknowledged,"
        f" {len(result['lost_writes'])} missing from the database afterwards"
    )
    print(f"  workers   {result['workers_before']} before, {result['workers_after']} after")
    print(f"  serving   afterwards: {'yes' if result['served_after'] else 'NO'}")
    harness.print_table(result["operations"])
    for error in result["errors_outside_window"][:5]:
        print("  outside the window:", error)


async def main(setup: harness.Setup, seconds: float, clients: int, with_restart: bool) -> int:
    phases: list[tuple[str, Callable[[subprocess.Popen], str]]] = []
    try:
        command = await restart_command(setup)
    except LookupError as error:
        if with_restart:
            raise SystemExit(f"cannot restart PostgreSQL: {error}") from None
        print(f"postgres-restart: left out (--without-restart); no command found: {error}")
    else:
        if with_restart:
            phases.append(("postgres-restart", restart_postgres(command)))
        else:
            print(f"postgres-restart: left out (--without-restart); it would run `{command}`")
    phases.append(("worker-killed", kill_one_worker))
    results = [await run(name, setup, seconds, clients, action) for name, action in phases]
    path = harness.write_result(setup, "faults", {"seconds": seconds, "clients": clients, "runs": results})
    print(f"-> {path}")
    if not all(r["ok"] for r in results):
        print(f"the servers' log of the last run: {setup.server_log}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--without-restart", action="store_true", help="leave the PostgreSQL restart out")
    harness.add_arguments(parser, port=8766)
    args = parser.parse_args()
    setup = harness.Setup.from_arguments(args)
    raise SystemExit(asyncio.run(main(setup, args.seconds, args.clients, not args.without_restart)))
