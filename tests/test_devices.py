"""R30: signing in on the app registers a device; access tokens are short and refresh tokens
rotate (a reused one revokes the device, a lost refresh answer may be retried); users and
admins list and revoke devices; a revoked device's sockets close at once, across processes."""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
import time

import pytest
import sqlalchemy as sa
from salescoord.db.session import create_engine
from salescoord.db.tables import devices, refresh_tokens

from salescoord.app import attach_engine, create_app
from tests.helpers import PASSWORD, codes, gid
from tests.live_server import serving, socket_to

LOGIN = """mutation($email: String!, $device: DeviceInput) {
  login(email: $email, password: "PASSWORD", client: APP, device: $device) {
    token refreshToken expiresAt device { id name appVersion revokedAt } } }""".replace("PASSWORD", PASSWORD)
WEB_LOGIN = """mutation($email: String!) {
  login(email: $email, password: "PASSWORD", client: WEB) {
    token refreshToken device { id } } }""".replace("PASSWORD", PASSWORD)
REFRESH = (
    """mutation($t: String!) { refreshSession(refreshToken: $t) { token refreshToken device { id } } }"""
)
VIEWER = "query { viewer { id devices(first: 10) { totalCount nodes { id name revokedAt revokedReason } } } }"
SIGN_OUT = "mutation { signOut { id revokedReason } }"
REVOKE = "mutation($id: ID!) { revokeDevice(id: $id) { id revokedAt revokedReason } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on Device { name } } }"


async def sign_in(client, email: str, name: str = "Ann's iPad") -> dict:
    data = await client.data(LOGIN, {"email": email, "device": {"name": name, "appVersion": "2.1"}})
    return data["login"]


async def works(client, token: str) -> bool:
    body = await client.post(VIEWER, token=token)
    if codes(body):
        assert codes(body) == ["UNAUTHENTICATED"], body
        return False
    return True


@pytest.fixture
async def ann(make):
    return await make.user("ACCOUNT_MANAGER", "Ann", email="ann@example.test")


async def test_R30_signing_in_on_the_app_registers_a_device_with_a_short_token_and_a_refresh_token(
    client, settings, ann
):
    before = time.time()
    login = await sign_in(client, "ann@example.test")
    assert login["device"]["name"] == "Ann's iPad" and login["device"]["appVersion"] == "2.1"
    assert login["refreshToken"].startswith("rt_")
    from datetime import datetime

    lifetime = datetime.fromisoformat(login["expiresAt"]).timestamp() - before
    assert settings.app_access_token_seconds - 5 <= lifetime <= settings.app_access_token_seconds + 5
    data = await client.data(VIEWER, token=login["token"])
    assert data["viewer"]["devices"]["nodes"] == [
        {"id": login["device"]["id"], "name": "Ann's iPad", "revokedAt": None, "revokedReason": None}
    ]
    web = (await client.data(WEB_LOGIN, {"email": "ann@example.test"}))["login"]
    assert web["refreshToken"] is None and web["device"] is None  # the web has no device


async def test_R30_only_hashes_of_refresh_tokens_are_stored(client, engine, ann):
    login = await sign_in(client, "ann@example.test")
    async with engine.connect() as connection:
        stored = (await connection.execute(sa.select(refresh_tokens))).all()
    assert len(stored) == 1
    assert login["refreshToken"] not in {str(value) for row in stored for value in row}


async def test_R30_a_refresh_rotates_the_pair_and_retires_the_access_token_it_replaces(client, ann):
    login = await sign_in(client, "ann@example.test")
    refreshed = (await client.data(REFRESH, {"t": login["refreshToken"]}))["refreshSession"]
    assert refreshed["refreshToken"] != login["refreshToken"]
    assert refreshed["device"]["id"] == login["device"]["id"]
    assert await works(client, refreshed["token"])
    assert not await works(client, login["token"])
    again = (await client.data(REFRESH, {"t": refreshed["refreshToken"]}))["refreshSession"]
    assert await works(client, again["token"])


