"""R19: a subscription (graphql-transport-ws) on a meeting receives a note written through
another connection at once, checks the viewer's scope at delivery, and ends when the meeting
leaves their sight; no or a bad token gets no connection. The socket is driven over ASGI, the
same way the HTTP tests drive the app (real protocol messages, no network)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from db.tables import am_coordinators
from permissions.enums import Channel
from salescoord.app import attach_engine, create_app
from tests.helpers import gid

SUBSCRIBE = """subscription($m: ID!) { meetingChanges(meetingId: $m) {
  kind typeName id node { ... on Note { text } } } }"""
ADD_NOTE = """mutation($m: ID!) {
  createNote(meetingId: $m, text: "Written in the app", clientMutationId: "n1") { id } }"""


class Socket:
    """One websocket connection to the ASGI app."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.incoming: asyncio.Queue = asyncio.Queue()
        self.outgoing: asyncio.Queue = asyncio.Queue()

    async def open(self) -> None:
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "scheme": "ws",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"127.0.0.1"), (b"sec-websocket-protocol", b"graphql-transport-ws")],
            "subprotocols": ["graphql-transport-ws"],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
        }
        self.task = asyncio.create_task(self.app(scope, self.incoming.get, self.outgoing.put))
        await self.incoming.put({"type": "websocket.connect"})
        assert (await self.receive_raw())["type"] == "websocket.accept"

    async def send(self, message: dict) -> None:
        await self.incoming.put({"type": "websocket.receive", "text": json.dumps(message)})

    async def receive_raw(self) -> dict:
        return await asyncio.wait_for(self.outgoing.get(), timeout=15)

    async def receive(self) -> dict:
        message = await self.receive_raw()
        if message["type"] == "websocket.close":
            return {"type": "close", "code": message.get("code")}
        return json.loads(message["text"])

    async def close(self) -> None:
        await self.incoming.put({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(self.task, timeout=15)


@pytest.fixture
async def app(engine, settings):
    application = create_app(settings)
    attach_engine(application, engine)
    return application


async def test_R19_a_subscriber_receives_a_note_written_elsewhere_and_is_cut_off_when_out_of_sight(
    app, client, make, engine
):
    north = await make.territory()
    am = await make.am(territories=[north])
    sc = await make.sc(ams=[am])
    meeting = await make.meeting(host=am, created_by=sc)
    socket = Socket(app)
    await socket.open()
    await socket.send({"type": "connection_init", "payload": {"authorization": f"Bearer {client.token(sc)}"}})
    assert (await socket.receive())["type"] == "connection_ack"
    await socket.send(
        {
            "id": "1",
            "type": "subscribe",
            "payload": {"query": SUBSCRIBE, "variables": {"m": gid("Meeting", meeting)}},
        }
    )
    await asyncio.sleep(0.5)  # the subscription has taken its place in the log
    written = await client.data(ADD_NOTE, {"m": gid("Meeting", meeting)}, as_user=am, channel=Channel.APP)
    event = await socket.receive()
    while event["payload"]["data"]["meetingChanges"]["typeName"] == "Meeting":
        event = await socket.receive()  # on a busy server the meeting's own creation may come first
    assert event["type"] == "next" and event["id"] == "1"
    assert event["payload"]["data"]["meetingChanges"] == {
        "kind": "UPSERT",
        "typeName": "Note",
        "id": written["createNote"]["id"],
        "node": {"text": "Written in the app"},
    }
    # R19: the AM unlinked from the SC, the meeting leaves their sight: the subscription ends
    await make.execute(am_coordinators.delete().where(am_coordinators.c.sc_id == sc))
    assert await socket.receive() == {"id": "1", "type": "complete"}
    await socket.close()


@pytest.mark.parametrize("payload", [{}, {"authorization": "Bearer not-a-token"}])
async def test_R19_a_subscription_without_a_valid_token_gets_no_connection(app, payload):
    socket = Socket(app)
    await socket.open()
    await socket.send({"type": "connection_init", "payload": payload})
    assert await socket.receive() == {"type": "close", "code": 4403}
    await socket.close()
