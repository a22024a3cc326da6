"""A real SMTP server for tests (aiosmtpd on 127.0.0.1, a free port), and a worker pointed at it.

server = SmtpServer()        # a port reserved, nothing listening: SMTP is down
server.start()               # now it accepts mail
server.messages              # every message received: (envelope recipients, parsed message)
server.refuse["x@y"] = "550 5.1.1 no such user"   # answer RCPT TO with this
server.answer_after = 1.0    # a slow server: each message is accepted a second after its data
"""

from __future__ import annotations

import asyncio
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from salescoord.db.tables import emails
from sqlalchemy.ext.asyncio import AsyncEngine

from salescoord.outbox.delivery import DeliveryWorker
from salescoord.settings import DeliverySettings, Settings, SmtpSettings
from tests.helpers import SECRET

FAST = DeliverySettings(
    poll_seconds=0.02,
    batch_size=10,
    retry_base_seconds=0.02,
    retry_max_seconds=0.1,
    max_attempts=1000,
    lease_seconds=60,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        answer = self.server.refuse.get(address)
        if answer is not None:
            if self.server.refuse_once.pop(address, False):
                del self.server.refuse[address]
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.server.answer_after)
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.server.lock:
            self.server.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse: dict[str, str] = {}
        self.refuse_once: dict[str, bool] = {}
        self.answer_after = 0.0
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def settings(self) -> SmtpSettings:
        return SmtpSettings(host="127.0.0.1", port=self.port, sender="salescoord <no-reply@example.test>")

    def start(self) -> None:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def recipients(self) -> list[str]:
        return sorted(address for tos, _ in self.messages for address in tos)

    def to(self, address: str) -> list[EmailMessage]:
        return [message for tos, message in self.messages if address in tos]


SIGNING = Settings(database_url="unused", secret_keys=(SECRET,))  # signs links as the suite's app does


def worker(engine: AsyncEngine, server: SmtpServer, settings: DeliverySettings = FAST) -> DeliveryWorker:
    return DeliveryWorker(engine, server.settings, settings, signing=SIGNING)


async def statuses(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as connection:
        rows = await connection.execute(sa.select(emails.c.status, sa.func.count()).group_by(emails.c.status))
        return dict(rows.all())


async def deliver_all(engine: AsyncEngine, *workers: DeliveryWorker, rounds: int = 500) -> None:
    """Run the workers side by side until no email is PENDING or SENDING (a bounded number of
    rounds, so a bug fails the test instead of hanging it)."""

    async def drain(one: DeliveryWorker) -> None:
        for _ in range(rounds):
            if not await one.deliver_due():
                left = await statuses(engine)
                if not left.get("PENDING") and not left.get("SENDING"):
                    return
                await asyncio.sleep(0.02)
        raise AssertionError(f"outbox not drained: {await statuses(engine)}")

    await asyncio.gather(*(drain(one) for one in workers))
