"""Abuse controls (issue: rate limiting): sign-ins per IP, failed sign-ins per account and
requests per signed-in user are counted in the database, so separate server processes
count together; over a limit the answer is RATE_LIMITED with a retry-after hint, and the
next window lets the caller in again. No test waits for a window: it moves the window."""

from __future__ import annotations

import asyncio
import time

import pytest
import sqlalchemy as sa
from salescoord.db.session import create_engine
from salescoord.permissions.enums import Channel
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.apps import client_with, served
from tests.helpers import PASSWORD, codes

pytestmark = pytest.mark.usefixtures("limiter_clock")

LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password, client: WEB) { token }
}"""
VIEWER = "query { viewer { id } }"


async def email_of(engine: AsyncEngine, user_id: int) -> str:
    async with engine.connect() as connection:
        return (
            await connection.execute(sa.text(f"SELECT email FROM users WHERE id = {user_id}"))
        ).scalar_one()


async def next_window(engine: AsyncEngine) -> None:
    """As if every counter's window had ended."""
    async with engine.begin() as connection:
        await connection.execute(
            sa.text(
                "UPDATE rate_counters"
                " SET window_start = window_start - 100000, expires_at = expires_at - 100000"
            )
        )


async def login(client, email: str, password: str = PASSWORD) -> dict:
    return await client.post(LOGIN, {"email": email, "password": password})


def assert_rate_limited(body: dict, bucket: str) -> None:
    assert codes(body) == ["RATE_LIMITED"], body
    extensions = body["errors"][0]["extensions"]
    assert extensions["bucket"] == bucket
    assert extensions["retryAfter"] >= 1


async def test_login_attempts_per_ip_are_limited_then_recover(engine, settings, make):
    user = await make.am()
    email = await email_of(engine, user)
    async with client_with(engine, settings, login_attempts_per_ip=3) as client:
        for _ in range(3):
            assert codes(await login(client, email, "wrong password!")) == ["UNAUTHENTICATED"]
        response = await client.http.post(
            "/graphql", json={"query": LOGIN, "variables": {"email": email, "password": PASSWORD}}
        )
        assert_rate_limited(response.json(), "login")
        assert int(response.headers["retry-after"]) >= 1
        await next_window(engine)
        assert codes(await login(client, email)) == []


async def test_failed_logins_slow_down_per_account_not_for_others(engine, settings, make):
    victim, other = await make.am(), await make.am()
    victim_email, other_email = await email_of(engine, victim), await email_of(engine, other)
    async with client_with(engine, settings, failed_logins_per_account=3) as client:
        for _ in range(3):
            assert codes(await login(client, victim_email, "wrong password!")) == ["UNAUTHENTICATED"]
        # the right password no longer helps within the window: guessing stops here
        assert_rate_limited(await login(client, victim_email), "failed-login")
        assert_rate_limited(await login(client, victim_email.upper()), "failed-login")
        assert codes(await login(client, other_email)) == []
        await next_window(engine)
        assert codes(await login(client, victim_email)) == []


async def failed_login_hits(engine: AsyncEngine, email: str) -> int | None:
    async with engine.connect() as connection:
        statement = sa.text("SELECT hits FROM rate_counters WHERE bucket = 'failed-login' AND key = :key")
        return (await connection.execute(statement, {"key": email})).scalar()


async def test_R4_concurrent_guesses_past_the_account_lock_are_refused_without_a_password_check(
    engine, settings, make
):
    """Each attempt is counted as a failure before its password is checked, in one atomic
    upsert: of 30 guesses at once, 5 are checked and 25 refused unchecked, and then the
    right password is refused too. (Read, verify, then count let all 30 be checked.)"""
    email = await email_of(engine, await make.am())
    # the per-IP limit off: one address sends every guess here, and this is the account's lock
    limits = {"failed_logins_per_account": 5, "login_attempts_per_ip": 0}
    async with served(engine, settings, **limits) as (app, client):
        work = app.state.graphql.passwords
        bodies = await asyncio.gather(*(login(client, email, f"guess number {n}") for n in range(30)))
        assert sorted(code for body in bodies for code in codes(body)) == (
            ["RATE_LIMITED"] * 25 + ["UNAUTHENTICATED"] * 5
        )
        assert work.verifications == 5
        assert_rate_limited(await login(client, email), "failed-login")
        assert work.verifications == 5


async def test_R4_the_right_password_clears_the_failures_before_it(engine, settings, make):
    email = await email_of(engine, await make.am())
    async with served(engine, settings, failed_logins_per_account=3) as (app, client):
        for _ in range(2):
            assert codes(await login(client, email, "wrong password!")) == ["UNAUTHENTICATED"]
        assert await failed_login_hits(engine, email) == 2
        assert codes(await login(client, email)) == []
        assert await failed_login_hits(engine, email) is None
        for _ in range(3):  # a fresh allowance: the two failures before are forgiven
            assert codes(await login(client, email, "wrong password!")) == ["UNAUTHENTICATED"]
        assert_rate_limited(await login(client, email), "failed-login")
        assert app.state.graphql.passwords.verifications == 6


