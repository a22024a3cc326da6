"""The request's database connection: what a request costs in round trips, and how it lives
through a database server that dropped every connection (R27: stateless processes in
front of one shared PostgreSQL)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from tests.helpers import PASSWORD, codes

VIEWER = "query { viewer { id name } }"
LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password, client: WEB) { token }
}"""
REGISTER = "mutation($input: RegisterInput!) { register(input: $input) { email status } }"
APPLICATION = {"name": "Ann Applicant", "companyName": "Applicant Ltd", "message": "We would like to order."}


async def drop_every_connection(url: str) -> int:
    """What a restart of the server does to the pool: every connection of the test's database
    ends (the server itself keeps running for the other tests)."""
    target = make_url(url)
    admin = await asyncpg.connect(
        host=target.host, port=target.port or 5432, user=target.username, database=target.database
    )
    try:
        return await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()


async def test_a_read_after_the_server_dropped_every_connection_answers(client, make, backend):
    """No ping at checkout: the pool's connections die with a restart of the server; the
    first read of the next request finds its connection dead and runs again on a new one."""
    name, url, _ = backend
    if name != "postgresql":
        pytest.skip("SQLite has no server to lose connections to")
    am = await make.am()
    token = client.token(am)
    for _ in range(3):  # connections in the pool
        assert codes(await client.post(VIEWER, token=token)) == []
    assert await drop_every_connection(url) >= 1
    body = await client.post(VIEWER, token=token)
    assert codes(body) == []
    assert body["data"]["viewer"]["name"]


async def test_R27_a_request_that_starts_with_a_write_after_the_server_dropped_every_connection_answers(
    client, make, backend
):
    """Signing in and signing up write (their rate counters) before they read anything: the
    pooled connection is found dead at the transaction's start, before any of the request's
    statements was sent, and the transaction runs on a new connection instead."""
    name, url, _ = backend
    if name != "postgresql":
        pytest.skip("SQLite has no server to lose connections to")
    email = "signs-in@example.test"
    am = await make.user("ACCOUNT_MANAGER", email=email)
    for attempt in range(3):
        for _ in range(3):  # connections in the pool
            assert codes(await client.post(VIEWER, token=client.token(am))) == []
        assert await drop_every_connection(url) >= 1
        await asyncio.sleep(0.2)  # the process is idle; the closed sockets are seen
        body = await client.post(LOGIN, {"email": email, "password": PASSWORD})
        assert codes(body) == [], (attempt, body)
        assert body["data"]["login"]["token"]
        assert await drop_every_connection(url) >= 1
        await asyncio.sleep(0.2)
        applicant = f"after-restart-{attempt}@example.test"
        body = await client.post(REGISTER, {"input": {**APPLICATION, "email": applicant}})
        assert codes(body) == [], (attempt, body)
        assert body["data"]["register"] == {"email": applicant, "status": "PENDING"}


async def test_a_read_only_request_sends_only_its_statements(client, make, engine, backend):
    """Reads outside a write run in autocommit at READ COMMITTED on PostgreSQL: no ping, no
    BEGIN, no ROLLBACK reach the server, only the statement `viewer { … }` needs (the
    viewer's own row). SQLite sends its BEGIN: its reads share one snapshot."""
    am = await make.am()
    token = client.token(am)
    await client.post(VIEWER, token=token)
    sent: list[str] = []
    logged: list[asyncpg.Connection] = []

    def record(_conn, _cursor, statement, *_args):
        sent.append(statement.split()[0].upper())

    def on_server(query):  # everything asyncpg sends, pings and transaction control included
        sent.append("server:" + query.query.split()[0].upper())

    def on_checkout(dbapi_connection, _record, _proxy):
        raw = getattr(dbapi_connection, "_connection", None)
        if isinstance(raw, asyncpg.Connection) and raw not in logged:
            raw.add_query_logger(on_server)
            logged.append(raw)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    event.listen(engine.sync_engine.pool, "checkout", on_checkout)
    try:
        assert codes(await client.post(VIEWER, token=token)) == []
        await asyncio.sleep(0.05)  # asyncpg calls its query loggers soon after, not at once
        if backend[0] == "postgresql":
            assert logged, "the request took a connection from the pool"
            assert sent == ["SELECT"], sent  # statements; the server saw no simple query
            await logged[0].execute("SELECT 1")  # the control: a ping or BEGIN would show so
            await asyncio.sleep(0.05)
            assert sent == ["SELECT", "server:SELECT"], sent
        else:
            assert sent == ["BEGIN", "SELECT"], sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
        event.remove(engine.sync_engine.pool, "checkout", on_checkout)
        for raw in logged:
            raw.remove_query_logger(on_server)


async def test_a_read_cancelled_in_flight_leaves_the_request_able_to_read(engine, backend):
    """graphql-core cancels the siblings of a field that fails; the statement such a field
    started runs to its end, so the next statement of the same request still works."""
    import sqlalchemy as sa
    from salescoord.db.session import RequestDatabase

    slow = sa.text(
        "SELECT pg_sleep(0.3)"
        if backend[0] == "postgresql"
        else "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000)"
        " SELECT count(*) FROM c"
    )
    db = RequestDatabase(engine)
    try:
        reading = asyncio.ensure_future(db.fetch(slow))
        await asyncio.sleep(0.05)
        reading.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reading
        assert (await db.fetch(sa.text("SELECT 7")))[0][0] == 7
    finally:
        await db.close()
