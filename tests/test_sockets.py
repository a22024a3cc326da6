"""R29: every operation on a websocket sees the viewer as a fresh HTTP request would, and a
socket whose sign-in no longer stands is closed (4401: token invalid or expired, 4403: user
deactivated). Limits, body sizes and error codes are the same on both channels.

Each test runs uvicorn on 127.0.0.1 and talks graphql-transport-ws to it over TCP; the
changes that take a socket's rights away come through ordinary HTTP requests to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time

import httpx
import pytest
import sqlalchemy as sa
from salescoord.db.tables import lists
from salescoord.permissions.enums import Channel
from websockets.exceptions import ConnectionClosed

from salescoord.app import attach_engine, create_app
from salescoord.tokens import issue_token as issue
from salescoord.tokens import sign
from tests.helpers import codes, gid
from tests.live_server import serving, socket_to

CREATE_LIST = """mutation($name: String!) { createList(name: $name, kind: PERSONAL) { name } }"""
DEACTIVATE = """mutation($id: ID!) { updateUser(input: {id: $id, active: false}) { active } }"""
MAKE_SC = """mutation($id: ID!) { updateUser(input: {id: $id, role: SALES_COORDINATOR}) { role } }"""
SET_PERMISSIONS = """mutation($permissions: [Permission!]!) {
  setRolePermissions(role: ACCOUNT_MANAGER, permissions: $permissions) { name } }"""
OFFERED = "query($host: ID!) { offeredBuyers(hostId: $host) { totalCount } }"
MY_ROLE = "query { viewer { role } }"
SUBSCRIBE = (
    """subscription($m: ID!) { meetingChanges(meetingId: $m) { typeName node { ... on Note { text } } } }"""
)
ADD_NOTE = """mutation($m: ID!, $text: String!) { createNote(meetingId: $m, text: $text) { id } }"""
VIEWER = "query { viewer { id } }"


def issue_token(settings, user_id: int) -> str:
    return issue(settings, user_id, Channel.WEB)[0]


def app_for(engine, settings, **overrides):
    app = create_app(dataclasses.replace(settings, **overrides))
    attach_engine(app, engine)
    return app


class Http:
    """HTTP requests to the same server, as the admin's browser makes them."""

    def __init__(self, address: str, settings) -> None:
        self.client = httpx.AsyncClient(base_url=f"http://{address}", timeout=30)
        self.settings = settings

    async def post(self, query: str, variables: dict, as_user: int) -> dict:
        token = issue_token(self.settings, as_user)
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        return response.json()

    async def data(self, query: str, variables: dict, as_user: int) -> dict:
        body = await self.post(query, variables, as_user)
        assert not body.get("errors"), body
        return body["data"]


@pytest.fixture
async def world(make):
    north = await make.territory()
    am = await make.am(territories=[north])
    await make.buyer(await make.company(north))
    return {"admin": await make.admin(), "am": am, "meeting": await make.meeting(host=am)}


async def list_names(engine) -> list[str]:
    async with engine.connect() as connection:
        return sorted((await connection.execute(sa.select(lists.c.name))).scalars())


async def test_R29_a_deactivated_users_socket_refuses_its_next_mutation_and_closes(engine, settings, world):
    async with serving(app_for(engine, settings)) as address, socket_to(address) as socket:
        http = Http(address, settings)
        await socket.signed_in(issue_token(settings, world["am"]))
        before = await socket.run("1", CREATE_LIST, {"name": "Before"})
        assert before["payload"]["data"] == {"createList": {"name": "Before"}}
        await http.data(DEACTIVATE, {"id": gid("User", world["am"])}, as_user=world["admin"])
        assert await socket.run("2", CREATE_LIST, {"name": "After"}) == {"type": "close", "code": 4403}
    assert await list_names(engine) == ["Before"]


@pytest.mark.parametrize("subscribed", [False, True], ids=["idle", "subscribed"])
async def test_R29_a_socket_closes_within_the_safety_poll_once_its_user_is_deactivated(
    engine, settings, world, subscribed
):
    quick = {"live_safety_poll_seconds": 0.5}
    async with serving(app_for(engine, settings, **quick)) as address, socket_to(address) as socket:
        await socket.signed_in(issue_token(settings, world["am"]))
        if subscribed:
            variables = {"m": gid("Meeting", world["meeting"])}
            payload = {"query": SUBSCRIBE, "variables": variables}
            await socket.send({"id": "1", "type": "subscribe", "payload": payload})
            await asyncio.sleep(0.5)
        await Http(address, settings).data(
            DEACTIVATE, {"id": gid("User", world["am"])}, as_user=world["admin"]
        )
        message = await socket.receive(timeout=15)
        while message["type"] == "next":  # the meeting's own creation, read before
            message = await socket.receive(timeout=15)
        assert message == {"type": "close", "code": 4403}