async def test_R30_a_reused_refresh_token_revokes_the_whole_device(client, ann):
    """The successor pair was used (a request with its access token): presenting the older
    refresh token is reuse, and the device is revoked (OAuth 2.0 Security BCP)."""
    login = await sign_in(client, "ann@example.test")
    refreshed = (await client.data(REFRESH, {"t": login["refreshToken"]}))["refreshSession"]
    assert await works(client, refreshed["token"])  # the successor is used
    assert codes(await client.post(REFRESH, {"t": login["refreshToken"]})) == ["UNAUTHENTICATED"]
    assert not await works(client, refreshed["token"])
    assert codes(await client.post(REFRESH, {"t": refreshed["refreshToken"]})) == ["UNAUTHENTICATED"]
    other = await sign_in(client, "ann@example.test", "Other iPad")
    nodes = (await client.data(VIEWER, token=other["token"]))["viewer"]["devices"]["nodes"]
    assert [(n["name"], n["revokedReason"]) for n in nodes] == [
        ("Ann's iPad", "REFRESH_TOKEN_REUSED"),
        ("Other iPad", None),
    ]


async def test_R30_a_reused_refresh_token_revokes_the_device_also_when_the_successor_only_refreshed(
    client, ann
):
    login = await sign_in(client, "ann@example.test")
    second = (await client.data(REFRESH, {"t": login["refreshToken"]}))["refreshSession"]
    third = (await client.data(REFRESH, {"t": second["refreshToken"]}))["refreshSession"]  # uses pair 2
    assert codes(await client.post(REFRESH, {"t": login["refreshToken"]})) == ["UNAUTHENTICATED"]
    assert not await works(client, third["token"])


async def test_R30_a_lost_refresh_answer_may_be_retried_while_its_successor_is_unused(client, ann):
    """The iPad's network loses the refreshSession answer and the app sends the same refresh
    token again: the unused successor is retired and a fresh pair issued; the device stands."""
    login = await sign_in(client, "ann@example.test")
    lost = (await client.data(REFRESH, {"t": login["refreshToken"]}))["refreshSession"]
    retried = (await client.data(REFRESH, {"t": login["refreshToken"]}))["refreshSession"]
    again = (await client.data(REFRESH, {"t": login["refreshToken"]}))["refreshSession"]  # lost twice
    assert await works(client, again["token"])
    assert not await works(client, lost["token"]) and not await works(client, retried["token"])
    # once the fresh pair is used, the first refresh token is reuse
    assert codes(await client.post(REFRESH, {"t": login["refreshToken"]})) == ["UNAUTHENTICATED"]
    assert not await works(client, again["token"])


@pytest.mark.parametrize("token", ["", "rt_unknown", "x" * 201, "rt_\u00e9"])
async def test_R30_an_unknown_refresh_token_is_unauthenticated(client, token):
    assert codes(await client.post(REFRESH, {"t": token})) == ["UNAUTHENTICATED"]


async def test_R30_sign_out_revokes_the_device(client, ann):
    login = await sign_in(client, "ann@example.test")
    data = await client.data(SIGN_OUT, token=login["token"])
    assert data["signOut"] == {"id": login["device"]["id"], "revokedReason": "SIGNED_OUT"}
    assert not await works(client, login["token"])
    assert codes(await client.post(REFRESH, {"t": login["refreshToken"]})) == ["UNAUTHENTICATED"]
    web = (await client.data(WEB_LOGIN, {"email": "ann@example.test"}))["login"]
    assert codes(await client.post(SIGN_OUT, token=web["token"])) == ["FORBIDDEN"]  # the app's only