async def test_requests_per_user_are_limited_per_user_then_recover(engine, settings, make):
    am, other = await make.am(), await make.am()
    async with client_with(engine, settings, requests_per_user=3) as client:
        for _ in range(3):
            assert codes(await client.post(VIEWER, as_user=am)) == []
        assert_rate_limited(await client.post(VIEWER, as_user=am), "user")
        assert codes(await client.post(VIEWER, as_user=other)) == []
        await next_window(engine)
        assert codes(await client.post(VIEWER, as_user=am, channel=Channel.APP)) == []


async def test_two_server_processes_share_the_counters_also_under_concurrency(
    engine, settings, make, backend
):
    """Two apps with their own engines (as two processes have): 12 concurrent calls against a
    limit of 6 let exactly 6 through, whichever process took them."""
    _, url, _ = backend
    am = await make.am()
    second_engine = create_engine(url)
    try:
        async with (
            client_with(engine, settings, requests_per_user=6) as one,
            client_with(second_engine, settings, requests_per_user=6) as two,
        ):
            bodies = await asyncio.gather(*(client.post(VIEWER, as_user=am) for client in (one, two) * 6))
    finally:
        await second_engine.dispose()
    outcomes = sorted(tuple(codes(body)) for body in bodies)
    assert outcomes == [()] * 6 + [("RATE_LIMITED",)] * 6


async def shared_hits(engine: AsyncEngine, user_id: int) -> int:
    async with engine.connect() as connection:
        statement = sa.text("SELECT hits FROM rate_counters WHERE bucket = 'user' AND key = :key")
        return (await connection.execute(statement, {"key": str(user_id)})).scalar() or 0


async def test_a_busy_users_requests_reach_the_shared_counter_in_batches(engine, settings, make):
    """At 600 a minute a process adds a user's hits in batches of 12 (or once a second): 30
    quick requests cost at most a few writes, and at most one batch is not yet counted."""
    am = await make.am()
    writes = []

    def count_writes(_conn, _cursor, statement, *_args):
        if statement.startswith("INSERT INTO rate_counters"):
            writes.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count_writes)
    try:
        async with client_with(engine, settings, requests_per_user=600) as client:
            token = client.token(am)
            started = time.monotonic()
            for _ in range(30):
                assert codes(await client.post(VIEWER, token=token)) == []
            seconds = time.monotonic() - started
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count_writes)
    hits = await shared_hits(engine, am)
    assert 30 - 12 < hits <= 30
    # the first request, two full batches, and one a second: far from a write per request
    assert 1 <= len(writes) <= 3 + int(seconds), (len(writes), seconds)


async def test_a_process_that_never_saw_the_user_checks_the_shared_counter_first(
    engine, settings, make, backend
):
    """The budget is shared: a user who spent it through one process is refused by another
    at their first request there, and the window's end lets them in again."""
    _, url, _ = backend
    am = await make.am()
    second_engine = create_engine(url)
    try:
        async with (
            client_with(engine, settings, requests_per_user=100) as one,
            client_with(second_engine, settings, requests_per_user=100) as two,
        ):
            token = one.token(am)
            for _ in range(100):
                assert codes(await one.post(VIEWER, token=token)) == []
            assert_rate_limited(await one.post(VIEWER, token=token), "user")
            assert_rate_limited(await two.post(VIEWER, token=token), "user")
            await next_window(engine)
            assert codes(await two.post(VIEWER, token=token)) == []
            assert codes(await one.post(VIEWER, token=token)) == []
    finally:
        await second_engine.dispose()


REGISTER = """mutation($email: String!) {
  register(input: {name: "Ann", email: $email, companyName: "Ann's", message: "Hello"}) { status }
}"""
NOT_A_FIELD = "query { noSuchField }"


async def test_R4_anonymous_requests_are_counted_per_ip_before_validation_then_recover(
    engine, settings, make
):
    """Anonymous callers may only sign in and sign up (R4); anything else they send is counted
    per IP before it is validated, so its CPU is bounded per address. Sign-ins, sign-ups and
    signed-in callers are not counted here; a forged token is anonymous."""
    am = await make.am()
    email = await email_of(engine, am)
    async with client_with(engine, settings, anonymous_requests_per_ip=3) as client:
        for _ in range(2):
            assert codes(await client.post(VIEWER)) == ["UNAUTHENTICATED"]
        assert codes(await client.post(VIEWER, token="forged.token.value")) == ["UNAUTHENTICATED"]
        refused = await client.http.post("/graphql", json={"query": NOT_A_FIELD})
        assert_rate_limited(refused.json(), "anonymous")  # not BAD_USER_INPUT: never validated
        assert int(refused.headers["retry-after"]) >= 1
        assert codes(await login(client, email)) == []
        assert codes(await client.post(REGISTER, {"email": "ann@example.test"})) == []
        assert codes(await client.post(VIEWER, as_user=am)) == []
        await next_window(engine)
        assert codes(await client.post(NOT_A_FIELD)) == ["BAD_USER_INPUT"]