async def test_R29_a_token_that_expires_ends_its_subscription_and_closes_the_socket(engine, settings, world):
    """Events flow until the token expires; then the socket closes (4401), at the expiry and
    not a poll later, and a note written after it reaches nobody."""
    now = int(time.time())
    expires_at = now + 3
    token = sign(settings, {"sub": str(world["am"]), "ch": "WEB", "iat": now, "exp": expires_at})
    meeting = {"m": gid("Meeting", world["meeting"])}
    async with serving(app_for(engine, settings)) as address, socket_to(address) as socket:
        http = Http(address, settings)
        await socket.signed_in(token)
        await socket.send(
            {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE, "variables": meeting}}
        )
        await asyncio.sleep(0.5)
        await http.data(ADD_NOTE, {**meeting, "text": "In time"}, as_user=world["am"])
        delivered = await socket.receive()
        while delivered["payload"]["data"]["meetingChanges"]["typeName"] != "Note":
            delivered = await socket.receive()
        assert delivered["payload"]["data"]["meetingChanges"]["node"] == {"text": "In time"}
        await asyncio.sleep(max(expires_at - time.time(), 0) + 0.2)
        await http.data(ADD_NOTE, {**meeting, "text": "Too late"}, as_user=world["am"])
        assert await socket.receive(timeout=5) == {"type": "close", "code": 4401}
        closed_at = time.time()
    assert closed_at >= expires_at


async def test_R29_R14_role_and_permission_changes_count_on_the_next_socket_operation(
    engine, settings, world
):
    am, admin = world["am"], world["admin"]
    host = {"host": gid("User", am)}
    async with serving(app_for(engine, settings)) as address, socket_to(address) as socket:
        http = Http(address, settings)
        await socket.signed_in(issue_token(settings, am))
        offered = await socket.run("1", OFFERED, host)
        assert offered["payload"]["data"] == {"offeredBuyers": {"totalCount": 1}}
        await http.data(SET_PERMISSIONS, {"permissions": ["MANAGE_REGISTRATIONS"]}, as_user=admin)
        refused = await socket.run("2", OFFERED, host)
        assert codes(refused["payload"]) == ["FORBIDDEN"], refused
        assert (await socket.run("3", MY_ROLE))["payload"]["data"] == {"viewer": {"role": "ACCOUNT_MANAGER"}}
        await http.data(MAKE_SC, {"id": gid("User", am)}, as_user=admin)
        assert (await socket.run("4", MY_ROLE))["payload"]["data"] == {
            "viewer": {"role": "SALES_COORDINATOR"}
        }


async def test_R29_R22_the_per_user_budget_answers_RATE_LIMITED_over_a_socket_as_over_http(
    engine, settings, world, limiter_clock
):
    """One budget for both channels: the socket's operations and the HTTP requests of the same
    user count together, and a refusal reads the same on both."""
    am = world["am"]
    async with (
        serving(app_for(engine, settings, requests_per_user=3)) as address,
        socket_to(address) as socket,
    ):
        http = Http(address, settings)
        await socket.signed_in(issue_token(settings, am))
        for operation_id in ("1", "2"):
            assert codes((await socket.run(operation_id, VIEWER))["payload"]) == []
        assert codes(await http.post(VIEWER, {}, as_user=am)) == []
        over_socket = await socket.run("3", VIEWER)
        over_http = await http.post(VIEWER, {}, as_user=am)
    # no data to send: graphql-transport-ws carries the errors alone, in an `error` message
    assert over_socket["type"] == "error", over_socket
    (socket_error,), (http_error,) = over_socket["payload"], over_http["errors"]
    assert socket_error["extensions"]["code"] == http_error["extensions"]["code"] == "RATE_LIMITED"
    assert (
        socket_error["extensions"].keys()
        == http_error["extensions"].keys()
        == {"code", "bucket", "retryAfter"}
    )
    assert socket_error["extensions"]["bucket"] == "user" and socket_error["extensions"]["retryAfter"] >= 1


def query_of_bytes(size: int) -> dict:
    """A subscribe message of about `size` bytes (a query padded with a comment)."""
    return {"id": "1", "type": "subscribe", "payload": {"query": "#" + "x" * size + "\n{ viewer { id } }"}}


