"""Every test runs on SQLite and on PostgreSQL: the `backend` fixture is parametrised.

PostgreSQL is the one at TEST_DATABASE_URL (default: the local server's `test`
database); each run creates and drops a database of its own beside it. Where it
cannot be reached the PostgreSQL half is skipped, except with CI=true, where that
is a failure: CI must prove both databases.
"""

from __future__ import annotations

import os
import time
import types
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import sqlalchemy as sa
from salescoord.db.migrate import upgrade_async
from salescoord.db.session import create_engine
from salescoord.permissions.enums import DEFAULT_PERMISSIONS
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from salescoord.app import attach_engine, create_app
from salescoord.settings import Settings
from tests.helpers import SECRET, Client

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
TABLES_IN_DELETE_ORDER = [
    "mutation_outcomes",
    "device_outcomes",
    "refresh_tokens",
    "devices",
    "activities",
    "audit_events",
    "emails",
    "notes",
    "meeting_lists",
    "meeting_attendees",
    "meetings",
    "list_items",
    "lists",
    "contents",
    "registrations",
    "account_manager_territories",
    "account_manager_coordinators",
    "users",
    "companies",
    "territories",
    "rate_counters",
    "change_log",  # last: the triggers of the deletes above write to it
]


async def _create_pg_database() -> str:
    url = make_url(PG_URL)
    name = f"salescoord_test_{uuid.uuid4().hex[:10]}"
    try:
        connection = await asyncpg.connect(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            password=url.password,
            database=url.database,
            timeout=5,
        )
    except (OSError, asyncpg.PostgresError) as error:
        message = f"PostgreSQL at {url.host}:{url.port} is unreachable: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: both databases must run)", pytrace=False)
        pytest.skip(message)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return url.set(database=name).render_as_string(hide_password=False)


async def _drop_pg_database(database_url: str) -> None:
    url = make_url(PG_URL)
    connection = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database,
    )
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{make_url(database_url).database}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """(name, url, engine) of a freshly migrated database, shared by the tests of one backend."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        url = await _create_pg_database()
    await upgrade_async(url)
    engine = create_engine(url)
    try:
        yield request.param, url, engine
    finally:
        await engine.dispose()
        if request.param == "postgresql":
            await _drop_pg_database(url)


@pytest.fixture
async def empty_database(backend, tmp_path) -> AsyncIterator[str]:
    """The URL of a new, empty database of the backend's kind, dropped after the test: for
    migrations run step by step."""
    if backend[0] == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    url = await _create_pg_database()
    try:
        yield url
    finally:
        await _drop_pg_database(url)


@pytest.fixture
async def engine(backend) -> AsyncIterator[AsyncEngine]:
    """The backend's engine, emptied before the test (roles back to the built-in four, with
    their default permissions)."""
    name, _, engine = backend
    async with engine.begin() as connection:
        if name == "postgresql":
            await connection.execute(
                sa.text(f"TRUNCATE {', '.join(TABLES_IN_DELETE_ORDER)} RESTART IDENTITY CASCADE")
            )
        else:
            for table in TABLES_IN_DELETE_ORDER:
                await connection.execute(sa.text(f"DELETE FROM {table}"))
        await connection.execute(sa.text("DELETE FROM roles WHERE NOT built_in"))  # custom roles (R34)
        for role, permissions in DEFAULT_PERMISSIONS.items():
            await connection.execute(
                sa.text("UPDATE roles SET permissions = :p WHERE name = :n").bindparams(
                    sa.bindparam("p", type_=sa.JSON)
                ),
                {"p": sorted(p.value for p in permissions), "n": role.value},
            )
    yield engine


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    os.environ.setdefault("SALESCOORD_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    # Tests sign up many times from one address, and count the statements of requests (the
    # per-user and anonymous budgets add writes at times of their own); the rate limits have
    # their tests.
    return Settings(
        database_url="unused",
        secret_keys=(SECRET,),
        registrations_per_ip=10_000,
        requests_per_user=0,
        anonymous_requests_per_ip=0,
    )


@pytest.fixture
async def client(engine: AsyncEngine, settings: Settings) -> AsyncIterator[Client]:
    """Real HTTP requests through the ASGI app, on the test's database."""
    app = create_app(settings)
    attach_engine(app, engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        yield Client(http, settings, engine)


@pytest.fixture
def statements(engine: AsyncEngine):
    """Counts the SQL statements sent to the database while the test runs."""
    counter = {"count": 0}

    def count(*_args: object) -> None:
        counter["count"] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def limiter_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rate limiters count in fixed windows aligned to the clock (60 s, 15 min, an hour).
    A test that spends a budget must not see its window end halfway through, as it did when
    a hundred requests crossed a minute's turn: the limiters' clock starts at the turn of an
    hour and runs at the real pace from there, so every window is fresh when the test starts."""
    started_real, started_at = time.time(), time.time() // 3600 * 3600
    clock = types.SimpleNamespace(time=lambda: started_at + (time.time() - started_real))
    monkeypatch.setattr("salescoord.request_budget.time", clock)
    monkeypatch.setattr("salescoord.rate_limits.time", clock)


@pytest.fixture
def make(engine: AsyncEngine):
    from tests.helpers import Factory

    return Factory(engine)


FUZZ_MODULES = ("tests.test_fuzz_scope", "tests.test_fuzz_mutations")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The fuzzed matrices run last, and their queries and mutations are drawn beside the
    tests before them."""
    fuzz = [item for item in items if item.module.__name__ in FUZZ_MODULES]
    if fuzz:
        from tests import fuzz_mutations, fuzz_queries

        items[:] = [item for item in items if item not in fuzz] + fuzz
        workers = int(os.environ.get("FUZZ_WORKERS", 0)) or (
            os.cpu_count() or 1 if os.environ.get("SALESCOORD_FUZZ") == "long" else 1
        )
        modules = {item.module.__name__ for item in fuzz}
        if "tests.test_fuzz_scope" in modules:
            fuzz_queries.start(fuzz_queries.profile_size(), workers)
        if "tests.test_fuzz_mutations" in modules:
            fuzz_mutations.start(fuzz_mutations.profile_size(), workers)


def pytest_terminal_summary(terminalreporter) -> None:
    """The fuzzed matrices' counts per viewer, also in a quiet run (`make test`)."""
    import sys

    module = sys.modules.get("tests.test_fuzz_scope")
    for line in getattr(module, "FUZZ_REPORT", []):
        terminalreporter.write_line(line)


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives (tests/smtp.py)."""
    from tests.smtp import SmtpServer

    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
