"""A real uvicorn server on 127.0.0.1 inside the test's event loop, with the options
`salescoord serve` gives it, and a graphql-transport-ws client for it (the `websockets`
library): sockets are tested over TCP as clients reach them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from salescoord.socket_limits import server_options
from tests.smtp import free_port

PROTOCOL = "graphql-transport-ws"


@asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[str]:
    """`host:port` of uvicorn serving `app` (the app's engine attached beforehand)."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="off",  # the test owns the engine
        log_level="warning",
        **server_options(app.state.settings),
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=15)


class Socket:
    """One graphql-transport-ws connection; a close reads as {"type": "close", "code": …}."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def send_text(self, text: str) -> None:
        await self.connection.send(text)

    async def receive(self, timeout: float = 15) -> dict[str, Any]:
        try:
            return json.loads(await asyncio.wait_for(self.connection.recv(), timeout))
        except ConnectionClosed:
            return {"type": "close", "code": self.connection.close_code}

    async def signed_in(self, token: str) -> Socket:
        await self.send({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        assert await self.receive() == {"type": "connection_ack"}
        return self

    async def run(self, operation_id: str, query: str, variables: dict | None = None) -> dict[str, Any]:
        """A query or mutation: its one answer (`next` or `error`), or the socket's close."""
        payload = {"query": query, "variables": variables or {}}
        await self.send({"id": operation_id, "type": "subscribe", "payload": payload})
        answer = await self.receive()
        if answer["type"] == "next":
            assert await self.receive() == {"id": operation_id, "type": "complete"}
        return answer


@asynccontextmanager
async def socket_to(address: str, subprotocols: tuple[str, ...] = (PROTOCOL,)) -> AsyncIterator[Socket]:
    async with connect(
        f"ws://{address}/graphql", subprotocols=list(subprotocols), open_timeout=15, max_size=None
    ) as connection:
        yield Socket(connection)
