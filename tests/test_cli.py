"""The `salescoord` command (R26): bootstrap a user, load the demo data once and the same every
time, and print the checked-in schema. About the command, not the database: SQLite only."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from salescoord.db.session import create_engine
from salescoord.db.tables import users

from salescoord.app import attach_engine, create_app
from salescoord.demo import DEMO_LOGINS, DEMO_PASSWORD
from salescoord.passwords import verify_password
from salescoord.settings import Settings
from tests.db_state import TABLES
from tests.smtp import free_port

ROOT = Path(__file__).resolve().parent.parent
LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password, client: WEB) { token user { email name role } }
}"""
DEMO_SIZES = {"users": 1 + 6 + 4 + 200, "territories": 3 + 9 + 18, "companies": 40}


def database(tmp_path: Path, name: str = "salescoord.db") -> str:
    return f"sqlite+aiosqlite:///{tmp_path / name}"


def command(tmp_path: Path, url: str, *args: str) -> subprocess.Popen:
    """`salescoord ARGS` against the database at `url`, started (not awaited)."""
    env = {**os.environ, "DATABASE_URL": url, "SALESCOORD_DATA_DIR": str(tmp_path)}
    env.pop("SALESCOORD_SECRET", None)
    return subprocess.Popen(
        [sys.executable, "-m", "salescoord.cli", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    stdout, stderr = process.communicate(timeout=60)
    return process.returncode, stdout, stderr


def run(tmp_path: Path, url: str, *args: str) -> tuple[int, str, str]:
    return finish(command(tmp_path, url, *args))


def rows(url: str) -> dict[str, list[tuple]]:
    """Every table's rows without timestamps and password hashes, in primary-key order."""
    engine = sa.create_engine(url.replace("+aiosqlite", ""))
    try:
        with engine.connect() as connection:
            found = {}
            for table in TABLES:
                columns = [
                    c for c in table.c if c.key != "password_hash" and "DateTime" not in type(c.type).__name__
                ]
                statement = sa.select(*columns).order_by(*table.primary_key.columns)
                found[table.name] = [tuple(row) for row in connection.execute(statement)]
            return found
    finally:
        engine.dispose()


async def test_R26_users_create_bootstraps_a_fresh_database_with_a_user_who_can_log_in(tmp_path):
    url = database(tmp_path)
    assert not (tmp_path / "salescoord.db").exists()
    code, out, err = run(
        tmp_path,
        url,
        "users",
        "create",
        "--email",
        "Root@Example.test",
        "--name",
        "Root",
        "--password",
        "p" * 12,
    )
    assert (code, err) == (0, ""), err
    assert "root@example.test" in out

    duplicate = command(  # runs while the app below signs in
        tmp_path,
        url,
        "users",
        "create",
        "--email",
        "ROOT@example.test",
        "--name",
        "Again",
        "--password",
        "p" * 12,
    )
    engine = create_engine(url)
    app = create_app(Settings(database_url=url, secret_keys=("cli-test-" + "k" * 40,)))
    attach_engine(app, engine)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
        ) as http:
            response = await http.post(
                "/graphql",
                json={"query": LOGIN, "variables": {"email": "root@example.test", "password": "p" * 12}},
            )
            body = response.json()
            assert body.get("errors") is None, body
            assert body["data"]["login"]["user"] == {
                "email": "root@example.test",
                "name": "Root",
                "role": "ADMIN",
            }
            token = body["data"]["login"]["token"]
            response = await http.post(
                "/graphql",
                json={"query": "{ viewer { email } }"},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.json()["data"] == {"viewer": {"email": "root@example.test"}}
    finally:
        await engine.dispose()
    code, _, err = finish(duplicate)
    assert code == 2 and "exists" in err and "Traceback" not in err, err
    assert len(rows(url)["users"]) == 1


@dataclass
class Demo:
    folder: Path
    if_empty: str  # loaded with `demo --if-empty` into an empty database
    if_empty_output: str
    scale_1: str  # loaded with `demo --scale 1`


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Demo:
    """Two fresh databases, loaded side by side."""
    folder = tmp_path_factory.mktemp("demo")
    urls = [database(folder, "if-empty.db"), database(folder, "scale-1.db")]
    processes = [
        command(folder, urls[0], "demo", "--if-empty"),
        command(folder, urls[1], "demo", "--scale", "1"),
    ]
    (code, out, err), (code_1, _, err_1) = [finish(p) for p in processes]
    assert (code, code_1) == (0, 0), err + err_1
    return Demo(folder, urls[0], out, urls[1])


def test_R26_demo_if_empty_loads_once(demo):
    assert demo.if_empty_output.strip() == "demo data loaded"
    first = rows(demo.if_empty)
    assert {name: len(first[name]) for name in DEMO_SIZES} == DEMO_SIZES
    assert first["lists"] and first["list_items"] and first["meetings"]

    code, out, err = run(demo.folder, demo.if_empty, "demo", "--if-empty")
    assert code == 0, err
    assert out.strip() == "database has users already; demo data not loaded"
    assert rows(demo.if_empty) == first


def test_R26_demo_data_are_the_same_on_every_machine(demo):
    first, second = rows(demo.if_empty), rows(demo.scale_1)
    assert {name: len(second[name]) for name in DEMO_SIZES} == DEMO_SIZES
    for table in ("users", "territories", "companies", "lists"):
        assert first[table] == second[table], table
    assert first == second
    # what the comparison leaves out still holds: every demo login has the demo password
    engine = sa.create_engine(demo.scale_1.replace("+aiosqlite", ""))
    try:
        with engine.connect() as connection:
            hashes = set(connection.execute(sa.select(users.c.password_hash)).scalars())
    finally:
        engine.dispose()
    assert hashes and all(verify_password(h, DEMO_PASSWORD) for h in hashes)


async def test_R26_serve_welcome_ends_with_graphiqls_address_and_demo_logins_that_sign_in(demo):
    """`make run` ends with `serve --welcome`: once the server answers, GraphiQL's address and
    one demo login per role, each of which signs in there with the demo password."""
    port = free_port()
    server = command(demo.folder, demo.if_empty, "serve", "--port", str(port), "--welcome")
    try:
        printed = []
        deadline = time.monotonic() + 60
        while not any(line.startswith("Ctrl-C") for line in printed) and time.monotonic() < deadline:
            line = server.stdout.readline()
            assert line, f"serve exited: {server.stderr.read() if server.poll() is not None else ''}"
            printed.append(line)
        welcome = "".join(printed)
        assert f"GraphiQL: http://127.0.0.1:{port}/graphql" in welcome
        printed_logins = re.findall(r"^  ([A-Z_]+) +(\S+@\S+)", welcome, re.M)
        assert printed_logins == [(role, email) for role, email, _ in DEMO_LOGINS]
        assert DEMO_PASSWORD in welcome
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            for role, email in printed_logins:
                variables = {"email": email, "password": DEMO_PASSWORD}
                answer = await http.post("/graphql", json={"query": LOGIN, "variables": variables})
                assert answer.json()["data"]["login"]["user"]["role"] == role, answer.json()
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_schema_prints_exactly_the_checked_in_schema(tmp_path):
    code, out, err = run(tmp_path, database(tmp_path), "schema")
    assert code == 0, err
    assert out == (ROOT / "schema.graphql").read_text()
    assert not (tmp_path / "salescoord.db").exists()  # printing the schema touches no database
