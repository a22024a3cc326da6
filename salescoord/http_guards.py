"""HTTP rules in front of GraphQL (OWASP's GraphQL cheat sheet):

- CSRF: a browser sends a cross-site POST without a preflight only with a "simple" content
  type (form-urlencoded, multipart, text/plain). Queries must come as `application/json`,
  which a cross-site page cannot send without a CORS preflight that the allow-list
  answers; anything else is refused with 415 before GraphQL sees it.
- Size: a body over `max_body_bytes` is refused with 413, whether it announces its length
  or streams it in chunks.

GET /graphql serves GraphiQL only; queries over GET are off in the GraphQL view, so no
mutation can ride on a link or an <img> (R28).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

JSON_TYPES = ("application/json", "application/graphql-response+json")


class BodyTooLarge(Exception):
    pass


class RequestGuard:
    def __init__(self, app: ASGIApp, *, path: str, max_body_bytes: int) -> None:
        self.app = app
        self.path = path
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
        }
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in JSON_TYPES:
            await _answer(send, 415, "Send queries as application/json.")
            return
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            await _answer(send, 413, f"The request body is over {self.max_body_bytes} bytes.")
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if not started:
                await _answer(send, 413, f"The request body is over {self.max_body_bytes} bytes.")


async def _answer(send: Send, status: int, message: str) -> None:
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": "BAD_USER_INPUT"}}]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
