"""The outbox's delivery worker (R20): claims due emails, sends them over SMTP, marks them.

    worker = DeliveryWorker(engine, settings.smtp, settings.delivery, signing=settings)
    await worker.deliver_due()   # one round: claim, send, mark, email by email; how many were claimed
    await worker.run(stop)       # rounds until `stop` is set (`salescoord serve` and `worker`)

A temporary failure (SMTP down, a 4xx answer, a timeout) puts the email back as PENDING
with exponential backoff; a permanent one (a 5xx answer about the message or its
recipient) marks it FAILED with the server's answer, as RFC 5321 senders do. A refused
login is the server's answer about *our* configuration, not the email, so it is retried.
Each sent email records its Message-ID: a crash between sending and marking is the one
case that can send twice, and the id makes such a duplicate visible.

An email for a new buyer, an invited user or a password reset holds a placeholder where its
link goes; the worker signs the link with the service's keys (`signing`) and writes it in as it
builds the message, so the outbox never holds a usable one (R32).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from html import escape
from typing import Any

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncEngine

from salescoord.db.session import WRITE_INTENT
from salescoord.outbox import password_links, queue, wording
from salescoord.settings import DeliverySettings, Settings, SmtpSettings

log = logging.getLogger("salescoord.delivery")


class PermanentFailure(Exception):
    """The server refused this email for good (5xx)."""


def backoff_seconds(attempt: int, settings: DeliverySettings) -> float:
    """base × 2^(attempt−1), capped: 30 s, 1 min, 2 min, … 1 h with the defaults."""
    return min(settings.retry_base_seconds * 2 ** max(attempt - 1, 0), settings.retry_max_seconds)


def build_message(row: Any, sender: str, link: str | None = None) -> EmailMessage:
    """The email of an outbox row; `link` (the row's set-password link) replaces its placeholder."""
    text, html = row.body_text, row.body_html
    if link is not None:
        text, html = password_links.fill(text, link), password_links.fill(html, escape(link))
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=f"outbox-{row.id}", domain=_domain(sender))
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def _domain(sender: str) -> str:
    address = sender.rsplit("<", 1)[-1].rstrip(">")
    return address.rsplit("@", 1)[-1] or "salescoord.invalid"


def _is_permanent(error: Exception) -> bool:
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return False
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(500 <= refusal.code < 600 for refusal in error.recipients)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return 500 <= error.code < 600
    return False


