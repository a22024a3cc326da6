"""The words of every email the service sends: subject, plain text and HTML for each kind.

Registration notices (R7, R8) and meeting summaries (R21) are written here and nowhere else;
the modules that send them choose the recipients and what each may read.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any

from salescoord.outbox.password_links import PLACEHOLDER

REGISTRATION_NOTICE = "REGISTRATION_NOTICE"
DECISION_NOTICE = "DECISION_NOTICE"
MEETING_SUMMARY = "MEETING_SUMMARY"
MEETING_CANCELLED = "MEETING_CANCELLED"
MEETING_RESCHEDULED = "MEETING_RESCHEDULED"
INVITATION = "INVITATION"
PASSWORD_RESET = "PASSWORD_RESET"  # its link is a reset-password link (salescoord.outbox.delivery)


@dataclass(frozen=True)
class Notice:
    kind: str
    subject: str
    text: str
    html: str


def _html(paragraphs: list[str]) -> str:
    return "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def _line(text: str) -> str:
    """A subject on one line: a title or name may hold line breaks, which no email header may."""
    return " ".join(text.split())


def _notice(kind: str, subject: str, paragraphs: list[str]) -> Notice:
    return Notice(kind, _line(subject), "\n\n".join(paragraphs) + "\n", _html(paragraphs))


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


def invitation(name: str, valid_hours: int) -> Notice:
    """To a user an admin created without a password (R5, R32); the link is PLACEHOLDER here."""
    return _notice(
        INVITATION,
        "Your salescoord account",
        [
            f"Hello {name},",
            "an account was created for you.",
            f"Choose your password here (the link works once, for {valid_hours} hours):\n{PLACEHOLDER}",
        ],
    )


def password_reset(name: str, valid_minutes: int) -> Notice:
    """To an account whose password reset was asked for (R32); the link is PLACEHOLDER here."""
    return _notice(
        PASSWORD_RESET,
        "Reset your salescoord password",
        [
            f"Hello {name},",
            "someone asked to reset the password of this account. If it was you, choose a new one "
            f"here (the link works once, for {valid_minutes} minutes):\n{PLACEHOLDER}",
            "If it was not you, ignore this email: your password stays as it is.",
        ],
    )


def rejected(name: str, reason: str) -> Notice:
    return _notice(
        DECISION_NOTICE,
        "Your registration",
        [f"Hello {name},", "we could not approve your registration.", f"Reason: {reason}"],
    )


def local_time(moment: datetime, time_zone: str) -> str:
    """`moment` on the clock of the meeting's zone, the zone named (R33):
    `2026-12-10 11:00 (Europe/Paris)`. A zone the database no longer knows, or a time at the
    calendar's ends that has no local reading, is shown in UTC."""
    try:
        local = moment.astimezone(zoneinfo.ZoneInfo(time_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OverflowError):
        local, time_zone = moment.astimezone(UTC), "UTC"
    return f"{local:%Y-%m-%d %H:%M} ({time_zone})"


def _when(meeting: Any) -> str:
    return local_time(meeting.starts_at, meeting.time_zone)


def meeting_cancelled(meeting: Any, name: str) -> Notice:
    """To each attendee of a cancelled meeting (R33)."""
    return _notice(
        MEETING_CANCELLED,
        f"Cancelled: {meeting.title}",
        [
            f"Hello {name},",
            f'the meeting "{meeting.title}" planned for {_when(meeting)} is cancelled.',
            f"Reason: {meeting.cancel_reason}",
        ],
    )


def meeting_rescheduled(meeting: Any, was: Any, name: str) -> Notice:
    """To each attendee of a meeting moved to another time (R33); `was` is the meeting before."""
    return _notice(
        MEETING_RESCHEDULED,
        f"New time: {meeting.title}",
        [
            f"Hello {name},",
            f'the meeting "{meeting.title}" moves to {_when(meeting)}, '
            f"for {meeting.duration_minutes} minutes.",
            f"It was planned for {_when(was)}.",
        ],
    )


def meeting_summary(
    meeting: Any, attendees: Sequence[Any], notes: Sequence[Any], items: Sequence[Any]
) -> Notice:
    """A meeting's summary (R21) from what one recipient may read of it: `attendees` (name,
    email), `notes` (text) and `items` (list_name, title, reference, note)."""
    subject = f"Summary: {meeting.title}"
    text = [subject, f"Held: {_when(meeting)}", "", "Attendees:"]
    text += [f"- {a.name} <{a.email}>" for a in attendees] or ["- none"]
    text += ["", "Notes:"] + ([f"- {n.text}" for n in notes] or ["- none"])
    text += ["", "Items:"]
    text += [
        f"- [{i.list_name}] {i.title} ({i.reference})" + (f": {i.note}" if i.note else "") for i in items
    ] or ["- none"]
    html = [f"<h1>{escape(subject)}</h1>", f"<p>Held: {escape(_when(meeting))}</p>", "<h2>Attendees</h2><ul>"]
    html += [f"<li>{escape(a.name)} &lt;{escape(a.email)}&gt;</li>" for a in attendees]
    html += ["</ul><h2>Notes</h2><ul>"] + [f"<li>{escape(n.text)}</li>" for n in notes]
    html += ["</ul><h2>Items</h2><ul>"]
    html += [
        f"<li>[{escape(i.list_name)}] {escape(i.title)} ({escape(i.reference)})"
        + (f": {escape(i.note)}" if i.note else "")
        + "</li>"
        for i in items
    ]
    html += ["</ul>"]
    return Notice(MEETING_SUMMARY, _line(subject), "\n".join(text) + "\n", "\n".join(html))
