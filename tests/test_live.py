"""R19: a subscription (graphql-transport-ws) on a meeting receives a note written through
another connection at once, checks the viewer's scope at delivery, and ends when the meeting
leaves their sight; no or a bad token gets no connection. On PostgreSQL a note written through
another server process arrives by NOTIFY, well before the safety poll, and one the
notifications missed arrives by that poll. The socket is driven over ASGI, the same way the
HTTP tests drive the app (real protocol messages, no network)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from typing import Any

import pytest
import sqlalchemy as sa
from salescoord.db.session import create_engine
from salescoord.db.tables import am_coordinators
from salescoord.permissions.enums import Channel

from salescoord.app import attach_engine, create_app
from tests.apps import client_with
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


async def subscribed(app: Any, token: str, meeting: int) -> Socket:
    """A socket with a subscription on the meeting that has taken its place in the log."""
    socket = Socket(app)
    await socket.open()
    await socket.send({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    assert (await socket.receive())["type"] == "connection_ack"
    variables = {"m": gid("Meeting", meeting)}
    await socket.send(
        {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE, "variables": variables}}
    )
    await asyncio.sleep(0.5)
    return socket


async def next_note(socket: Socket) -> dict:
    event = await socket.receive()
    while event["payload"]["data"]["meetingChanges"]["typeName"] == "Meeting":
        event = await socket.receive()  # the meeting's own creation may come first
    return event["payload"]["data"]["meetingChanges"]


@pytest.fixture
async def meeting_world(make):
    north = await make.territory()
    am = await make.am(territories=[north])
    sc = await make.sc(ams=[am])
    return am, sc, await make.meeting(host=am, created_by=sc)


async def test_R19_R27_a_note_written_through_another_process_arrives_by_notify_well_before_the_poll(
    backend, engine, settings, meeting_world
):
    """Two apps over one PostgreSQL database, each with its own pool, as two server processes
    behind a load balancer: the subscriber's process hears the writer's commit by NOTIFY."""
    if backend[0] != "postgresql":
        pytest.skip("SQLite serves from one host: subscriptions poll the log")
    am, sc, meeting = meeting_world
    listening = create_app(settings)
    attach_engine(listening, engine)
    other_pool = create_engine(backend[1], pool_size=2)
    try:
        async with client_with(other_pool, settings) as writer:
            socket = await subscribed(listening, writer.token(sc), meeting)
            try:
                listener = listening.state.graphql.listener
                heard = listener.notifications
                written = await writer.data(
                    ADD_NOTE, {"m": gid("Meeting", meeting)}, as_user=am, channel=Channel.APP
                )
                committed = time.perf_counter()
                change = await next_note(socket)
                latency = time.perf_counter() - committed
            finally:
                await socket.close()
            assert change["id"] == written["createNote"]["id"]
            assert listener.notifications > heard  # heard through LISTEN, not found by a poll
            assert latency < settings.live_safety_poll_seconds / 10, latency
    finally:
        await other_pool.dispose()


async def test_R19_a_change_the_notifications_missed_arrives_by_the_safety_poll(
    backend, engine, settings, make, meeting_world
):
    """A lost notification costs latency, never an event: with the notify trigger off (as if the
    LISTEN connection had dropped), a note still reaches the subscriber within the poll."""
    if backend[0] != "postgresql":
        pytest.skip("SQLite serves from one host: subscriptions poll the log")
    am, sc, meeting = meeting_world
    quick = dataclasses.replace(settings, live_safety_poll_seconds=0.5)
    listening = create_app(quick)
    attach_engine(listening, engine)
    async with client_with(engine, quick) as writer:
        socket = await subscribed(listening, writer.token(sc), meeting)
        listener = listening.state.graphql.listener
        await make.execute(sa.text("ALTER TABLE change_log DISABLE TRIGGER change_log_notify"))
        try:
            heard = listener.notifications
            written = await writer.data(
                ADD_NOTE, {"m": gid("Meeting", meeting)}, as_user=am, channel=Channel.APP
            )
            change = await next_note(socket)
        finally:
            await make.execute(sa.text("ALTER TABLE change_log ENABLE TRIGGER change_log_notify"))
            await socket.close()
        assert change["id"] == written["createNote"]["id"]
        assert listener.notifications == heard  # nothing was notified: the poll found it


LISTENING = sa.text(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'"
)


async def listening_backends(engine) -> list[int]:
    async with engine.connect() as connection:
        return list((await connection.execute(LISTENING)).scalars())


async def test_R19_the_listening_connection_comes_back_after_it_is_cut(
    backend, engine, settings, meeting_world
):
    """One LISTEN connection per process, whatever the number of subscriptions; cut by the
    server, it is made again and notifications flow as before."""
    if backend[0] != "postgresql":
        pytest.skip("SQLite serves from one host: subscriptions poll the log")
    am, sc, meeting = meeting_world
    listening = create_app(settings)
    attach_engine(listening, engine)
    async with client_with(engine, settings) as writer:
        sockets = [await subscribed(listening, writer.token(sc), meeting) for _ in range(3)]
        try:
            (cut,) = await listening_backends(engine)  # three subscriptions, one connection
            async with engine.connect() as connection:
                await connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": cut})
            listener = listening.state.graphql.listener
            for _ in range(100):
                back = await listening_backends(engine)
                if listener.connected and back and back != [cut]:
                    break
                await asyncio.sleep(0.05)
            assert len(back) == 1 and back != [cut], back
            heard = listener.notifications
            written = await writer.data(
                ADD_NOTE, {"m": gid("Meeting", meeting)}, as_user=am, channel=Channel.APP
            )
            committed = time.perf_counter()
            changes = [await next_note(socket) for socket in sockets]
            latency = time.perf_counter() - committed
        finally:
            for socket in sockets:
                await socket.close()
    assert {change["id"] for change in changes} == {written["createNote"]["id"]}
    assert listener.notifications > heard
    assert latency < settings.live_safety_poll_seconds / 10, latency
    for _ in range(100):  # the last subscription gives the connection back (as the task ends)
        if not await listening_backends(engine):
            break
        await asyncio.sleep(0.05)
    assert await listening_backends(engine) == []


async def test_R19_R27_the_listening_connection_opens_with_every_option_of_the_database_url():
    """TLS, several hosts, a socket: what the engine's connections get, LISTEN gets too."""
    from salescoord.sync.listen import ChangeListener

    engine = create_engine("postgresql+asyncpg://app:pw@127.0.0.1:5433/crm?ssl=require&command_timeout=9")
    try:
        arguments = ChangeListener(engine).connect_arguments
    finally:
        await engine.dispose()
    assert arguments["ssl"] == "require" and arguments["port"] == 5433 and arguments["database"] == "crm"
    assert arguments["user"] == "app" and arguments["password"] == "pw"


async def test_R19_a_subscription_dropped_while_listen_is_set_up_leaves_no_follower():
    """A client that goes away within the connect timeout (the iPad on a poor network, the
    database unreachable) must not keep the process's LISTEN task and connection alive."""
    from salescoord.sync.listen import ChangeListener

    held: list[asyncio.StreamWriter] = []

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # accepts, never answers: the connect hangs until its timeout

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    engine = create_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/silent")
    listener = ChangeListener(engine)
    entered = asyncio.Event()

    async def subscriber() -> None:
        async with listener.follow(7):
            entered.set()

    try:
        task = asyncio.create_task(subscriber())
        await asyncio.sleep(0.2)  # inside follow(), waiting for LISTEN
        assert listener._followers and not entered.is_set()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not listener._followers
        assert listener._task is None
    finally:
        await listener.close()
        await engine.dispose()
        for writer in held:
            writer.close()
        server.close()
