"""The words of the registration emails (R7, R8): subject, plain text and HTML for each."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from salescoord.outbox.password_links import PLACEHOLDER

REGISTRATION_NOTICE = "REGISTRATION_NOTICE"
DECISION_NOTICE = "DECISION_NOTICE"


@dataclass(frozen=True)
class Notice:
    kind: str
    subject: str
    text: str
    html: str


def _html(paragraphs: list[str]) -> str:
    return "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def _notice(kind: str, subject: str, paragraphs: list[str]) -> Notice:
    return Notice(kind, subject, "\n\n".join(paragraphs) + "\n", _html(paragraphs))


def new_registration(registration: Any, queue_url: str) -> Notice:
    """To every SC and AM in whose scope the registration falls (R8)."""
    details = [
        f"Name: {registration.name}",
        f"Email: {registration.email}",
        f"Company: {registration.company_name}",
    ]
    if registration.message:
        details.append(f"Message: {registration.message}")
    return _notice(
        REGISTRATION_NOTICE,
        f"New registration: {registration.name} ({registration.company_name})",
        [
            "A new registration is waiting for a decision.",
            "\n".join(details),
            f"Decide it in the registration queue: {queue_url}",
        ],
    )


def approved(name: str, company_name: str, valid_hours: int) -> Notice:
    """The link is PLACEHOLDER here: the delivery worker writes it in when it sends (R32)."""
    return _notice(
        DECISION_NOTICE,
        "Your registration is approved",
        [
            f"Hello {name},",
            f"your registration for {company_name} is approved.",
            f"Choose your password here (the link works once, for {valid_hours} hours):\n{PLACEHOLDER}",
        ],
    )


def rejected(name: str, reason: str) -> Notice:
    return _notice(
        DECISION_NOTICE,
        "Your registration",
        [f"Hello {name},", "we could not approve your registration.", f"Reason: {reason}"],
    )
