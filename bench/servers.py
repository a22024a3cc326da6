"""The four servers under test, one process at a time, each pinned to core 0 (`taskset`)
while the load generator keeps core 1 to itself (bench.run pins it there):

- service: `salescoord.app` under uvicorn, as deployed;
- naive: the same app with SALESCOORD_NAIVE=1 (`Settings.naive`);
- floor: `bench.floor` under the same uvicorn;
- postgraphile: bench/postgraphile/server.mjs under Node 22 (PostgreSQL only).

Every one listens on 127.0.0.1, verifies the same HS256 tokens (SECRET) and answers
GET /healthz once ready; the floor and PostGraphile also count the statements they send
(GET /statements), the service's are counted in process (bench.run).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench import peer
from bench.bulk import plain

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SECRET = "bench-secret-" + "b" * 40
TARGETS = ("service", "naive", "floor", "postgraphile")


@dataclass(frozen=True)
class Layout:
    """Where a run's servers listen (one port per target, counting from `first_port`) and
    keep their files (`work_dir`: the SQLite databases and the servers' data folder)."""

    first_port: int = 8301
    work_dir: Path = ROOT / "bench" / "var"

    def port(self, target: str) -> int:
        return self.first_port + TARGETS.index(target)


def pinned() -> bool:
    return bool(shutil.which("taskset")) and (os.cpu_count() or 1) > 1


def _command(target: str, port: int) -> list[str]:
    if target == "postgraphile":
        return [str(peer.NODE), str(peer.SERVER)]
    app = "bench.floor:create_floor" if target == "floor" else "salescoord.app:create_app"
    command = [sys.executable, "-m", "uvicorn", app, "--factory", "--host", HOST]
    return [*command, "--port", str(port), "--log-level", "warning", "--no-access-log"]


def _environment(target: str, url: str, layout: Layout) -> dict[str, str]:
    env = {**os.environ, "SALESCOORD_SECRET": SECRET}
    if target == "postgraphile":
        port = str(layout.port(target))
        return env | {"DATABASE_URL": plain(url), "HOST": HOST, "PORT": port, "GRAPHILE_ENV": "production"}
    return {
        **env,
        "DATABASE_URL": url,
        "SALESCOORD_NAIVE": "1" if target == "naive" else "0",
        "SALESCOORD_PLANNER": "0" if target == "naive" else os.environ.get("SALESCOORD_PLANNER", "1"),
        "SALESCOORD_GRAPHIQL": "0",
        "SALESCOORD_DATA_DIR": str(layout.work_dir),
        # One viewer sends every request of a measurement; the per-user budget is for people.
        "RATE_REQUESTS_PER_USER": "0",
    }


def start(target: str, url: str, layout: Layout, timeout: float = 120) -> subprocess.Popen:
    """The target's server, answering; it fails loudly if it does not come up."""
    command = _command(target, layout.port(target))
    if pinned():
        command = ["taskset", "-c", "0", *command]
    process = subprocess.Popen(command, env=_environment(target, url, layout), cwd=ROOT)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{target} exited with {process.returncode} before answering")
        try:
            urllib.request.urlopen(f"http://{HOST}:{layout.port(target)}/healthz", timeout=1).read()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{target} did not start")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(10)


def statements_sent(port: int) -> int:
    """Statements the floor or PostGraphile listening on `port` has sent so far."""
    import json

    with urllib.request.urlopen(f"http://{HOST}:{port}/statements", timeout=5) as response:
        return int(json.load(response)["statements"])
