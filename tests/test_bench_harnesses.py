"""The scripts a user is told to run beyond `make test` (`make load`, `make faults`, `make
bench`), each run for a few seconds through the entry point its Makefile target runs, so none
can rot unseen: each must exit 0 with a summary that holds no error.

`make load` and `make faults` drive several server processes sharing one PostgreSQL (R27):
their smokes run on the test server only, each in a database of its own, and the faults
smoke leaves out the restart of that server (other tests use it) but says what it would run.
`make bench`'s smoke answers one operation on SQLite, where PostGraphile takes no part.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bench import harness
from tests.conftest import ROOT
from tests.smtp import free_port

SMOKE_SECONDS = "6"
TIMEOUT_SECONDS = 600  # setup and six seconds of load take ~20 s on a busy 2-core machine


async def _run(*args: str, environment: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )


def _result(folder: Path, name: str) -> dict:
    (path,) = folder.glob(f"*-{name}.json")
    return json.loads(path.read_text())


def _ended_clean(finished: subprocess.CompletedProcess) -> None:
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]


@pytest.fixture
async def load_setup(backend, tmp_path: Path):
    """A harness's place on the test server: a database of its own (dropped afterwards), a
    free port, and the test's folder for its result file and server log."""
    name, url, _ = backend
    if name != "postgresql":
        pytest.skip("the harness runs several server processes on one PostgreSQL (R27)")
    setup = harness.Setup(url, f"{make_url(url).database}_load", free_port(), tmp_path, tmp_path / "data")
    try:
        yield setup
    finally:
        await harness.drop_database(setup)


def _arguments(setup: harness.Setup) -> list[str]:
    return [
        *("--database", setup.database, "--port", str(setup.port)),
        *("--results", str(setup.results), "--data-dir", str(setup.data_dir)),
    ]


class Relay:
    """A TCP relay on a free loopback port to the PostgreSQL server. A client that reached the
    server another way (a port written into the code) would pass it by; the start of each
    stream it carried shows which database was asked for."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.starts: list[bytes] = []

    async def __aenter__(self) -> Relay:
        self.server = await asyncio.start_server(self._carry, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        self.server.close()

    def asked_for(self, database: str) -> bool:
        return any(b"database\x00" + database.encode() + b"\x00" in start for start in self.starts)

    async def _carry(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        start = len(self.starts)
        self.starts.append(b"")

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter, record: bool) -> None:
            try:
                while data := await source.read(65536):
                    if record and len(self.starts[start]) < 1024:
                        self.starts[start] += data
                    sink.write(data)
                    await sink.drain()
            except ConnectionError:
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, upstream_writer, True), pipe(upstream_reader, writer, False))


async def test_R16_R27_make_load_runs_its_whole_mix_without_an_error(load_setup, tmp_path):
    """Every operation of the mix runs (app mutations carry their clientMutationId, R16), none
    fails, and every acknowledged write is read back from the database afterwards. The server
    is the one TEST_DATABASE_URL names, at the port it names."""
    server = make_url(load_setup.server_url)
    async with Relay(server.host or "127.0.0.1", server.port or 5432) as relay:
        environment = {**os.environ, "TEST_DATABASE_URL": server.set(port=relay.port).render_as_string(False)}
        environment.pop("DATABASE_URL", None)
        finished = await _run(
            "bench.mixed_load",
            *("--seconds", SMOKE_SECONDS, "--clients", "4", *_arguments(load_setup)),
            environment=environment,
        )
    _ended_clean(finished)
    result = _result(tmp_path, "load")
    assert result["errors"] == 0, result["first_errors"]
    assert result["lost_writes"] == []
    assert result["acknowledged_writes"] > 0
    assert set(result["operations"]) == {name for name, _ in harness.OPERATIONS}
    assert relay.asked_for(server.database) and relay.asked_for(load_setup.database)


def _cluster_on_port(port: int) -> dict | None:
    if not shutil.which("pg_lsclusters"):
        return None
    listed = subprocess.run(["pg_lsclusters", "--json"], capture_output=True, text=True, check=True)
    return next((c for c in json.loads(listed.stdout) if int(c["port"]) == port), None)


async def test_R27_make_faults_survives_a_killed_worker_and_names_the_restart_it_would_run(
    load_setup, tmp_path
):
    finished = await _run(
        "bench.faults",
        *("--without-restart", "--seconds", SMOKE_SECONDS, "--clients", "4"),
        *("--database-url", load_setup.server_url, *_arguments(load_setup)),
    )
    _ended_clean(finished)
    (run,) = _result(tmp_path, "faults")["runs"]
    assert run["fault"] == "worker-killed" and run["ok"]
    assert run["errors_outside_window"] == [] and run["lost_writes"] == []
    assert run["acknowledged_writes"] > 0 and run["served_after"]
    # a worker died (not the supervisor's other child) and the supervisor replaced it
    assert len(set(run["workers_before"]) - set(run["workers_after"])) == 1, run["action"]
    assert len(run["workers_after"]) == 2
    cluster = _cluster_on_port(make_url(load_setup.server_url).port or 5432)
    if cluster:
        command = f"pg_ctlcluster --skip-systemctl-redirect {cluster['version']} {cluster['cluster']} restart"
        assert f"it would run `{command}`" in finished.stdout


def _free_ports(count: int) -> int:
    """The first of `count` consecutive ports free on 127.0.0.1."""
    while True:
        first = free_port()
        sockets = []
        try:
            for port in range(first, first + count):
                sockets.append(socket.socket())
                sockets[-1].bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for opened in sockets:
                opened.close()


async def test_R26_make_bench_answers_one_operation_alike_from_every_server_on_sqlite(tmp_path):
    """The service, its naive mode and the raw floor each answer and are measured, and agree;
    the run's database, ports and results are the test's, never bench/var or bench/results."""
    finished = await _run(
        "bench.run",
        *("--db", "sqlite", "--only", "Q0", "--seconds", "0.5", "--port", str(_free_ports(3))),
        *("--work-dir", str(tmp_path), "--results", str(tmp_path)),
    )
    _ended_clean(finished)
    assert "ANSWERS DIFFER" not in finished.stdout
    q0 = _result(tmp_path, "sqlite-only-Q0")["operations"]["Q0"]  # never a whole run's file
    assert q0["equal_data"] and q0["differences"] == []
    assert all(q0[target]["samples"] > 0 for target in ("service", "naive", "floor"))
    # bench.phases on the database the run loaded (`--work-dir`): every phase it can time there
    phases = await _run(
        "bench.phases",
        *("--db", "sqlite", "--only", "Q0,Q2", "--repeat", "2"),
        *("--work-dir", str(tmp_path), "--results", str(tmp_path)),
    )
    _ended_clean(phases)
    timed = _result(tmp_path, "phases-sqlite")["median_us"]
    assert set(timed) == {"Q0", "Q2"}
    assert all(entry["parse"] > 0 and entry["request_without_planner"] > 0 for entry in timed.values())
