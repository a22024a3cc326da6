"""The websocket side of /graphql (graphql-transport-ws): every operation on a socket sees the
viewer as a fresh HTTP request would (R29).

- connection_init: only the token is read from its payload (`authorization`, else the
  upgrade request's Authorization header); one that does not stand closes the socket with
  4403, the protocol's answer to a refused connection_init.
- subscribe: each operation runs with a context of its own (connection, loaders, viewer).
  Its viewer is loaded by `salescoord.credentials` once the query has passed its limits and
  it then spends the per-user budget (`schema.admission`), as an HTTP request does.
- the socket's sign-in is checked again on the safety poll (LIVE_SAFETY_POLL_SECONDS), at
  the token's expiry and at each delivery of a live subscription (`salescoord.sync.live`); once it
  no longer stands the socket closes: 4401 (token invalid or expired, device revoked),
  4403 (user deactivated). An app socket's device revocation wakes the check at once (R30).
- every message is bounded in size and rate before it is parsed (`salescoord.socket_limits`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from json import JSONDecodeError
from typing import Any

from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.utils.aio import aclosing

from salescoord.context import Context, bearer_token, build_context
from salescoord.credentials import Credentials, Refusal, TokenRefused, seconds_left, signed_in
from salescoord.db.session import RequestDatabase
from salescoord.socket_limits import MessageLimits

log = logging.getLogger("salescoord.sockets")
BAD_REQUEST, FORBIDDEN = 4400, 4403
MAX_OPERATION_ID = 128


class GraphQLSocket(BaseGraphQLTransportWSHandler[Context, None]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.settings = self.context.settings
        self.ws = self.context.request
        self.limits = MessageLimits(self.settings)
        self.credentials: Credentials | None = None
        self.closed = False
        self._watch: asyncio.Task[None] | None = None

    async def handle(self) -> None:
        """Strawberry's loop, with each message bounded before it is parsed."""
        self.on_request_accepted()
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                received = await self.ws.receive()
                if received["type"] == "websocket.disconnect":
                    return
                text = received.get("text")
                if text is None:
                    await self.close(BAD_REQUEST, "WebSocket message type must be text")
                    return
                refusal = self.limits.refusal(text, signed_in=self.connection_acknowledged)
                if refusal is not None:
                    await self.close(*refusal)
                    return
                try:
                    message = self.view.decode_json(text)
                except (JSONDecodeError, RecursionError):  # nested arrays past the parser's depth
                    await self.close(BAD_REQUEST, "WebSocket message must be valid JSON")
                    return
                if not isinstance(message, dict) or not isinstance(message.get("type"), str):
                    await self.close(BAD_REQUEST, "Failed to parse message")
                    return
                await self.handle_message(message)  # type: ignore[arg-type]
        except WebSocketDisconnect:
            pass
        finally:
            await self.shutdown()

    async def shutdown(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
        await super().shutdown()

    async def handle_connection_init(self, message: Any) -> None:
        if self.connection_timed_out:
            return
        if self.connection_init_timeout_task:
            self.connection_init_timeout_task.cancel()
        payload = message.get("payload")
        payload = {} if payload is None else payload
        if not isinstance(payload, dict):
            await self.close(BAD_REQUEST, "Invalid connection init payload")
            return
        if self.connection_init_received:
            await self.close(4429, "Too many initialisation requests")
            return
        self.connection_init_received = True
        # nothing else of the payload is read; header names are case-insensitive, as over HTTP
        authorization = next((v for k, v in payload.items() if str(k).lower() == "authorization"), None)
        token = bearer_token({"authorization": authorization if isinstance(authorization, str) else ""})
        token = token or bearer_token(self.ws.headers)
        try:
            if token is None:
                raise TokenRefused()
            self.context.become(await signed_in(self.context.db, self.settings, token))
        except Refusal:
            await self.close(FORBIDDEN, "Forbidden")
            return
        finally:
            await self.context.db.release()  # a socket lives for hours: it holds no connection
        self.credentials = Credentials(self.settings, token, self.refuse)
        await self.send_message({"type": "connection_ack"})
        self.connection_acknowledged = True
        device_id = self.context.viewer.device_id
        self._watch = asyncio.create_task(self._watch_sign_in(self.credentials, device_id))

    async def handle_subscribe(self, message: Any) -> None:
        if self.closed:
            return
        if not _well_formed(message):
            await self.close(BAD_REQUEST, "Invalid subscribe message")
            return
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        """Strawberry's, with a context of the operation's own instead of the socket's."""
        context = await self._operation_context()
        try:
            result_source = await self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=context,
                root_value=self.root_value,
                operation_name=operation.operation_name,
            )
            async with aclosing(result_source):
                await self._send_result_stream(operation, result_source)
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:
            return
        except Exception as error:
            await self.handle_task_exception(error)
            with contextlib.suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise
        finally:
            await context.db.close()

    async def _operation_context(self) -> Context:
        view = self.view
        context = await build_context(
            RequestDatabase(view.engine),
            self.settings,
            None,
            request=self.ws,
            identify=False,  # schema.admission.Admission: after the limits, by the credentials
            budget=view.budget,
            passwords=view.passwords,
        )
        context.credentials = self.credentials
        context.listener = view.listener
        context.devices = view.devices
        return context

    async def refuse(self, refusal: Refusal) -> None:
        """The socket's sign-in no longer stands: it closes, and its operations end with it
        (the one that found out ends by itself, raising the refusal)."""
        await self.close(refusal.close_code, refusal.message)
        current = asyncio.current_task()
        for operation_id, operation in list(self.operations.items()):
            if operation.task is not current:
                await self.cleanup_operation(operation_id)

    async def _watch_sign_in(self, credentials: Credentials, device_id: int | None) -> None:
        """Closes the socket once its sign-in no longer stands, also while nothing runs on
        it: at the token's expiry, at once when its device is revoked (in any process, R30),
        and within a safety-poll interval of a deactivation."""
        poll = self.settings.live_safety_poll_seconds
        async with self._revocations(device_id) as wakeup:
            while not self.closed:
                wakeup.clear()
                timeout = min(poll, seconds_left(self.settings, credentials.token))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wakeup.wait(), timeout)
                try:
                    await credentials.viewer(self.context.db)
                except Refusal:
                    return
                except Exception as error:  # the database away: the next look, or an operation, decides
                    log.warning("could not check a websocket's sign-in (%s)", error)
                finally:
                    await self.context.db.release()

    @contextlib.asynccontextmanager
    async def _revocations(self, device_id: int | None) -> AsyncIterator[asyncio.Event]:
        """Set when the socket's device is revoked; a web socket has no device: never set."""
        if device_id is None:
            yield asyncio.Event()
            return
        async with self.view.devices.follow(device_id) as wakeup:
            yield wakeup

    async def close(self, code: int, reason: str) -> None:
        if self.closed or self.ws.application_state == WebSocketState.DISCONNECTED:
            self.closed = True
            return
        self.closed = True
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await self.websocket.close(code=code, reason=reason)

    async def send_message(self, message: Any) -> None:
        """Nothing more leaves once the socket is closing: an operation still finishing (its
        viewer just refused) has nobody to answer."""
        if self.closed or self.ws.application_state == WebSocketState.DISCONNECTED:
            return
        await super().send_message(message)


def _well_formed(message: dict[str, Any]) -> bool:
    """A subscribe message as graphql-transport-ws defines it; anything else is refused
    before it reaches the handler, which would fail on it with an unexpected error."""
    payload = message.get("payload")
    operation_id = message.get("id")
    return (
        isinstance(operation_id, str)
        and 0 < len(operation_id) <= MAX_OPERATION_ID
        and isinstance(payload, dict)
        and isinstance(payload.get("query"), str)
        and isinstance(payload.get("variables") or {}, dict)
        and isinstance(payload.get("operationName") or "", str)
    )
