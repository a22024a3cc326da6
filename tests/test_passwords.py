"""Password checks off the event loop: an argon2 verification takes about 130 ms of CPU and
64 MiB; on the loop it stalled every other request of the process. Sign-ins verify in worker
threads, a bounded number at a time (`PASSWORD_HASH_CONCURRENCY`), and an unknown email
still costs one verification (R4: the answer does not tell whether an account exists)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from argon2 import PasswordHasher
from salescoord.db.tables import users

from salescoord.passwords import verify_password
from tests.apps import served
from tests.helpers import PASSWORD, codes

LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password, client: WEB) { token }
}"""
TICK = 0.002


@asynccontextmanager
async def loop_stalls() -> AsyncIterator[list[float]]:
    """The gaps, beyond its own sleep, between the ticks of a task that wakes every 2 ms:
    how long the event loop ran something else without letting anyone in."""
    stalls: list[float] = []

    async def tick() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(TICK)
            now = time.perf_counter()
            stalls.append(now - last - TICK)
            last = now

    ticking = asyncio.create_task(tick())
    try:
        yield stalls
    finally:
        ticking.cancel()


def costly_hash() -> str:
    """A stored hash four times as costly as ours (argon2 verifies with the parameters it finds
    in the hash): a verification on the loop then stalls it far longer than a loaded machine's
    noise does, and the test tells the two apart with a wide margin."""
    return PasswordHasher(time_cost=12, memory_cost=65536, parallelism=4).hash(PASSWORD)


def one_verification_seconds(stored: str) -> float:
    started = time.perf_counter()
    verify_password(stored, "not the password")
    return time.perf_counter() - started


async def test_R4_sign_ins_leave_the_event_loop_free_while_they_verify(engine, settings, make):
    emails = [f"stall{n}@example.test" for n in range(3)]
    for email in emails:
        await make.user("ACCOUNT_MANAGER", email=email)
    stored = costly_hash()
    await make.execute(users.update().where(users.c.email.in_(emails)).values(password_hash=stored))
    check = one_verification_seconds(stored)
    async with served(engine, settings, password_hash_concurrency=1) as (_, client):
        await client.post(LOGIN, {"email": "warm@example.test", "password": "x" * 10})
        async with loop_stalls() as stalls:
            bodies = await asyncio.gather(
                *(client.post(LOGIN, {"email": email, "password": PASSWORD}) for email in emails)
            )
    assert [codes(body) for body in bodies] == [[]] * 3
    # On the loop, each sign-in stalled it for a whole verification; off it, the loop waits
    # only for the requests' own short steps: under a fifteenth of this verification, on a
    # machine with three times as many busy threads as cores.
    assert max(stalls) < check / 4, (max(stalls), check)


async def test_R4_an_unknown_email_costs_one_verification_like_a_known_one(engine, settings, make):
    """Off the loop the dummy check still runs: timing tells no account from a wrong password."""
    await make.user("ACCOUNT_MANAGER", email="known@example.test")
    await make.user("ACCOUNT_MANAGER", email="gone@example.test", active=False)
    attempts = [
        ("nobody@example.test", PASSWORD),
        ("known@example.test", "not the password"),
        ("gone@example.test", PASSWORD),
    ]
    async with served(engine, settings) as (app, client):
        work = app.state.graphql.passwords
        for email, password in attempts:
            before = work.verifications
            body = await client.post(LOGIN, {"email": email, "password": password})
            assert codes(body) == ["UNAUTHENTICATED"], email
            assert work.verifications == before + 1, email
