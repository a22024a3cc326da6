"""R29, R32: a new password ends the web sign-ins made before it.

A web token is signed, lives 12 hours, and nothing of it is stored; whoever held one before
a reset (a stolen laptop, a shared browser) would keep the account until it expired. A reset,
or an admin's new password for the user, writes `users.sessions_valid_from`; a web token
issued before it is refused on every request and at the next operation of an open socket
(4401). The sign-in the reset itself returns, and any one after it, stand; other users' do
not move, and a change that is not a password ends nothing. The app's devices are revoked
too (R30; a reset's: tests/test_devices.py).
"""

from __future__ import annotations

import asyncio
import time

import httpx
import sqlalchemy as sa
from alembic import command
from salescoord.db.migrate import alembic_config
from salescoord.db.models.base import utcnow
from salescoord.db.session import create_engine
from salescoord.permissions.enums import Channel

from salescoord.outbox.password_links import RESET_PASSWORD, issue_link_token
from salescoord.tokens import sign
from tests.helpers import PASSWORD, codes, gid
from tests.live_server import serving, socket_to
from tests.test_sockets import app_for

VIEWER = "query { viewer { name } }"
LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password, client: WEB) { token } }"""
RESET = """mutation($token: String!) {
  resetPassword(token: $token, password: "a brand new passphrase", client: WEB) { token } }"""
SET_BY_ADMIN = """mutation($id: ID!, $password: String) {
  updateUser(input: {id: $id, password: $password}) { id } }"""
RENAME = """mutation($id: ID!) { updateUser(input: {id: $id, name: "Ann B."}) { name } }"""


def signed_a_minute_ago(settings, user_id: int) -> str:
    """A web token as a sign-in a minute ago issued it (tokens count whole seconds, so one
    issued in the very second of a new password still stands)."""
    now = int(time.time())
    payload = {"sub": str(user_id), "ch": Channel.WEB.value, "iat": now - 60, "exp": now + 3600}
    return sign(settings, payload)


async def password_hash_of(engine, user_id: int) -> str | None:
    async with engine.connect() as connection:
        statement = sa.text("SELECT password_hash FROM users WHERE id = :id")
        return (await connection.execute(statement, {"id": user_id})).scalar()


async def stands(http: httpx.AsyncClient, token: str) -> bool:
    response = await http.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}
    )
    body = response.json()
    if codes(body):
        assert codes(body) == ["UNAUTHENTICATED"], body
        return False
    return True


async def test_R29_R32_a_password_reset_ends_every_web_sign_in_made_before_it(engine, settings, make):
    ann = await make.user("ACCOUNT_MANAGER", "Ann", email="ann@example.test")
    bo = await make.user("ACCOUNT_MANAGER", "Bo", email="bo@example.test")
    laptop, browser, bos = (signed_a_minute_ago(settings, user) for user in (ann, ann, bo))
    async with (
        serving(app_for(engine, settings)) as address,
        httpx.AsyncClient(base_url=f"http://{address}", timeout=30) as http,
        socket_to(address) as socket,
    ):
        await socket.signed_in(laptop)
        assert (await socket.run("1", VIEWER))["payload"]["data"] == {"viewer": {"name": "Ann"}}
        assert await stands(http, laptop) and await stands(http, browser)

        link = issue_link_token(settings, ann, await password_hash_of(engine, ann), RESET_PASSWORD)
        answer = (await http.post("/graphql", json={"query": RESET, "variables": {"token": link}})).json()
        assert not codes(answer), answer
        after_reset = answer["data"]["resetPassword"]["token"]

        assert not await stands(http, laptop) and not await stands(http, browser)
        assert await socket.run("2", VIEWER) == {"type": "close", "code": 4401}
        assert await stands(http, after_reset)
        assert await stands(http, bos)
        old_password = {"email": "ann@example.test", "password": PASSWORD}
        assert codes(
            (await http.post("/graphql", json={"query": LOGIN, "variables": old_password})).json()
        ) == ["UNAUTHENTICATED"]
        new_password = {"email": "ann@example.test", "password": "a brand new passphrase"}
        signed_in = (await http.post("/graphql", json={"query": LOGIN, "variables": new_password})).json()
        assert await stands(http, signed_in["data"]["login"]["token"])


async def test_R29_R30_an_admins_new_password_for_a_user_ends_their_sign_ins_and_nothing_else_does(
    engine, settings, make, client
):
    """Web sign-ins made before it are refused; the user's app devices are revoked as by a
    reset (PASSWORD_RESET). A rename ends nothing, and the admin's own sign-in stands."""
    ann = await make.user("ACCOUNT_MANAGER", "Ann", email="ann@example.test")
    admin = await make.admin()
    before = signed_a_minute_ago(settings, ann)
    admins_own = signed_a_minute_ago(settings, admin)
    ipad = await client.app_token(ann)
    http = client.http
    assert (await client.data(RENAME, {"id": gid("User", ann)}, token=admins_own))["updateUser"]
    assert await stands(http, before) and await stands(http, ipad), "a rename ends nothing"

    new_password = {"id": gid("User", ann), "password": "set by the admin today"}
    assert (await client.data(SET_BY_ADMIN, new_password, token=admins_own))["updateUser"]
    assert not await stands(http, before) and not await stands(http, ipad)
    async with engine.connect() as connection:
        statement = sa.text("SELECT revoked_reason FROM devices WHERE user_id = :id")
        assert (await connection.execute(statement, {"id": ann})).scalars().all() == ["PASSWORD_RESET"]
    assert await stands(http, admins_own)
    assert await stands(http, client.token(ann))


async def test_R27_revision_0014_up_down_and_up_keeps_every_user(empty_database):
    config = alembic_config(empty_database)
    await asyncio.to_thread(command.upgrade, config, "0014")
    engine = create_engine(empty_database)

    async def columns_and_users() -> tuple[bool, list[tuple]]:
        async with engine.connect() as connection:
            names = await connection.run_sync(
                lambda sync: [c["name"] for c in sa.inspect(sync).get_columns("users")]
            )
            rows = (await connection.execute(sa.text("SELECT id, email FROM users ORDER BY id"))).all()
        return "sessions_valid_from" in names, [tuple(row) for row in rows]

    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "INSERT INTO users (id, email, name, role, active, created_at, updated_at,"
                    " sessions_valid_from) VALUES (1, 'a@example.com', 'A', 'ADMIN', TRUE, :now, :now, :now)"
                ),
                {"now": utcnow()},
            )
        assert await columns_and_users() == (True, [(1, "a@example.com")])
        await engine.dispose()
        await asyncio.to_thread(command.downgrade, config, "0013")
        assert await columns_and_users() == (False, [(1, "a@example.com")])
        await engine.dispose()
        await asyncio.to_thread(command.upgrade, config, "head")
        assert await columns_and_users() == (True, [(1, "a@example.com")])
    finally:
        await engine.dispose()