async def test_R30_who_sees_and_revokes_a_device(client, make, ann):
    """Your own devices; an admin everyone's; anyone else's reads as missing, on every path."""
    login = await sign_in(client, "ann@example.test")
    device = login["device"]["id"]
    other = await make.user("ACCOUNT_MANAGER", email="bo@example.test")
    sc = await make.sc(ams=[ann])
    admin = await make.admin()
    for stranger in (other, sc):
        assert codes(await client.post(REVOKE, {"id": device}, as_user=stranger)) == ["NOT_FOUND"]
        assert (await client.data(NODE, {"id": device}, as_user=stranger))["node"] is None
    seen_by_sc = await client.data(
        "query($id: ID!) { node(id: $id) { ... on User { devices(first: 5) { totalCount } } } }",
        {"id": gid("User", ann)},
        as_user=sc,
    )
    assert seen_by_sc["node"]["devices"]["totalCount"] == 0
    assert await works(client, login["token"])
    assert (await client.data(NODE, {"id": device}, as_user=admin))["node"]["name"] == "Ann's iPad"
    revoked = (await client.data(REVOKE, {"id": device}, as_user=admin))["revokeDevice"]
    assert revoked["revokedReason"] == "REVOKED" and revoked["revokedAt"] is not None
    assert not await works(client, login["token"])
    mine = await sign_in(client, "ann@example.test", "New iPad")
    assert (await client.data(REVOKE, {"id": mine["device"]["id"]}, token=mine["token"]))["revokeDevice"]
    assert not await works(client, mine["token"])


@pytest.mark.parametrize(
    "device",
    [{"name": ""}, {"name": "x" * 101}, {"name": "a\x00b"}, {"name": "ok", "appVersion": "v" * 41}],
)
async def test_R30_R23_a_bad_device_is_refused_and_registers_nothing(client, engine, ann, device):
    body = await client.post(LOGIN, {"email": "ann@example.test", "device": device})
    assert codes(body) == ["BAD_USER_INPUT"]
    async with engine.connect() as connection:
        assert (await connection.execute(sa.select(sa.func.count()).select_from(devices))).scalar() == 0


AGAIN = """mutation($email: String!, $id: ID) {
  login(email: $email, password: "PASSWORD", client: APP, device: {name: "Renamed"}, deviceId: $id) {
    token refreshToken device { id name } } }""".replace("PASSWORD", PASSWORD)


async def test_R30_signing_in_again_on_a_device_keeps_it_and_ends_its_earlier_tokens(client, make, ann):
    first = await sign_in(client, "ann@example.test")
    again = (await client.data(AGAIN, {"email": "ann@example.test", "id": first["device"]["id"]}))["login"]
    assert again["device"] == {"id": first["device"]["id"], "name": "Renamed"}
    assert not await works(client, first["token"]) and await works(client, again["token"])
    assert codes(await client.post(REFRESH, {"t": first["refreshToken"]})) == ["UNAUTHENTICATED"]
    # somebody else's device, or a revoked one, is no device of yours
    await make.user("ACCOUNT_MANAGER", email="bo@example.test")
    body = await client.post(AGAIN, {"email": "bo@example.test", "id": first["device"]["id"]})
    assert codes(body) == ["BAD_USER_INPUT"] and body["errors"][0]["extensions"]["field"] == "deviceId"
    await client.data(SIGN_OUT, token=again["token"])
    body = await client.post(AGAIN, {"email": "ann@example.test", "id": first["device"]["id"]})
    assert codes(body) == ["BAD_USER_INPUT"]


# -- sockets -----------------------------------------------------------------------------------
def app_for(engine, settings):
    # a slow safety poll: only the revocation itself can close the socket within a second
    app = create_app(dataclasses.replace(settings, live_safety_poll_seconds=30))
    attach_engine(app, engine)
    return app


async def _closing_latency(http_client, revoking_app_address, socket_address, email, n) -> list[float]:
    import httpx

    seconds = []
    async with httpx.AsyncClient(base_url=f"http://{revoking_app_address}", timeout=30) as http:
        for i in range(n):
            login = (
                await http.post(
                    "/graphql",
                    json={"query": LOGIN, "variables": {"email": email, "device": {"name": f"d{i}"}}},
                )
            ).json()["data"]["login"]
            async with socket_to(socket_address) as socket:
                await socket.signed_in(login["token"])
                await asyncio.sleep(0.05)  # the socket is following its device
                started = time.perf_counter()
                body = (
                    await http.post(
                        "/graphql",
                        json={"query": SIGN_OUT},
                        headers={"Authorization": f"Bearer {login['token']}"},
                    )
                ).json()
                assert body["data"]["signOut"]["revokedReason"] == "SIGNED_OUT", body
                assert await socket.receive(timeout=5) == {"type": "close", "code": 4401}
                seconds.append(time.perf_counter() - started)
    return seconds