async def test_R29_a_message_over_the_http_body_limit_closes_the_socket(engine, settings, world):
    """256 KiB, as for an HTTP body: just over it the app closes with 4400; far over it uvicorn
    stops reading the frame (1009) instead of buffering up to 16 MiB."""
    limit = settings.max_body_bytes
    async with serving(app_for(engine, settings)) as address:
        async with socket_to(address) as socket:
            await socket.signed_in(issue_token(settings, world["am"]))
            assert (await socket.run("0", VIEWER))["type"] == "next"  # a normal message passes
            await socket.send(query_of_bytes(limit))
            assert await socket.receive() == {"type": "close", "code": 4400}
        async with socket_to(address) as socket:
            await socket.signed_in(issue_token(settings, world["am"]))
            await socket.send(query_of_bytes(4 * limit))
            assert await socket.receive() == {"type": "close", "code": 1009}


async def test_R29_before_signing_in_a_socket_reads_nothing_but_a_small_connection_init(
    engine, settings, world
):
    """A connection_init carries a token: one over 16 KiB is refused unread, even with a
    valid token in it; the rest of a small payload is ignored."""
    token = f"Bearer {issue_token(settings, world['am'])}"
    padded = {"type": "connection_init", "payload": {"authorization": token, "padding": "x" * 20_000}}
    async with serving(app_for(engine, settings)) as address:
        async with socket_to(address) as socket:
            await socket.send(padded)
            assert await socket.receive() == {"type": "close", "code": 4400}
        async with socket_to(address) as socket:
            await socket.send(
                {"type": "connection_init", "payload": {"authorization": token, "other": [1, 2]}}
            )
            assert await socket.receive() == {"type": "connection_ack"}


async def test_R29_connection_init_reads_the_authorization_header_in_any_case(engine, settings, world):
    """GraphiQL and other tools send their Headers pane as typed (`Authorization`): header
    names are case-insensitive over HTTP, and so in connection_init."""
    token = f"Bearer {issue_token(settings, world['am'])}"
    async with serving(app_for(engine, settings)) as address:
        for name in ("Authorization", "AUTHORIZATION"):
            async with socket_to(address) as socket:
                await socket.send({"type": "connection_init", "payload": {name: token}})
                assert await socket.receive() == {"type": "connection_ack"}


async def test_R29_a_flood_of_messages_closes_the_socket(engine, settings, world):
    async with serving(app_for(engine, settings, ws_messages_per_second=20)) as address:
        async with socket_to(address) as socket:
            for _ in range(10):
                await socket.send({"type": "ping"})
                assert await socket.receive() == {"type": "pong"}  # within the bound: answered
        async with socket_to(address) as socket:
            await socket.signed_in(issue_token(settings, world["am"]))
            with contextlib.suppress(ConnectionClosed):  # the server may close before the last
                for _ in range(200):
                    await socket.send({"type": "ping"})
            answers = [await socket.receive()]
            while answers[-1]["type"] == "pong":
                answers.append(await socket.receive())
            assert answers[-1] == {"type": "close", "code": 4429}
            # 20 a second: cut off long before the 200th, however slowly a busy machine reads
            assert len(answers) - 1 < 100


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            json.dumps({"type": "subscribe", "id": {"a": 1}, "payload": {"query": "{ viewer { id } }"}}),
            id="id",
        ),
        pytest.param(
            json.dumps({"type": "subscribe", "id": "1", "payload": ["{ viewer { id } }"]}), id="payload"
        ),
        pytest.param(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": 7}}), id="query"),
        pytest.param(json.dumps(["subscribe"]), id="not-an-object"),
        pytest.param("[" * 5000 + "]" * 5000, id="nested"),
        pytest.param("{not json", id="not-json"),
    ],
)
async def test_R22_R29_a_malformed_message_closes_the_socket_with_4400(engine, settings, world, text):
    async with serving(app_for(engine, settings)) as address, socket_to(address) as socket:
        await socket.signed_in(issue_token(settings, world["am"]))
        await socket.send_text(text)
        assert await socket.receive() == {"type": "close", "code": 4400}


async def test_R29_only_graphql_transport_ws_is_spoken(engine, settings, world):
    """The legacy subscriptions-transport-ws protocol has no per-operation checks here."""
    async with serving(app_for(engine, settings)) as address, socket_to(address, ("graphql-ws",)) as socket:
        assert await socket.receive() == {"type": "close", "code": 4406}
