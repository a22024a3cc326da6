"""What one websocket may send, bounded as HTTP bounds a request (R29).

- Size: a message over `max_body_bytes` (HTTP's 413) closes the socket with 4400. Before
  the socket has signed in, the only message worth reading is a connection_init carrying a
  token, so anything over `UNSIGNED_MAX_BYTES` is refused unread: an anonymous client
  cannot make the server parse a large payload. uvicorn reads no frame over twice
  `max_body_bytes` at all (`server_options`: it closes with 1009 before buffering more).
- Rate: more than `ws_messages_per_second` messages within one second closes the socket
  with 4429. Operations also spend the per-user request budget, as HTTP requests do
  (RATE_LIMITED with `retryAfter`); this bound covers what the budget does not count
  (pings, completes, messages before sign-in) and a budget that is switched off.

    limits = MessageLimits(settings)
    refusal = limits.refusal(text, signed_in=True)   # None, or (close code, reason)
"""

from __future__ import annotations

import time
from typing import Any

from salescoord.settings import Settings

UNSIGNED_MAX_BYTES = 16 * 1024
TOO_LARGE = 4400
TOO_MANY = 4429


class MessageLimits:
    def __init__(self, settings: Settings) -> None:
        self.max_bytes = settings.max_body_bytes
        self.per_second = settings.ws_messages_per_second
        self._second = 0
        self._count = 0

    def refusal(self, text: str, *, signed_in: bool) -> tuple[int, str] | None:
        """Why the socket must close on receiving `text`, or None when it may be read."""
        limit = self.max_bytes if signed_in else min(self.max_bytes, UNSIGNED_MAX_BYTES)
        if _utf8_length_over(text, limit):
            return TOO_LARGE, f"Messages are limited to {limit} bytes."
        second = int(time.monotonic())
        if second != self._second:
            self._second, self._count = second, 0
        self._count += 1
        if self.per_second > 0 and self._count > self.per_second:
            return TOO_MANY, "Too many messages."
        return None


def _utf8_length_over(text: str, limit: int) -> bool:
    """Without encoding a message that is plainly within or over the limit."""
    if len(text) > limit:
        return True
    if 4 * len(text) <= limit:
        return False
    return len(text.encode("utf-8", "surrogatepass")) > limit


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's own bound on a frame: a backstop above the app's, so that a message just over
    the limit still gets the protocol's close code (4400) from the app."""
    return {"ws_max_size": 2 * settings.max_body_bytes}