async def test_R30_a_revoked_devices_socket_closes_at_once(engine, settings, ann):
    async with serving(app_for(engine, settings)) as address:
        seconds = await _closing_latency(None, address, address, "ann@example.test", 3)
    assert max(seconds) < 1.0, seconds
    print(f"same process: median {statistics.median(seconds) * 1000:.1f} ms over {len(seconds)}")


async def test_R30_R27_a_device_revoked_through_another_process_closes_its_socket_by_notify(
    backend, engine, settings, ann
):
    """Two apps over one PostgreSQL database, each with its own pool and LISTEN connection, as
    two server processes: the device is signed out through one, its socket is on the other."""
    if backend[0] != "postgresql":
        pytest.skip("SQLite serves from one process")
    other_pool = create_engine(backend[1], pool_size=2)
    try:
        async with (
            serving(app_for(engine, settings)) as here,
            serving(app_for(other_pool, settings)) as there,
        ):
            seconds = await _closing_latency(None, here, there, "ann@example.test", 5)
    finally:
        await other_pool.dispose()
    assert max(seconds) < 1.0, seconds
    print(f"across processes: median {statistics.median(seconds) * 1000:.1f} ms over {len(seconds)}")


async def test_R30_an_app_token_without_a_device_is_refused(client, settings, ann):
    """App tokens of a release before devices (30 days, no device) cannot be revoked: the app
    signs in again once."""
    from salescoord.tokens import sign

    now = int(time.time())
    token = sign(settings, {"sub": str(ann), "ch": "APP", "iat": now, "exp": now + 600})
    assert not await works(client, token)
    assert await works(client, client.token(ann))  # the control: a web token of the same user


async def test_R30_R32_a_password_reset_signs_every_device_of_the_account_out(client, engine, ann, make):
    """Whoever knew the old password may hold a device: a reset revokes them all (their tokens
    and refresh tokens stop working, audited as PASSWORD_RESET); another user's device and a
    first password chosen with a set-password link revoke nothing."""
    from salescoord.outbox.password_links import RESET_PASSWORD, SET_PASSWORD, issue_link_token

    bo = await make.user("ACCOUNT_MANAGER", "Bo", email="bo@example.test")
    ipad, phone = (
        await sign_in(client, "ann@example.test"),
        await sign_in(client, "ann@example.test", "Phone"),
    )
    others = await sign_in(client, "bo@example.test")

    async def hash_of(user: int) -> str | None:
        async with engine.connect() as connection:
            return (
                await connection.execute(sa.text(f"SELECT password_hash FROM users WHERE id = {user}"))
            ).scalar()

    reset = """mutation($t: String!) { resetPassword(token: $t, password: "a new passphrase", client: WEB) {
      token } }"""
    link = issue_link_token(client.settings, ann, await hash_of(ann), RESET_PASSWORD)
    assert (await client.data(reset, {"t": link}))["resetPassword"]["token"]
    for login in (ipad, phone):
        assert not await works(client, login["token"])
        assert codes(await client.post(REFRESH, {"t": login["refreshToken"]})) == ["UNAUTHENTICATED"]
    assert await works(client, others["token"])
    async with engine.connect() as connection:
        reasons = (
            (
                await connection.execute(
                    sa.select(devices.c.revoked_reason).where(devices.c.user_id == ann).order_by(devices.c.id)
                )
            )
            .scalars()
            .all()
        )
    assert reasons == ["PASSWORD_RESET", "PASSWORD_RESET"]
    assert not (await client.data(VIEWER, as_user=bo))["viewer"]["devices"]["nodes"][0]["revokedAt"]
    invited = await make.user("ACCOUNT_MANAGER", "Cy", email="cy@example.test")
    first = issue_link_token(client.settings, invited, await hash_of(invited), SET_PASSWORD)
    set_password = reset.replace("resetPassword", "setPassword")
    assert (await client.data(set_password, {"t": first}))["setPassword"]["token"]
    assert await works(client, others["token"])
