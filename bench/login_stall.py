"""How much sign-ins slow a server process's other requests: /healthz latency while
`--streams` clients sign in back to back, against the same process idle.

Each sign-in costs one argon2 verification (about 130 ms of CPU). On the event loop it held
every other request of the process for that long; in worker threads it holds none.

    .venv/bin/python -m bench.login_stall                      # 8 streams, 20 s, SQLite
    .venv/bin/python -m bench.login_stall --concurrency 2 --seconds 10
    .venv/bin/python -m bench.login_stall --source /tmp/older  # another checkout's code

uvicorn serves one process on 127.0.0.1 from a fresh SQLite database in a temporary folder,
with the sign-in rate limits off (a benchmark signs in far more often than a person). A probe
asks /healthz every 10 ms on its own connection; the figures are its p50, p99 and max.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.load import HttpConnection, _percentile

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
EMAIL, PASSWORD = "signs-in@bench.test", "bench-password-1"
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p, client: WEB) { token } }"
PROBE_INTERVAL = 0.01


def _environment(source: Path, folder: Path, concurrency: int | None) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(source),
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'stall.db'}",
        "SALESCOORD_DATA_DIR": str(folder),
        "SALESCOORD_SECRET": "bench-secret-" + "s" * 40,
        "SALESCOORD_GRAPHIQL": "0",
        "RATE_LOGIN_PER_IP": "0",
        "RATE_FAILED_LOGINS_PER_ACCOUNT": "0",
        "RATE_REQUESTS_PER_USER": "0",
        "LOG_LEVEL": "warning",
    }
    if concurrency is not None:
        env["PASSWORD_HASH_CONCURRENCY"] = str(concurrency)
    return env


def start(source: Path, env: dict[str, str], port: int) -> subprocess.Popen:
    create = ["users", "create", "--email", EMAIL, "--name", "Signs In", "--role", "ACCOUNT_MANAGER"]
    subprocess.run(
        [sys.executable, "-m", "salescoord.cli", *create, "--password", PASSWORD],
        env=env,
        cwd=source,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "salescoord.app:create_app",
            "--factory",
            "--host",
            HOST,
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        cwd=source,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not start")


async def probe(port: int, seconds: float) -> list[float]:
    connection = HttpConnection(HOST, port)
    timings: list[float] = []
    deadline = time.perf_counter() + seconds
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await connection.get("/healthz")
            timings.append(time.perf_counter() - started)
            await asyncio.sleep(PROBE_INTERVAL)
    finally:
        connection.close()
    return timings


async def sign_in_until(port: int, stop: asyncio.Event) -> int:
    connection = HttpConnection(HOST, port)
    payload = {"query": LOGIN, "variables": {"e": EMAIL, "p": PASSWORD}}
    done = 0
    try:
        while not stop.is_set():
            _, body = await connection.post("/graphql", payload, "")
            if body.get("errors"):
                raise RuntimeError(f"sign-in failed: {body['errors']}")
            done += 1
    finally:
        connection.close()
    return done


async def measure(port: int, streams: int, seconds: float) -> tuple[list[float], float]:
    """/healthz timings while `streams` clients sign in, and their sign-ins per second."""
    stop = asyncio.Event()
    signing_in = [asyncio.create_task(sign_in_until(port, stop)) for _ in range(streams)]
    await asyncio.sleep(min(2.0, seconds / 5) if streams else 0)  # every stream under way
    started = time.perf_counter()
    timings = await probe(port, seconds)
    stop.set()
    done = sum(await asyncio.gather(*signing_in))
    return timings, done / (time.perf_counter() - started)


def line(label: str, timings: list[float]) -> str:
    p50, p99 = _percentile(timings, 0.5) * 1000, _percentile(timings, 0.99) * 1000
    most = max(timings) * 1000
    return f"{label}: /healthz p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {most:.1f} ms ({len(timings)} probes)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, help="PASSWORD_HASH_CONCURRENCY (default: the setting's)")
    parser.add_argument("--port", type=int, default=8311)
    parser.add_argument("--source", type=Path, default=ROOT, help="the checkout whose code is served")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="login-stall-") as folder:
        env = _environment(args.source.resolve(), Path(folder), args.concurrency)
        server = start(args.source.resolve(), env, args.port)
        try:
            idle, _ = asyncio.run(measure(args.port, 0, min(args.seconds, 5)))
            busy, rate = asyncio.run(measure(args.port, args.streams, args.seconds))
        finally:
            server.terminate()
            server.wait(10)
    print(line("idle", idle))
    print(line(f"{args.streams} sign-in streams", busy) + f"; {rate:.1f} sign-ins/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
