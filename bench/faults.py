"""`make faults`: the load of `make load` while things break, scripted and repeatable.

1. PostgreSQL restarts mid-run: errors only inside the restart window, the service
   recovers without a restart of its own, and no acknowledged write is lost.
2. One of the two server processes is killed mid-run: the other keeps serving (the
   supervisor starts a replacement).
SMTP outages are covered by the outbox tests (`make test`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import time

from bench import harness

RESTART = os.environ.get(
    "PG_RESTART", "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main restart"
)


def _workers(server: subprocess.Popen) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


async def _fault(name: str, at: float, action) -> tuple[float, float]:
    await asyncio.sleep(at)
    began = time.monotonic()
    await asyncio.to_thread(action)
    print(f"fault: {name} done in {time.monotonic() - began:.1f} s")
    return began, time.monotonic()


async def run(name: str, seconds: float, clients: int, port: int, fault_at: float, action) -> dict:
    url = await harness.fresh_database(scale=2)
    server = harness.start_server(url, port, workers=2)
    base = f"http://127.0.0.1:{port}"
    try:
        await harness.wait_ready(base)
        actors = await harness.actors(base, clients)
        stats = harness.Stats()
        until = time.monotonic() + seconds
        loops = [harness.client_loop(base, a, stats, until, n) for n, a in enumerate(actors)]
        window, *_ = await asyncio.gather(_fault(name, fault_at, lambda: action(server)), *loops)
        still_serving = await harness.gql_status(base)
    finally:
        harness.stop_server(server)
    began, ended = (t - stats.started for t in window)
    outside = [e for e in stats.errors if not began - 1 <= e[0] <= ended + 10]
    lost = await harness.lost_writes(stats)
    result = {
        "fault": name,
        "window_s": [round(began, 1), round(ended, 1)],
        "errors": len(stats.errors),
        "errors_outside_window": outside[:10],
        "lost_writes": lost,
        "served_after": still_serving,
        "acknowledged_writes": harness.acknowledged(stats),
        "operations": harness.summary(stats, seconds),
    }
    ok = not outside and not lost and still_serving
    print(
        f"{name}: {'ok' if ok else 'FAILED'}: {len(stats.errors)} errors, all inside the window: "
        f"{not outside}; lost writes: {len(lost)}; serving afterwards: {still_serving}"
    )
    return result | {"ok": ok}


def restart_postgres(_server: subprocess.Popen) -> None:
    subprocess.run(RESTART, shell=True, check=True, capture_output=True)


def kill_one_worker(server: subprocess.Popen) -> None:
    os.kill(_workers(server)[0], signal.SIGKILL)


async def main(seconds: float, clients: int, port: int) -> int:
    results = [
        await run("postgres-restart", seconds, clients, port, seconds / 3, restart_postgres),
        await run("worker-killed", seconds, clients, port, seconds / 3, kill_one_worker),
    ]
    path = harness.write_result("faults", {"runs": results})
    print(f"-> {path}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.seconds, args.clients, args.port)))