class DeliveryWorker:
    """Sends the outbox. Any number of workers may run at once, in one process or many:
    each claim is exclusive (see `salescoord.outbox.queue.claim_due`)."""

    def __init__(
        self, engine: AsyncEngine, smtp: SmtpSettings, settings: DeliverySettings, *, signing: Settings
    ) -> None:
        self.engine, self.smtp, self.settings, self.signing = engine, smtp, settings, signing

    async def _write(self, work: Any) -> Any:
        async with self.engine.connect() as connection:
            connection.info[WRITE_INTENT] = True  # SQLite: take the write lock at BEGIN
            async with connection.begin():
                return await work(connection)

    async def deliver_due(self) -> int:
        """One round: up to `batch_size` emails over one SMTP connection, each claimed just
        before it is sent, its lease renewed while it is. A batch claimed at once would wait
        for the sends before it and could outlive its lease (20 slow answers outlast 300 s),
        and another worker would send it a second time. Returns how many were claimed."""
        claimed, client = 0, None
        try:
            while claimed < self.settings.batch_size:
                claim = await self._write(
                    lambda c: queue.claim_due(c, limit=1, lease_seconds=self.settings.lease_seconds)
                )
                if not claim:
                    break
                (row,) = claim
                claimed += 1
                async with self._lease_kept(row):
                    if client is None:
                        try:
                            client = await self._connect()
                        except Exception as error:
                            return claimed + await self._postpone(row, f"connect: {error}", claimed)
                    await self._send_one(client, row)
        finally:
            if client is not None:
                try:
                    await client.quit()
                except Exception:  # the server may be gone already; the marks are written
                    client.close()
        return claimed

    async def _postpone(self, row: Any, error: str, claimed: int) -> int:
        """SMTP is down: this email and the rest of the round's batch (claimed at once, since
        none of them will be sent now) wait for their next try. Returns how many more were
        claimed."""
        await self._retry(row, error)
        rest = await self._write(
            lambda c: queue.claim_due(
                c, limit=self.settings.batch_size - claimed, lease_seconds=self.settings.lease_seconds
            )
        )
        for other in rest:
            await self._retry(other, error)
        return len(rest)

    @contextlib.asynccontextmanager
    async def _lease_kept(self, row: Any) -> AsyncIterator[None]:
        """Renews the row's lease every fifth of it until the block ends, so however slow the
        server, the email stays this worker's while it is being sent. The renewal is never
        cancelled mid-statement: it is told to stop and finishes its write."""
        lease = self.settings.lease_seconds
        done = asyncio.Event()

        async def renew() -> None:
            while not done.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), timeout=lease / 5)
                    return
                try:
                    kept = await self._write(lambda c: queue.renew_lease(c, row.id, row.attempts, lease))
                except Exception as error:  # the next renewal tries again, well inside the lease
                    log.warning("email %s: lease not renewed: %s", row.id, error)
                    continue
                if not kept:
                    log.warning("email %s: attempt %s lost its lease", row.id, row.attempts)
                    return

        renewing = asyncio.create_task(renew())
        try:
            yield
        finally:
            done.set()
            await renewing

    async def _connect(self) -> aiosmtplib.SMTP:
        smtp = self.smtp
        client = aiosmtplib.SMTP(
            hostname=smtp.host,
            port=smtp.port,
            use_tls=smtp.tls == "tls",
            start_tls=smtp.tls == "starttls",
            timeout=smtp.timeout_seconds,
        )
        await client.connect()
        if smtp.username:
            await client.login(smtp.username, smtp.password or "")
        return client

    async def _link(self, row: Any) -> str | None:
        """The row's password link, signed now. A set-password link (an approval, an
        invitation) is, like them, for an account without a password, so one set meanwhile (by
        the link or otherwise) has spent it. A reset link is for the password the account has
        as it is sent, read here, so a password changed after the email went has spent it."""
        if row.set_password_user_id is None:
            return None
        if row.kind != wording.PASSWORD_RESET:
            return password_links.set_password_link(self.signing, row.set_password_user_id, None)
        async with self.engine.connect() as connection:
            current = await queue.password_hash_of(connection, row.set_password_user_id)
        return password_links.password_link(
            self.signing, row.set_password_user_id, current, password_links.RESET_PASSWORD
        )

    async def _send_one(self, client: aiosmtplib.SMTP, row: Any) -> None:
        message = build_message(row, self.smtp.sender, await self._link(row))
        try:
            await client.send_message(message)
        except Exception as error:
            reason, permanent = str(error), _is_permanent(error)
        else:
            await self._write(lambda c: queue.mark_sent(c, row.id, row.attempts, message["Message-ID"]))
            log.info(
                "email %s (%s) to %s SENT, attempt %s, Message-ID %s",
                row.id,
                row.kind,
                row.to_address,
                row.attempts,
                message["Message-ID"],
            )
            return
        if permanent:
            await self._write(lambda c: queue.mark_failed(c, row.id, row.attempts, reason))
            log.warning("email %s to %s FAILED for good: %s", row.id, row.to_address, reason)
        else:
            await self._retry(row, reason)

    async def _retry(self, row: Any, error: str) -> None:
        if row.attempts >= self.settings.max_attempts:
            await self._write(lambda c: queue.mark_failed(c, row.id, row.attempts, f"gave up: {error}"))
            log.warning(
                "email %s to %s FAILED after %s attempts: %s", row.id, row.to_address, row.attempts, error
            )
            return
        delay = backoff_seconds(row.attempts, self.settings)
        await self._write(lambda c: queue.mark_retry(c, row.id, row.attempts, error, delay))
        log.info(
            "email %s to %s: attempt %s failed (%s); next try in %.2f s",
            row.id,
            row.to_address,
            row.attempts,
            error,
            delay,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set: at once while there is work, else every poll interval."""
        log.info("outbox delivery to %s:%s started", self.smtp.host, self.smtp.port)
        while not stop.is_set():
            try:
                claimed = await self.deliver_due()
            except Exception:
                log.exception("outbox delivery round failed; trying again")
                claimed = 0
            if claimed:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.settings.poll_seconds)
        log.info("outbox delivery stopped")
